"""Pure guards: each returns why an action is unavailable now, or None when it may proceed (named in its row)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from states.clocks import RULES, ClockKind
from states.outcomes import OUTCOMES, SYSTEM_OUTCOMES


@dataclass(frozen=True)
class CaseFacts:
    """What the guards may know about a case at the moment of an action."""

    on: date
    correction_requested_on: date | None = None
    correction_received_on: date | None = None
    extension: str | None = None  # None, "pending", "approved" or "rejected"
    extension_requested_on: date | None = None
    due: Mapping[ClockKind, date] = field(default_factory=dict)
    outcome: str | None = None  # the outcome an action proposes (submit_response)
    reply: str | None = None  # the reply an end of consultation records
    has_text: bool = False
    until: date | None = None  # a date the action sets (receive_reasons: the new response date)
    last_trigger: str | None = None  # the case's latest event
    last_source: str | None = None  # where that event came from when not from an action ("ledger": an import)
    undone: frozenset[str] = frozenset()  # the lapses (triggers) a clerk has undone on this case


Guard = Callable[[CaseFacts], str | None]


def correction_not_yet_requested(f: CaseFacts) -> str | None:
    """条例第三十条: the correction notice is one-time (一次性告知)."""
    if f.correction_requested_on is not None:
        return f"补正告知已于 {f.correction_requested_on} 发出（条例第三十条：一次性告知，不得再次要求补正）"
    return None


def extension_not_yet_requested(f: CaseFacts) -> str | None:
    """条例第三十三条: the response period may be extended once."""
    if f.extension == "pending":
        return f"延期申请已于 {f.extension_requested_on} 提出，正待负责人审批"
    if f.extension == "approved":
        return "答复期限已延长过一次（条例第三十三条：延长以一次为限，最长不超过20个工作日）"
    if f.extension == "rejected":
        return f"延期申请（{f.extension_requested_on} 提出）已被负责人驳回，不得再次申请"
    return None


def before_response_due(f: CaseFacts) -> str | None:
    """条例第三十三条第二款: an extension is asked for and approved before the response period runs out."""
    due = f.due.get(ClockKind.RESPONSE)
    if due is not None and f.on > due:
        return f"答复期限已于 {due} 届满，不能再延期（条例第三十三条：延期须在期限届满前经负责人同意）"
    return None


def silence_only_after_the_period(f: CaseFacts) -> str | None:
    """条例第三十二条: silence counts only once the 15 working days have run; an objection states its grounds."""
    due = f.due.get(ClockKind.CONSULTATION)
    if f.reply == "none" and due is not None and f.on <= due:
        return f"征求意见期限至 {due} 届满，届满前不能按“逾期未提出意见”处理"
    if f.reply == "objection" and not f.has_text:
        return "对方不同意公开的，须用 --text 记录其理由"
    return None


def later_reasonable_date(f: CaseFacts) -> str | None:
    """条例第三十五条: a reasonable period for the response can only delay it, never shorten it."""
    due = f.due.get(ClockKind.RESPONSE)
    if f.until is not None and due is not None and f.until < due:
        return f"答复期限现为 {due}，--until {f.until} 会缩短法定期限（条例第三十五条只允许延迟答复）"
    return None


def extension_pending(f: CaseFacts) -> str | None:
    """An approval decision needs a pending extension request."""
    if f.extension != "pending":
        return "没有待审批的延期申请"
    return None


def overdue(kind: ClockKind) -> Guard:
    def guard(f: CaseFacts) -> str | None:
        due = f.due.get(kind)
        label = RULES[kind].label
        if due is None:
            return f"{label}未在计算中"
        if f.on <= due:
            return f"{label}至 {due} 届满，{f.on} 尚未逾期"
        return None

    guard.__doc__ = f"The {kind.value} clock must have expired before the system lapses the case."
    return guard


def response_outcome_allowed(f: CaseFacts) -> str | None:
    """条例第三十六条: the response names one report outcome; lapses (6.1, 6.2) are set by the system."""
    if f.outcome is None:
        return None  # a missing outcome is reported as a missing field
    if f.outcome not in OUTCOMES:
        return f"办理结果代码 {f.outcome} 不存在（可选：{'、'.join(OUTCOMES)}）"
    if f.outcome in SYSTEM_OUTCOMES:
        return f"办理结果 {f.outcome} 只能由补正或缴费期限届满自动产生，不能作为答复提交"
    if f.outcome == "4.3" and f.correction_received_on is None:
        return "办理结果 4.3「补正后申请内容仍不明确」须先经补正告知并收到补正"
    return None


def not_undone(lapse: str) -> Guard:
    def guard(f: CaseFacts) -> str | None:
        if lapse in f.undone:
            return ("该期限的自动办结已被撤销（承办人已核实补正或缴费按时送达），系统不再据此办结："
                    "请登记收到的补正或费用")
        return None

    guard.__doc__ = f"A {lapse} a clerk has undone is never made again by the system."
    return guard


def undoes(lapse: str) -> Guard:
    def guard(f: CaseFacts) -> str | None:
        if f.last_trigger != lapse:
            return "只能撤销系统自动办结（且其后没有其他操作）的案件"
        if f.last_source == "ledger":
            return "该案件的办结结果是从台账导入的历史记录，不是本系统的自动办结，不能撤销"
        return None

    guard.__doc__ = f"Only a {lapse} that is the case's latest event can be undone."
    return guard
