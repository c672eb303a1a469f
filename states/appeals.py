"""Appeals against a disclosure decision (SPEC §7): kinds, routes, lifecycle, raw decisions, report columns.

行政复议法、行政诉讼法: an applicant may apply for reconsideration (行政复议) or sue (行政诉讼) — directly,
or after reconsideration. The annual report (表四) counts each appeal once, in the column its decision
maps to; no official definition of that mapping exists, so it is data an agency may change.
"""

from dataclasses import dataclass
from enum import StrEnum

from states.clocks import ClockKind
from states.lifecycle import Role


class AppealKind(StrEnum):
    """What the applicant brought."""

    RECONSIDERATION = "reconsideration"
    LITIGATION = "litigation"


class Route(StrEnum):
    """How a lawsuit reached the court (表四「行政诉讼」's two groups)."""

    DIRECT = "direct"
    AFTER_RECONSIDERATION = "after_reconsideration"


KIND_LABELS: dict[AppealKind, str] = {AppealKind.RECONSIDERATION: "行政复议", AppealKind.LITIGATION: "行政诉讼"}
ROUTE_LABELS: dict[Route, str] = {Route.DIRECT: "未经复议直接起诉", Route.AFTER_RECONSIDERATION: "复议后起诉"}

# The clock each kind starts on the day the agency receives the copy (SPEC §4).
CLOCK_OF: dict[AppealKind, ClockKind] = {
    AppealKind.RECONSIDERATION: ClockKind.RECONSIDERATION_REPLY,
    AppealKind.LITIGATION: ClockKind.LITIGATION_DEFENCE,
}


class Column(StrEnum):
    """表四's result columns (总计 is their sum)."""

    UPHELD = "upheld"
    CORRECTED = "corrected"
    OTHER = "other"
    PENDING = "pending"


COLUMN_LABELS: dict[Column, str] = {
    Column.UPHELD: "结果维持",
    Column.CORRECTED: "结果纠正",
    Column.OTHER: "其他结果",
    Column.PENDING: "尚未审结",
}
TOTAL_LABEL = "总计"

# 表四's three groups, as the JSON keys of SPEC §8.
GROUPS: tuple[tuple[str, str], ...] = (
    ("reconsideration", "行政复议"),
    ("litigation_direct", "未经复议直接起诉"),
    ("litigation_after_reconsideration", "复议后起诉"),
)


def group_of(kind: AppealKind, route: Route | None) -> str:
    """The 表四 group an appeal is counted in."""
    if kind is AppealKind.RECONSIDERATION:
        return "reconsideration"
    return "litigation_after_reconsideration" if route is Route.AFTER_RECONSIDERATION else "litigation_direct"


@dataclass(frozen=True)
class Decision:
    """A raw decision of a reconsideration body or a court, with its default report column (SPEC §7)."""

    code: str
    label: str
    kind: AppealKind
    column: Column


_R, _L = AppealKind.RECONSIDERATION, AppealKind.LITIGATION
DECISIONS: dict[str, Decision] = {
    d.code: d
    for d in (
        # 行政复议法第六十三条至第七十三条
        Decision("maintain", "维持", _R, Column.UPHELD),
        Decision("reject_request", "驳回复议请求", _R, Column.UPHELD),
        Decision("revoke", "撤销", _R, Column.CORRECTED),
        Decision("partially_revoke", "部分撤销", _R, Column.CORRECTED),
        Decision("alter", "变更", _R, Column.CORRECTED),
        Decision("confirm_illegal", "确认违法", _R, Column.CORRECTED),
        Decision("confirm_invalid", "确认无效", _R, Column.CORRECTED),
        Decision("order_perform", "责令履行", _R, Column.CORRECTED),
        Decision("dismiss_application", "驳回申请", _R, Column.OTHER),
        Decision("terminate", "终止", _R, Column.OTHER),
        Decision("mediation", "调解", _R, Column.OTHER),
        # 行政诉讼法第六十九条至第七十八条
        Decision("judgment_reject_claim", "判决驳回诉讼请求", _L, Column.UPHELD),
        Decision("judgment_revoke", "判决撤销", _L, Column.CORRECTED),
        Decision("judgment_partially_revoke", "判决部分撤销", _L, Column.CORRECTED),
        Decision("judgment_order_disclose", "判决限期公开", _L, Column.CORRECTED),
        Decision("judgment_order_reply", "判决重新答复", _L, Column.CORRECTED),
        Decision("judgment_order_perform", "判决履行", _L, Column.CORRECTED),
        Decision("judgment_confirm_illegal", "判决确认违法", _L, Column.CORRECTED),
        Decision("judgment_confirm_invalid", "判决确认无效", _L, Column.CORRECTED),
        Decision("judgment_alter", "判决变更", _L, Column.CORRECTED),
        Decision("ruling_dismiss_suit", "裁定驳回起诉", _L, Column.OTHER),
        Decision("ruling_allow_withdrawal", "准予撤诉", _L, Column.OTHER),
        Decision("court_mediation", "调解", _L, Column.OTHER),
    )
}

