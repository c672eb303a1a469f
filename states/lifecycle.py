"""The application lifecycle (SPEC §5): states, triggers, roles, and every action defined once as a row.

A row says where an action may be taken from and where it leads, who may take it, what it needs, the
conditions it is refused on (with their reasons), and what it does to the case's facts and clocks.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any, NamedTuple

from states import effects, guards
from states.clocks import ClockKind
from states.deadlines import Clock, Recorded
from states.fold import CaseFold
from states.guards import Guard
from states.outcomes import LAPSED_CORRECTION, LAPSED_FEE, WITHDRAWN


class State(StrEnum):
    """Where an application stands; stored as its value in a VARCHAR column."""

    RECEIVED = "received"
    AWAITING_CORRECTION = "awaiting_correction"
    CONSULTING = "consulting"
    AWAITING_FEE = "awaiting_fee"
    AWAITING_REASONS = "awaiting_reasons"
    UNDER_REVIEW = "under_review"
    CONCLUDED = "concluded"


STATE_LABELS: dict[State, str] = {
    State.RECEIVED: "办理中",
    State.AWAITING_CORRECTION: "待补正",
    State.CONSULTING: "征求意见中",
    State.AWAITING_FEE: "待缴费",
    State.AWAITING_REASONS: "待说明理由",
    State.UNDER_REVIEW: "答复待审核",
    State.CONCLUDED: "已办结",
}

OPEN_STATES: tuple[State, ...] = tuple(s for s in State if s is not State.CONCLUDED)


class Role(StrEnum):
    """Who may act (SPEC §12): clerks handle cases, heads approve, admins administer one agency, the system
    lapses; on a platform, the supervising office reads every agency and the platform admin runs the platform."""

    CLERK = "clerk"
    HEAD = "head"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    PLATFORM_ADMIN = "platform_admin"
    SYSTEM = "system"


ROLE_LABELS: dict[Role, str] = {
    Role.CLERK: "承办人",
    Role.HEAD: "负责人",
    Role.ADMIN: "管理员",
    Role.SUPERVISOR: "主管部门",
    Role.PLATFORM_ADMIN: "平台管理员",
    Role.SYSTEM: "系统",
}

AGENCY_ROLES: tuple[Role, ...] = (Role.CLERK, Role.HEAD, Role.ADMIN)  # users of one agency
PLATFORM_ROLES: tuple[Role, ...] = (Role.SUPERVISOR, Role.PLATFORM_ADMIN)  # users of the platform, of no agency


class Trigger(StrEnum):
    """The actions of SPEC §5, by their SPEC names."""

    REGISTER = "register"
    REQUEST_CORRECTION = "request_correction"
    RECEIVE_CORRECTION = "receive_correction"
    LAPSE_CORRECTION = "lapse_correction"
    START_CONSULTATION = "start_consultation"
    END_CONSULTATION = "end_consultation"
    ISSUE_FEE_NOTICE = "issue_fee_notice"
    RECEIVE_PAYMENT = "receive_payment"
    LAPSE_FEE = "lapse_fee"
    REQUEST_REASONS = "request_reasons"
    RECEIVE_REASONS = "receive_reasons"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    SUBMIT_RESPONSE = "submit_response"
    APPROVE_RESPONSE = "approve_response"
    RETURN_RESPONSE = "return_response"
    WITHDRAW = "withdraw"
    UNDO_LAPSE_CORRECTION = "undo_lapse_correction"
    UNDO_LAPSE_FEE = "undo_lapse_fee"
    ASSIGN = "assign"
    FILE_DOCUMENT = "file_document"


Effect = Callable[[CaseFold, Recorded], None]
# What an action writes into its event beyond its inputs, decided when it is taken (the fold, the clocks
# before it, its legal date): the agency's policy of the day, the deadline it moves.
Record = Callable[[CaseFold, Mapping[ClockKind, Clock], date], dict[str, Any]]


class ApprovalStep(NamedTuple):
    """An approval an action opens (`decision` None) or decides: the extension, the response sign-off."""

    kind: str  # "extension" or "response"
    decision: str | None = None  # "approved", "rejected" or "returned"


def _nothing(f: CaseFold, e: Recorded) -> None:
    """An action that changes no fact or clock beyond its state."""


@dataclass(frozen=True)
class Transition:
    """One action, defined once: where from and to, who, what it needs, when it is refused and what it does."""

    trigger: Trigger
    sources: tuple[State, ...]
    dest: State | None  # None: the case stays in the state it is in
    roles: frozenset[Role]
    label: str
    basis: str
    requires: tuple[str, ...] = ()
    late_after: ClockKind | None = None  # acting after this clock's due date needs a recorded reason
    accepts: tuple[str, ...] = ()  # further optional facts; --on, --reason and --text go with any action
    guards: tuple[Guard, ...] = ()  # the pure conditions checked before it fires, each with its reason
    effect: Effect = _nothing
    pauses: bool = False  # it opens a pause of the response clock (an action that `resumes` ends it)
    record: Record | None = None
    approval: ApprovalStep | None = None
    outcome: str | None = None  # the report outcome a conclusion by this action records (else the proposed one)
    quotes_fee: bool = False  # the fee it charges is quoted from the applicant's other applications
    names_bodies: bool = False  # its letter names the agency's bodies and payment channel of the day
    assigns: bool = False  # it names the case's 承办人, a user of the agency
    offered: bool = True  # listed among a case's actions (refusals, `ogi show`, the forms); False: a record with
    #                       a face of its own (filing a document: `ogi attach`, the 案卷 upload)

    @cached_property
    def concludes(self) -> bool:
        """Whether the case is concluded by this action (asked for every event folded: worked out once)."""
        return self.dest is State.CONCLUDED

    @cached_property
    def resumes(self) -> bool:
        """Whether it ends an open pause of the response clock (asked for every event folded: worked out once):
        every action that moves the case on does, but not one that opens a pause, nor an internal record that
        leaves the case where it is (`dest` None: an assignment, a document filed), which changes no fact the
        law counts from."""
        return not self.pauses and self.dest is not None

    def leads_from(self, state: State | None) -> State:
        """The state this action leads to from `state` (the same one, for an action that does not move)."""
        if self.dest is not None:
            return self.dest
        assert state is not None, "an action that does not move is taken on a registered case"
        return state


def _fee_pause(f: CaseFold, clocks: Mapping[ClockKind, Clock], on: date) -> dict[str, Any]:
    return {"pauses_response": f.policy.pause_on_fee}


def _reasons_pause(f: CaseFold, clocks: Mapping[ClockKind, Clock], on: date) -> dict[str, Any]:
    return {"pauses_response": f.policy.pause_on_reasons}


def _old_due(f: CaseFold, clocks: Mapping[ClockKind, Clock], on: date) -> dict[str, Any]:
    return {"old_due_on": clocks[ClockKind.RESPONSE].due_on.isoformat()}


_R, _AC, _C, _AF, _AR, _UR, _DONE = (
    State.RECEIVED, State.AWAITING_CORRECTION, State.CONSULTING, State.AWAITING_FEE,
    State.AWAITING_REASONS, State.UNDER_REVIEW, State.CONCLUDED,
)
_CLERK = frozenset({Role.CLERK})
_HEAD = frozenset({Role.HEAD})
# System actions also open to an admin, for when the scheduler did not run.
_SYSTEM = frozenset({Role.SYSTEM, Role.ADMIN})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Trigger.REGISTER, (), _R, _CLERK, "登记申请",
               "条例第二十九条、第三十一条", ("channel", "received_on", "applicant_type", "request"),
               effect=effects.register),
    Transition(Trigger.REQUEST_CORRECTION, (_R,), _AC, _CLERK, "一次性告知补正",
               "条例第三十条", ("text", "period"), late_after=ClockKind.CORRECTION_NOTICE,
               accepts=("until", "days", "served_on"), guards=(guards.correction_not_yet_requested,),
               effect=effects.request_correction),
    Transition(Trigger.RECEIVE_CORRECTION, (_AC,), _R, _CLERK, "收到补正",
               "条例第三十条：答复期限自收到补正后的申请之日起计算", late_after=ClockKind.CORRECTION,
               effect=effects.receive_correction),
    Transition(Trigger.LAPSE_CORRECTION, (_AC,), _DONE, _SYSTEM, "逾期不补正，不再处理",
               "条例第三十条：无正当理由逾期不补正的，视为放弃申请",
               guards=(guards.overdue(ClockKind.CORRECTION), guards.not_undone(Trigger.LAPSE_CORRECTION)),
               effect=effects.lapse_correction, outcome=LAPSED_CORRECTION, names_bodies=True),
    Transition(Trigger.START_CONSULTATION, (_R,), _C, _CLERK, "征求意见",
               "条例第三十二条、第三十四条", ("party",), accepts=("served_on", "party_name"),
               effect=effects.start_consultation, pauses=True),
    Transition(Trigger.END_CONSULTATION, (_C,), _R, _CLERK, "收到意见（或期满无意见）",
               "条例第三十二条、第三十四条", ("reply",), guards=(guards.silence_only_after_the_period,),
               effect=effects.end_consultation),
    Transition(Trigger.ISSUE_FEE_NOTICE, (_R,), _AF, _CLERK, "发出收费通知",
               "条例第四十二条；《政府信息公开信息处理费管理办法》", ("method",),
               accepts=("pages", "amount", "served_on"), effect=effects.issue_fee_notice, pauses=True,
               record=_fee_pause, quotes_fee=True, names_bodies=True),
    Transition(Trigger.RECEIVE_PAYMENT, (_AF,), _R, _CLERK, "收到缴费",
               "《政府信息公开信息处理费管理办法》", late_after=ClockKind.FEE_PAYMENT,
               effect=effects.receive_payment),
    Transition(Trigger.LAPSE_FEE, (_AF,), _DONE, _SYSTEM, "逾期未缴费，不再处理",
               "《政府信息公开信息处理费管理办法》：逾期未缴纳的视为放弃申请",
               guards=(guards.overdue(ClockKind.FEE_PAYMENT), guards.not_undone(Trigger.LAPSE_FEE)),
               effect=effects.lapse_fee, outcome=LAPSED_FEE, names_bodies=True),
    Transition(Trigger.REQUEST_REASONS, (_R,), _AR, _CLERK, "要求说明理由",
               "条例第三十五条", ("period",), accepts=("until", "days", "served_on"),
               effect=effects.request_reasons, pauses=True, record=_reasons_pause),
    Transition(Trigger.RECEIVE_REASONS, (_AR,), _R, _CLERK, "收到理由说明",
               "条例第三十五条：申请理由合理的，可以确定延迟答复的合理期限", accepts=("until",),
               guards=(guards.later_reasonable_date,), effect=effects.receive_reasons),
    Transition(Trigger.REQUEST_EXTENSION, (_R,), _R, _CLERK, "申请延期答复", "条例第三十三条第二款",
               guards=(guards.extension_not_yet_requested, guards.before_response_due),
               effect=effects.request_extension, approval=ApprovalStep("extension")),
    Transition(Trigger.APPROVE_EXTENSION, (_R,), _R, _HEAD, "同意延期",
               "条例第三十三条第二款：经政府信息公开工作机构负责人同意，延长不超过20个工作日",
               guards=(guards.extension_pending, guards.before_response_due), effect=effects.approve_extension,
               record=_old_due, approval=ApprovalStep("extension", "approved")),
    Transition(Trigger.REJECT_EXTENSION, (_R,), _R, _HEAD, "不同意延期", "条例第三十三条第二款",
               guards=(guards.extension_pending,), effect=effects.reject_extension,
               approval=ApprovalStep("extension", "rejected")),
    Transition(Trigger.SUBMIT_RESPONSE, (_R, _AR), _UR, _CLERK, "提交答复送审",
               "条例第三十六条、第三十七条", ("outcome", "text"), late_after=ClockKind.RESPONSE,
               guards=(guards.response_outcome_allowed,), effect=effects.submit_response,
               approval=ApprovalStep("response")),
    Transition(Trigger.APPROVE_RESPONSE, (_UR,), _DONE, _HEAD, "审核同意，出具答复", "条例第三十六条",
               late_after=ClockKind.RESPONSE, effect=effects.approve_response,
               approval=ApprovalStep("response", "approved"), names_bodies=True),
    Transition(Trigger.RETURN_RESPONSE, (_UR,), _R, _HEAD, "退回修改", "内部审核", ("comment",),
               effect=effects.return_response, approval=ApprovalStep("response", "returned")),
    Transition(Trigger.WITHDRAW, OPEN_STATES, _DONE, _CLERK, "申请人撤回申请", "申请人撤回",
               outcome=WITHDRAWN, names_bodies=True),
    Transition(Trigger.UNDO_LAPSE_CORRECTION, (_DONE,), _AC, _CLERK, "撤销逾期不补正的自动办结",
               "纠错：补正实际已按时送达等情形", ("reason",), guards=(guards.undoes(Trigger.LAPSE_CORRECTION),)),
    Transition(Trigger.UNDO_LAPSE_FEE, (_DONE,), _AF, _CLERK, "撤销逾期未缴费的自动办结",
               "纠错：费用实际已按时缴纳等情形", ("reason",), guards=(guards.undoes(Trigger.LAPSE_FEE),)),
    Transition(Trigger.ASSIGN, OPEN_STATES, None, _HEAD, "指派承办人",
               "内部分工：案件由登记的承办人办理，负责人可改派", ("assignee",), effect=effects.assign, assigns=True),
    Transition(Trigger.FILE_DOCUMENT, (*OPEN_STATES, _DONE), None, _CLERK | _HEAD, "归入案卷",
               "案卷：申请书、身份证明、签发的文书、送达回证等材料，按内容的 SHA-256 存档", ("document",),
               offered=False),
)

TRANSITION_BY_TRIGGER: dict[Trigger, Transition] = {t.trigger: t for t in TRANSITIONS}
_BY_CODE: dict[str, Transition] = {t.trigger.value: t for t in TRANSITIONS}


def transition_of(code: str) -> Transition:
    """The row of the action an event records by its code (ValueError for a code that is none, as `Trigger(code)`;
    a look-up by text, a tenth of what making the `Trigger` costs, for every event folded)."""
    found = _BY_CODE.get(code)
    return found if found is not None else TRANSITION_BY_TRIGGER[Trigger(code)]


def transitions_from(state: State) -> tuple[Transition, ...]:
    """The transitions whose source includes `state`, in table order."""
    return tuple(t for t in TRANSITIONS if state in t.sources)


def find_trigger(name: str) -> Trigger | None:
    """An action named by its code (`request_correction`) or its Chinese label (「一次性告知补正」)."""
    name = name.strip()
    if name in Trigger.__members__.values():
        return Trigger(name)
    return next((t.trigger for t in TRANSITIONS if t.label == name), None)
