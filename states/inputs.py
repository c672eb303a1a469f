"""What an action may be given, by the names the table uses, and their Chinese names (with the CLI option)."""

from datetime import date
from decimal import Decimal
from typing import Any, Protocol

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
}


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