# The decision a withdrawal records: 行政复议法第七十四条 (终止) / 行政诉讼法第六十二条 (准予撤诉).
WITHDRAWAL_DECISION: dict[AppealKind, str] = {_R: "terminate", _L: "ruling_allow_withdrawal"}


def find_decision(kind: AppealKind, name: str) -> Decision | None:
    """A decision named by its code or its Chinese label, for this kind of appeal."""
    name = name.strip()
    found = DECISIONS.get(name)
    if found is not None:
        return found if found.kind is kind else None
    return next((d for d in DECISIONS.values() if d.kind is kind and d.label == name), None)


def decisions_for(kind: AppealKind) -> list[Decision]:
    """The decisions a body of this kind can take, in table order."""
    return [d for d in DECISIONS.values() if d.kind is kind]


class AppealState(StrEnum):
    """Where an appeal stands."""

    FILED = "filed"
    ANSWERED = "answered"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


APPEAL_STATE_LABELS: dict[AppealState, str] = {
    AppealState.FILED: "待答复",
    AppealState.ANSWERED: "已答复（答辩）",
    AppealState.DECIDED: "已审结",
    AppealState.WITHDRAWN: "已撤回",
}


class AppealTrigger(StrEnum):
    """What can happen to an appeal."""

    FILE = "file"
    SUBMIT_REPLY = "submit_reply"
    DECIDE = "decide"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class AppealTransition:
    """One action of the appeal lifecycle, defined once: where from and to, who, what it needs, its basis."""

    trigger: AppealTrigger
    label: str
    sources: tuple[AppealState, ...]
    dest: AppealState
    basis: str
    requires: tuple[str, ...] = ()  # "decision": the body's or court's decision, by code or label


_OPEN = (AppealState.FILED, AppealState.ANSWERED)
# Appeals are people's work: any clerk, head or admin of the agency, never the system.
APPEAL_ROLES: tuple[Role, ...] = (Role.CLERK, Role.HEAD, Role.ADMIN)
APPEAL_TRANSITIONS: dict[AppealTrigger, AppealTransition] = {
    t.trigger: t
    for t in (
        AppealTransition(AppealTrigger.FILE, "登记复议、诉讼", (), AppealState.FILED,
                         "行政复议法第二十条；行政诉讼法第四十六条"),
        AppealTransition(AppealTrigger.SUBMIT_REPLY, "提交书面答复/答辩状", (AppealState.FILED,), AppealState.ANSWERED,
                         "行政复议法第四十八条；行政诉讼法第六十七条"),
        AppealTransition(AppealTrigger.DECIDE, "登记复议决定/裁判结果", _OPEN, AppealState.DECIDED,
                         "行政复议法第六十三条至第七十三条；行政诉讼法第六十九条至第七十八条", ("decision",)),
        AppealTransition(AppealTrigger.WITHDRAW, "申请人撤回", _OPEN, AppealState.WITHDRAWN,
                         "行政复议法第七十四条；行政诉讼法第六十二条"),
    )
}


def open_from(state: AppealState) -> list[AppealTransition]:
    """The appeal actions whose source includes `state`, in table order."""
    return [t for t in APPEAL_TRANSITIONS.values() if state in t.sources]
