"""What an action may be given, by the names the table uses, and their Chinese names (with the CLI option)."""

from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from states.lifecycle import AGENCY_ROLES, PLATFORM_ROLES, ROLE_LABELS
from states.outcomes import APPLICANT_LABELS, CHANNEL_LABELS

FIELD_LABELS = {
    "applicant_name": "申请人（--applicant）",
    "applicant_type": "申请人类型（--type）",
    "applicant_contact": "联系方式（--contact）",
    "channel": "提交渠道（--channel）",
    "received_on": "收到申请之日（--received-on）",
    "request": "申请内容（--request）",
    "on": "办理日期（--on）",
    "outcome": "办理结果（--outcome）",
    "until": "期限（--until）",
    "days": "工作日数（--days）",
    "reason": "理由（--reason）",
    "party": "征求对象（--party）",
    "party_name": "征求对象名称（--party-name）",
    "reply": "意见（--reply）",
    "method": "收费方式（--method）",
    "amount": "金额（--amount）",
    "text": "内容（--text）",
    "served_on": "送达日期（--served-on）",
    "pages": "页数（--pages）",
    "period": "期限（--until 日期 或 --days 工作日数）",
    "comment": "退回意见（--text）",
    "assignee": "承办人（用户名）",
    "document": "归档的材料（ogi attach 编号 文件）",
}


# Every enumerated input: its codes, each with its official label first and then the short forms a clerk
# types (`--reply 同意`). A code or any of its names is accepted wherever the input is asked for.
CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "applicant_type": {t.value: (label,) for t, label in APPLICANT_LABELS.items()},
    "channel": {c.value: (label,) for c, label in CHANNEL_LABELS.items()},
    "party": {"third_party": ("第三方",), "other_agency": ("共同制作机关", "其他机关", "其他行政机关")},
    "reply": {"consent": ("同意公开", "同意"), "objection": ("不同意公开", "不同意"),
              "none": ("逾期未提出意见", "未提出意见", "无意见")},
    "method": {"per_item": ("按件计收", "按件"), "per_page": ("按量计收", "按量")},
    "role": {r.value: (ROLE_LABELS[r],) for r in (*AGENCY_ROLES, *PLATFORM_ROLES)},
}


def choice_code(field: str, value: str) -> str | None:
    """The code a value names, by its code or any of its Chinese names (None when it names none)."""
    value = value.strip()
    options = CHOICES[field]
    if value in options:
        return value
    return next((code for code, names in options.items() if value in names), None)


def choice_label(field: str, code: str) -> str:
    """The official Chinese label of a code."""
    return CHOICES[field][code][0]


def choices_text(field: str) -> str:
    """The options of an input for a message: `consent、objection、none（或中文：同意公开、不同意公开、…）`."""
    options = CHOICES[field]
    return f"{'、'.join(options)}（或中文：{'、'.join(names[0] for names in options.values())}）"


class ActionInputs(Protocol):
    """The validated facts an action carries (`workflow.inputs.ActionInput` is one)."""

    @property
    def on(self) -> date: ...

    @property
    def outcome(self) -> str | None: ...

    @property
    def until(self) -> date | None: ...

    @property
    def days(self) -> int | None: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def reply(self) -> str | None: ...

    @property
    def method(self) -> str | None: ...

    @property
    def amount(self) -> Decimal | None: ...

    @property
    def text(self) -> str | None: ...

    @property
    def served_on(self) -> date | None: ...

    @property
    def pages(self) -> int | None: ...

    def given(self) -> set[str]:
        """The optional facts given (the date, reason and text go with any action)."""
        ...

    def has(self, requirement: str) -> bool:
        """Whether a requirement of the table (a field, "period" or "comment") is met."""
        ...

    def event_data(self) -> dict[str, Any]:
        """What the event records of the inputs: every given fact but the date, as JSON values."""
        ...
