"""The statutory periods (SPEC §4) as data: length, unit, start, legal basis."""

from dataclasses import dataclass
from enum import StrEnum


class ClockKind(StrEnum):
    """The clocks an application (or an appeal against it) may run."""

    RESPONSE = "response"
    CORRECTION_NOTICE = "correction_notice"
    CORRECTION = "correction"
    CONSULTATION = "consultation"
    FEE_PAYMENT = "fee_payment"
    REASONS = "reasons"
    RECONSIDERATION_REPLY = "reconsideration_reply"
    LITIGATION_DEFENCE = "litigation_defence"


class Unit(StrEnum):
    """How a period is counted (民法典第二百零一条、第二百零三条)."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    AGENCY_SET = "agency_set"  # the agency fixes a date (or N working days) when it acts


class ClockStatus(StrEnum):
    """A clock's state on a given day."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"  # halted until an event restarts it (the response clock while awaiting correction)
    MET = "met"  # its duty was done (possibly late: see `late`)
    CLOSED = "closed"  # ended without the duty falling due (window passed, case concluded otherwise)
    OVERDUE = "overdue"  # from the day after the due date while not met


@dataclass(frozen=True)
class ClockRule:
    """One statutory period."""

    kind: ClockKind
    label: str
    length: int | None
    unit: Unit
    starts: str
    basis: str
    overdue_applies: bool = True


RULES: dict[ClockKind, ClockRule] = {
    rule.kind: rule
    for rule in (
        ClockRule(ClockKind.RESPONSE, "答复期限", 20, Unit.WORKING_DAYS,
                  "收到申请之日（补正的，自收到补正后申请之日重新起算）",
                  "条例第三十三条：收到申请之日起20个工作日内答复；经负责人同意可延长，最长不超过20个工作日；"
                  "征求第三方和其他机关意见所需时间不计算在内"),
        ClockRule(ClockKind.CORRECTION_NOTICE, "补正告知期限", 7, Unit.WORKING_DAYS,
                  "收到申请之日",
                  "条例第三十条：申请内容不明确的，应当自收到申请之日起7个工作日内一次性告知申请人作出补正",
                  overdue_applies=False),
        ClockRule(ClockKind.CORRECTION, "补正期限", None, Unit.AGENCY_SET,
                  "补正告知书送达之日",
                  "条例第三十条：申请人无正当理由逾期不补正的，视为放弃申请，行政机关不再处理该政府信息公开申请"),
        ClockRule(ClockKind.CONSULTATION, "征求意见期限", 15, Unit.WORKING_DAYS,
                  "第三方或其他机关收到征求意见书之日",
                  "条例第三十二条、第三十四条：第三方应当自收到征求意见书之日起15个工作日内提出意见"),
        ClockRule(ClockKind.FEE_PAYMENT, "缴费期限", 20, Unit.WORKING_DAYS,
                  "申请人收到收费通知之日",
                  "《政府信息公开信息处理费管理办法》：申请人应当自收到收费通知的次日起20个工作日内缴纳费用，"
                  "逾期未缴纳的视为放弃申请"),
        ClockRule(ClockKind.REASONS, "说明理由期限", None, Unit.AGENCY_SET,
                  "说明理由告知送达之日",
                  "条例第三十五条：申请人申请公开政府信息的数量、频次明显超过合理范围的，行政机关可以要求申请人说明理由"),
        ClockRule(ClockKind.RECONSIDERATION_REPLY, "复议答复期限", 10, Unit.WORKING_DAYS,
                  "行政机关收到行政复议申请书副本之日",
                  "行政复议法第四十八条、第八十八条：自收到申请书副本之日起十日内提出书面答复（十日指工作日）"),
        ClockRule(ClockKind.LITIGATION_DEFENCE, "应诉答辩期限", 15, Unit.CALENDAR_DAYS,
                  "行政机关收到起诉状副本之日",
                  "行政诉讼法第六十七条：被告应当在收到起诉状副本之日起十五日内提交答辩状"),
    )
}

EXTENSION_WORKING_DAYS = 20  # 条例第三十三条第二款: 延长的期限最长不得超过20个工作日
