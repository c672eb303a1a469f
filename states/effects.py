"""What each action does to a case's facts and clocks when its event is folded (SPEC §4, §5).

One function per action that has an effect; `states.lifecycle` names it in the action's row. What every
event does (ending a pause, concluding, an undone lapse) is done once, by `states.case`.
"""

from states.clocks import ClockKind, ClockStatus
from states.deadlines import Recorded
from states.fold import CaseFold, agency_set, served


def register(f: CaseFold, e: Recorded) -> None:
    """条例第三十一条、第三十三条: the response period and the correction-notice window run from receipt."""
    f.open(ClockKind.RESPONSE, e.on)
    f.open(ClockKind.CORRECTION_NOTICE, e.on)


def request_correction(f: CaseFold, e: Recorded) -> None:
    """条例第三十条: one notice; the correction period runs from service and the response clock stops."""
    f.correction_requested_on = e.on
    f.end(ClockKind.CORRECTION_NOTICE, ClockStatus.MET, e.on, "已一次性告知补正")
    days, until = agency_set(e.data)
    f.open(ClockKind.CORRECTION, served(e), days, until)
    f.response.stopped = True
    f.response.notes.append(f"{e.on} 告知补正：答复期限停止，待收到补正后重新起算")


def receive_correction(f: CaseFold, e: Recorded) -> None:
    """条例第三十条、第三十三条: the response period starts afresh from the corrected application."""
    f.correction_received_on = e.on
    f.end(ClockKind.CORRECTION, ClockStatus.MET, e.on, "已收到补正")
    old = f.response
    run = f.open(ClockKind.RESPONSE, e.on)
    run.extended_on = old.extended_on
    run.notes.extend([*old.notes, f"{e.on} 收到补正后的申请：答复期限自该日重新起算（条例第三十条、第三十三条）"])


def lapse_correction(f: CaseFold, e: Recorded) -> None:
    """条例第三十条: no correction in time counts as giving the application up."""
    f.end(ClockKind.CORRECTION, ClockStatus.CLOSED, e.on, "逾期未补正，视为放弃申请")


def start_consultation(f: CaseFold, e: Recorded) -> None:
    """条例第三十二条、第三十四条: the response clock pauses while the other side has 15 working days."""
    party = "第三方" if e.data.get("party") == "third_party" else "其他机关"
    f.pause(e.on, f"征求{party}意见")
    f.open(ClockKind.CONSULTATION, served(e))


def end_consultation(f: CaseFold, e: Recorded) -> None:
    """The reply (or the silence after the period) ends the consultation."""
    f.end(ClockKind.CONSULTATION, ClockStatus.MET, e.on, f"意见：{e.data.get('reply', '')}")


def issue_fee_notice(f: CaseFold, e: Recorded) -> None:
    """收费办法: the applicant has 20 working days to pay; the agency's policy of the day decides the pause."""
    if e.data.get("pauses_response", f.policy.pause_on_fee):
        f.pause(e.on, "待申请人缴纳信息处理费")
    f.open(ClockKind.FEE_PAYMENT, served(e))


def receive_payment(f: CaseFold, e: Recorded) -> None:
    """The payment ends the fee period."""
    f.end(ClockKind.FEE_PAYMENT, ClockStatus.MET, e.on, "已缴费")


def lapse_fee(f: CaseFold, e: Recorded) -> None:
    """收费办法: no payment in time counts as giving the application up."""
    f.end(ClockKind.FEE_PAYMENT, ClockStatus.CLOSED, e.on, "逾期未缴费，视为放弃申请")


def request_reasons(f: CaseFold, e: Recorded) -> None:
    """条例第三十五条: the applicant explains within the period the agency sets; the policy decides the pause."""
    if e.data.get("pauses_response", f.policy.pause_on_reasons):
        f.pause(e.on, "待申请人说明理由（条例第三十五条）")
    days, until = agency_set(e.data)
    f.open(ClockKind.REASONS, served(e), days, until)


def receive_reasons(f: CaseFold, e: Recorded) -> None:
    """条例第三十五条: reasonable reasons may set a later date for the response."""
    f.end(ClockKind.REASONS, ClockStatus.MET, e.on, "已说明理由")
    _, until = agency_set(e.data)
    if until is not None:
        response = f.response
        response.until, response.until_from, response.extended_after_until = until, e.on, False
        response.notes.append(f"{e.on} 确定延迟答复的合理期限至 {until}（条例第三十五条）")


def request_extension(f: CaseFold, e: Recorded) -> None:
    """条例第三十三条第二款: an extension waits for the head."""
    f.extension, f.extension_requested_on = "pending", e.on


def approve_extension(f: CaseFold, e: Recorded) -> None:
    """条例第三十三条第二款: the head's consent adds 20 working days, once."""
    f.extension = "approved"
    response = f.response
    response.extended_on = e.on
    response.extended_after_until = response.until is not None
    response.notes.append(f"{e.on} 负责人同意延期：答复期限延长20个工作日（条例第三十三条第二款）")


def reject_extension(f: CaseFold, e: Recorded) -> None:
    """The head refused: no second request."""
    f.extension = "rejected"


def submit_response(f: CaseFold, e: Recorded) -> None:
    """The response waits for the head's sign-off; a reasons period still open closes."""
    f.proposed_outcome = e.data.get("outcome")
    f.end(ClockKind.REASONS, ClockStatus.CLOSED, e.on, "未待说明理由即提交答复")


def approve_response(f: CaseFold, e: Recorded) -> None:
    """条例第三十六条: the signed response meets the response clock."""
    f.end(ClockKind.RESPONSE, ClockStatus.MET, e.on, "已答复")


def assign(f: CaseFold, e: Recorded) -> None:
    """The head named another 承办人: reminders go to them from now on."""
    f.assignee = e.data.get("assignee")


def return_response(f: CaseFold, e: Recorded) -> None:
    """The head sent the response back: nothing waits for sign-off."""
    f.proposed_outcome = None
