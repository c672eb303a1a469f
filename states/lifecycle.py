"""The application lifecycle (SPEC §5): states, triggers, roles and the transition table as data."""

from dataclasses import dataclass
from enum import StrEnum

from states.clocks import ClockKind
from states.guards import Guard, guards_for


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
    """Who may act: clerks handle cases, heads approve, the system lapses, admins administer."""

    CLERK = "clerk"
    HEAD = "head"
    ADMIN = "admin"
    SYSTEM = "system"


ROLE_LABELS: dict[Role, str] = {
    Role.CLERK: "承办人",
    Role.HEAD: "负责人",
    Role.ADMIN: "管理员",
    Role.SYSTEM: "系统",
}


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


@dataclass(frozen=True)
class Transition:
    """One row of the table: who may fire it from where, what it needs, and its legal basis."""

    trigger: Trigger
    sources: tuple[State, ...]
    dest: State
    roles: frozenset[Role]
    label: str
    basis: str
    requires: tuple[str, ...] = ()
    late_after: ClockKind | None = None  # acting after this clock's due date needs a recorded reason
    accepts: tuple[str, ...] = ()  # further optional facts; --on, --reason and --text go with any action

    @property
    def guards(self) -> tuple[Guard, ...]:
        """The pure conditions checked before this transition fires."""
        return guards_for(self.trigger.value)


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
               "条例第二十九条、第三十一条", ("channel", "received_on", "applicant_type", "request")),
    Transition(Trigger.REQUEST_CORRECTION, (_R,), _AC, _CLERK, "一次性告知补正",
               "条例第三十条", ("text", "period"), late_after=ClockKind.CORRECTION_NOTICE,
               accepts=("until", "days", "served_on")),
    Transition(Trigger.RECEIVE_CORRECTION, (_AC,), _R, _CLERK, "收到补正",
               "条例第三十条：答复期限自收到补正后的申请之日起计算", late_after=ClockKind.CORRECTION),
    Transition(Trigger.LAPSE_CORRECTION, (_AC,), _DONE, _SYSTEM, "逾期不补正，不再处理",
               "条例第三十条：无正当理由逾期不补正的，视为放弃申请"),
    Transition(Trigger.START_CONSULTATION, (_R,), _C, _CLERK, "征求意见",
               "条例第三十二条、第三十四条", ("party",), accepts=("served_on", "party_name")),
    Transition(Trigger.END_CONSULTATION, (_C,), _R, _CLERK, "收到意见（或期满无意见）",
               "条例第三十二条、第三十四条", ("reply",)),
    Transition(Trigger.ISSUE_FEE_NOTICE, (_R,), _AF, _CLERK, "发出收费通知",
               "条例第四十二条；《政府信息公开信息处理费管理办法》", ("method",),
               accepts=("pages", "amount", "served_on")),
    Transition(Trigger.RECEIVE_PAYMENT, (_AF,), _R, _CLERK, "收到缴费",
               "《政府信息公开信息处理费管理办法》", late_after=ClockKind.FEE_PAYMENT),
    Transition(Trigger.LAPSE_FEE, (_AF,), _DONE, _SYSTEM, "逾期未缴费，不再处理",
               "《政府信息公开信息处理费管理办法》：逾期未缴纳的视为放弃申请"),
    Transition(Trigger.REQUEST_REASONS, (_R,), _AR, _CLERK, "要求说明理由",
               "条例第三十五条", ("period",), accepts=("until", "days", "served_on")),
    Transition(Trigger.RECEIVE_REASONS, (_AR,), _R, _CLERK, "收到理由说明",
               "条例第三十五条：申请理由合理的，可以确定延迟答复的合理期限", accepts=("until",)),
    Transition(Trigger.REQUEST_EXTENSION, (_R,), _R, _CLERK, "申请延期答复", "条例第三十三条第二款"),
    Transition(Trigger.APPROVE_EXTENSION, (_R,), _R, _HEAD, "同意延期",
               "条例第三十三条第二款：经政府信息公开工作机构负责人同意，延长不超过20个工作日"),
    Transition(Trigger.REJECT_EXTENSION, (_R,), _R, _HEAD, "不同意延期", "条例第三十三条第二款"),
    Transition(Trigger.SUBMIT_RESPONSE, (_R, _AR), _UR, _CLERK, "提交答复送审",
               "条例第三十六条、第三十七条", ("outcome", "text"), late_after=ClockKind.RESPONSE),
    Transition(Trigger.APPROVE_RESPONSE, (_UR,), _DONE, _HEAD, "审核同意，出具答复", "条例第三十六条",
               late_after=ClockKind.RESPONSE),
    Transition(Trigger.RETURN_RESPONSE, (_UR,), _R, _HEAD, "退回修改", "内部审核", ("comment",)),
    Transition(Trigger.WITHDRAW, OPEN_STATES, _DONE, _CLERK, "申请人撤回申请", "申请人撤回"),
    Transition(Trigger.UNDO_LAPSE_CORRECTION, (_DONE,), _AC, _CLERK, "撤销逾期不补正的自动办结",
               "纠错：补正实际已按时送达等情形", ("reason",)),
    Transition(Trigger.UNDO_LAPSE_FEE, (_DONE,), _AF, _CLERK, "撤销逾期未缴费的自动办结",
               "纠错：费用实际已按时缴纳等情形", ("reason",)),
)

TRANSITION_BY_TRIGGER: dict[Trigger, Transition] = {t.trigger: t for t in TRANSITIONS}


def transitions_from(state: State) -> tuple[Transition, ...]:
    """The transitions whose source includes `state`, in table order."""
    return tuple(t for t in TRANSITIONS if state in t.sources)
