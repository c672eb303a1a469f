"""A case's history as a person reads it: each event's action label and what it carried, in Chinese."""

from collections.abc import Mapping
from typing import Any

from states.clocks import RULES, ClockKind
from states.documents import DOCUMENT_KINDS, size_text
from states.inputs import CHOICES, choice_label
from states.lifecycle import TRANSITION_BY_TRIGGER, Trigger
from states.outcomes import OUTCOMES

# What each recorded input is called when the history shows it, in the order shown.
_NAMES = {"text": "内容", "party_name": "征求对象", "until": "期限至", "days": "期限（工作日）",
          "served_on": "送达日期", "pages": "页数", "amount": "金额（元）", "assignee": "承办人", "reason": "理由"}


def action_label(trigger: str) -> str:
    """The Chinese label of a recorded action (the code itself for one no longer in the table)."""
    found = TRANSITION_BY_TRIGGER.get(Trigger(trigger)) if trigger in Trigger.__members__.values() else None
    return found.label if found else trigger


def _outcome(code: object) -> str:
    return f"{code} {OUTCOMES[str(code)].label}" if str(code) in OUTCOMES else str(code)


def event_details(trigger: str, data: Mapping[str, Any]) -> list[str]:
    """What an event carried: the correction items, the response and its outcome, the objection's grounds,
    the period set, the fee, a late action's reason, the deadlines it moved, where it came from."""
    lines: list[str] = []
    if "outcome" in data and trigger != Trigger.SUBMIT_RESPONSE:
        lines.append(f"办理结果：{_outcome(data['outcome'])}")
    if trigger == Trigger.SUBMIT_RESPONSE and "outcome" in data:
        lines.append(f"拟办理结果：{_outcome(data['outcome'])}")
    for field in ("party", "reply", "method"):
        if field in data and data[field] in CHOICES[field]:
            name = {"party": "征求对象类型", "reply": "意见", "method": "收费方式"}[field]
            lines.append(f"{name}：{choice_label(field, data[field])}")
    late = data.get("late")
    for key, name in _NAMES.items():
        if key in data and not (key == "reason" and late):
            lines.append(f"{name}：{data[key]}")
    if late:
        label = RULES[ClockKind(late["clock"])].label if late.get("clock") in ClockKind.__members__.values() else ""
        lines.append(f"逾期办理（{label}已于 {late.get('due_on')} 届满），理由：{late.get('reason')}")
    for kind, (old, new) in (data.get("due_changes") or {}).items():
        label = RULES[ClockKind(kind)].label if kind in ClockKind.__members__.values() else kind
        lines.append(f"{label}：{old} → {new}")
    document = data.get("document")
    if isinstance(document, dict):
        kind = DOCUMENT_KINDS.get(str(document.get("kind")), str(document.get("kind")))
        lines.append(f"归档材料：{kind}「{document.get('name')}」（{size_text(int(document.get('size') or 0))}，"
                     f"SHA-256 {document.get('sha256')}）")
    if data.get("source") == "ledger":
        lines.append(f"从台账导入（{data.get('file')} 第 {data.get('line')} 行）")
    return lines
