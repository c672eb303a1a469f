"""Reminders, overdue alerts and lapses happen on the right day, once, and never on closed cases."""

import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from notifications.channels import InboxChannel
from notifications.policy import DEFAULT_POLICY, due_alerts, load_policy
from tests.integration.conftest import World
from workflow import alerts, monitor
from workflow.alerts import due, outbox
from workflow.calendar import WorkingCalendar
from workflow.errors import WorkflowError
from workflow.models import Alert, AlertQueue, Application, Delivery, User

D = date.fromisoformat


class Broken:
    """A channel that always fails, like an SMTP server that is down."""

    def send(self, recipient: str, message: Any) -> None:
        raise ConnectionError("connection refused")




def _days(first: str, last: str) -> list[date]:
    a, b = D(first), D(last)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def _sweep_every_day(world: World, first: str, last: str, channels: dict[str, Any] | None = None) -> None:
    for day in _days(first, last):
        alerts.sweep(world.db, today=day, policy=DEFAULT_POLICY, channels=channels or {"inbox": InboxChannel()})


def _raised(world: World) -> list[tuple[str, str, str, int]]:
    with world.db.unit_of_work() as session:
        rows = session.exec(select(Alert).order_by(Alert.raised_on, Alert.id)).all()
        return [(a.raised_on.isoformat(), a.clock, a.kind, int(a.key.rsplit(":", 1)[1])) for a in rows]


def test_a_year_of_reminders_falls_on_working_days_across_national_day(world: World) -> None:
    world.receive(D("2025-09-10"))  # response due 2025-10-14, across the 2025 National Day holiday
    _sweep_every_day(world, "2025-09-10", "2025-10-31")
    assert _raised(world) == [
        ("2025-09-18", "correction_notice", "reminder", 1),  # window closes 09-19
        ("2025-09-30", "response", "reminder", 5),  # 5 working days before 10-14: 09-30 (holiday in between)
        ("2025-10-13", "response", "reminder", 1),
        ("2025-10-14", "response", "reminder", 0),
        ("2025-10-15", "response", "overdue", 0),
        ("2025-10-22", "response", "escalation", 1),  # every 5 working days while overdue
        ("2025-10-29", "response", "escalation", 2),
    ]


def test_nothing_is_raised_for_a_closed_case(world: World) -> None:
    number = world.receive(D("2025-09-10"))
    _sweep_every_day(world, "2025-09-10", "2025-10-15")
    world.act(number, "submit_response", D("2025-10-16"), outcome="1", text="予以公开", reason="延误")
    world.act(number, "approve_response", D("2025-10-16"), as_="head", reason="延误")
    _sweep_every_day(world, "2025-10-16", "2025-11-30")
    assert [r for r in _raised(world) if r[0] > "2025-10-16"] == []


def test_an_adjusted_working_weekend_gets_its_reminder_and_a_rest_day_none(world: World) -> None:
    world.receive(D("2025-09-15"))  # due 2025-10-17; 1 WD before is 10-16, 5 WD before is 10-10
    alerts.sweep(world.db, today=D("2025-10-11"), policy=DEFAULT_POLICY, channels={})  # 调休 Saturday
    alerts.sweep(world.db, today=D("2025-10-12"), policy=DEFAULT_POLICY, channels={})  # Sunday
    assert [r[0] for r in _raised(world) if r[1] == "response"] == ["2025-10-11"]  # catches up 10-10's reminder


def test_sweeping_twice_or_late_raises_each_alert_once(world: World) -> None:
    world.receive(D("2025-03-03"))  # due 2025-03-31
    for _ in range(3):
        alerts.sweep(world.db, today=D("2025-04-02"), policy=DEFAULT_POLICY, channels={"inbox": InboxChannel()})
    kinds = Counter((r[1], r[2]) for r in _raised(world))
    assert kinds == {("response", "overdue"): 1}  # after downtime: the current alert only, not every missed one


def test_expired_correction_and_fee_periods_lapse_the_day_after(world: World) -> None:
    corr = world.receive(D("2025-03-03"))
    world.act(corr, "request_correction", D("2025-03-04"), text="补正", days=5)  # due 2025-03-11
    fee = world.receive(D("2025-03-03"))
    world.act(fee, "issue_fee_notice", D("2025-03-04"), method="per_page", pages=40)  # due 2025-04-01
    result = alerts.sweep(world.db, today=D("2025-03-11"), policy=DEFAULT_POLICY, channels={})
    assert result.lapsed == []
    result = alerts.sweep(world.db, today=D("2025-03-12"), policy=DEFAULT_POLICY, channels={})
    assert result.lapsed == [corr]
    case = world.show(corr, D("2025-03-12"))
    assert (case["state"], case["outcome"], case["concluded_on"]) == ("concluded", "6.1", "2025-03-12")
    assert case["events"][-1]["actor"] == "system"
    # A sweep that first runs days later still dates the lapse the day after expiry.
    result = alerts.sweep(world.db, today=D("2025-04-08"), policy=DEFAULT_POLICY, channels={})
    assert result.lapsed == [fee]
    case = world.show(fee, D("2025-04-08"))
    assert (case["outcome"], case["concluded_on"]) == ("6.2", "2025-04-02")


def test_a_failing_channel_does_not_block_others_or_lose_the_alert(world: World) -> None:
    world.receive(D("2025-03-03"))
    channels = {"inbox": InboxChannel(), "log": Broken()}
    alerts.sweep(world.db, today=D("2025-04-01"), policy=DEFAULT_POLICY, channels=channels)
    with world.db.unit_of_work() as session:
        rows = {(d.channel, d.recipient): d for d in session.exec(select(Delivery)).all()}
    assert rows[("inbox", "clerk")].status == "sent"
    broken = rows[("log", "clerk")]
    assert (broken.status, broken.attempts) == ("pending", 1) and "connection refused" in (broken.last_error or "")
    later = broken.next_attempt_at + timedelta(seconds=1)
    for attempt in range(2, 6):
        alerts.deliver(world.db, channels=channels, process="t", now=later)
        with world.db.unit_of_work() as session:
            row = session.get(Delivery, broken.id)
            assert row is not None and row.attempts == attempt
            later = row.next_attempt_at + timedelta(seconds=1)
    assert [a["number"] for a in monitor.list_alerts(world.db, failed=True)] == ["2025-0001"]
    assert monitor.retry_failed(world.db) == 2  # the overdue alert goes to clerk and head
    assert monitor.status(world.db, today=D("2025-04-01"), max_age=timedelta(hours=26))["deliveries"]["failed"] == 0


def test_status_warns_about_a_dead_scheduler_and_next_years_calendar(world: World) -> None:
    status = monitor.status(world.db, today=D("2026-11-02"), max_age=timedelta(hours=26))
    assert any("从未运行过提醒扫描" in w for w in status["warnings"])
    assert any("2027 年放假安排尚未导入" in w for w in status["warnings"])
    alerts.sweep(world.db, today=D("2026-11-02"), policy=DEFAULT_POLICY, channels={})
    fresh = monitor.status(world.db, today=D("2026-10-30"), max_age=timedelta(hours=26))
    assert fresh["warnings"] == [] and fresh["last_sweep"]["as_of"] == "2026-11-02"
    stale = monitor.status(world.db, today=D("2026-10-30"), max_age=timedelta(hours=26),
                           now=outbox.utcnow() + timedelta(hours=30))
    assert any("小时没有运行提醒扫描" in w for w in stale["warnings"])


def test_policy_file_overrides_defaults_and_rejects_unknown_settings(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text('channels = ["inbox"]\n[clocks.response]\nreminders = [3]\nescalate_every = 2\n', "utf-8")
    policy = load_policy(path)
    assert policy.channels == ("inbox",)
    assert policy.clocks["response"].reminders == (3,) and policy.clocks["response"].escalate_every == 2
    path.write_text("[clocks.response]\nreminder = [3]\n", "utf-8")
    with pytest.raises(ValueError, match="未知的设置项：reminder"):
        load_policy(path)


@pytest.mark.parametrize(("text", "message"), [
    ('chanels = ["inbox"]', "中有未知的设置项：chanels"),
    ("[smtp]\nhost = 'x'", "中有未知的设置项：smtp"),
    ("[clocks.respons]\nreminders = [1]", "[clocks.respons] 不是已知的期限（可用：response（答复期限）"),
    ("clocks = 5", "clocks 应为一组表"),
    ("[clocks]\nresponse = 5", "[clocks.response] 应为一个表"),
    ("[clocks.response]\nreminders = 5", "reminders 应为 0–60 的整数列表"),
    ("[clocks.response]\nreminders = [true, false]", "reminders 应为 0–60 的整数列表"),
    ("[clocks.response]\nreminders = [-1]", "reminders 应为 0–60 的整数列表"),
    ('[clocks.response]\noverdue = "no"', "overdue 应为 true 或 false"),
    ("[clocks.response]\nescalate_every = -3", "escalate_every 应为 1–60 的整数"),
    ('[clocks.response]\nrecipients = "head"', "recipients 应为非空列表"),
    ("[clocks.response]\nrecipients = []", "recipients 应为非空列表"),
    ('[clocks.response]\nrecipients = ["boss"]', "recipients 中有无效的值：boss"),
    ('channels = "inbox"', "channels 应为非空列表"),
    ("channels = []", "channels 应为非空列表"),
    ('channels = ["sms"]', "channels 中有无效的值：sms"),
])
def test_a_policy_file_that_would_silently_misfire_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(text + "\n", "utf-8")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_policy(path)


def test_escalation_can_be_switched_off_and_overdue_alerts_then_tell_the_clerk_only(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text("[clocks.response]\nescalate_every = 0\n", "utf-8")
    policy = load_policy(path)
    assert policy.clocks["response"].escalate_every is None
    kinds = [(a.kind, a.recipients) for a in due_alerts("response", D("2025-03-31"), D("2025-04-30"), policy,
                                                        WorkingCalendar())]
    assert kinds == [("overdue", ("assignee",))]
    consultation = due_alerts("consultation", D("2025-03-31"), D("2025-04-01"), DEFAULT_POLICY, WorkingCalendar())
    assert [(a.kind, a.recipients) for a in consultation] == [("overdue", ("assignee",))]  # docs: to the clerk


def test_a_clerk_can_undo_a_wrong_lapse_with_a_reason(world: World) -> None:
    number = world.receive(D("2025-03-03"))
    world.act(number, "request_correction", D("2025-03-04"), text="补正", days=5)  # due 2025-03-11
    assert alerts.sweep(world.db, today=D("2025-03-12"), policy=DEFAULT_POLICY, channels={}).lapsed == [number]
    with pytest.raises(WorkflowError, match="缺少理由"):
        world.act(number, "undo_lapse_correction", D("2025-03-13"))
    world.act(number, "undo_lapse_correction", D("2025-03-13"), reason="补正材料于3月10日邮寄送达，登记遗漏")
    case = world.show(number, D("2025-03-13"))
    assert (case["state"], case["outcome"], case["concluded_on"]) == ("awaiting_correction", None, None)
    assert case["clocks"]["correction"]["status"] == "overdue"
    assert case["events"][-1]["data"]["undone_outcome"] == "6.1"
    world.act(number, "receive_correction", D("2025-03-13"), reason="补正材料3月10日已送达")
    assert world.show(number, D("2025-03-13"))["clocks"]["response"]["start_on"] == "2025-03-13"
    # Only the latest event can be undone, and only a lapse.
    world.act(number, "withdraw", D("2025-03-14"))
    with pytest.raises(WorkflowError, match="只能撤销系统自动办结"):
        world.act(number, "undo_lapse_correction", D("2025-03-14"), reason="撤回不能用此撤销")


def test_after_undoing_a_lapse_the_correction_is_recorded_on_the_day_it_arrived(world: World) -> None:
    number = world.receive(D("2025-03-03"))
    world.act(number, "request_correction", D("2025-03-04"), text="补正", days=5)  # due 2025-03-11
    alerts.sweep(world.db, today=D("2025-03-12"), policy=DEFAULT_POLICY, channels={})  # lapsed 2025-03-12
    world.act(number, "undo_lapse_correction", D("2025-03-14"), reason="补正材料3月10日已邮寄送达",
              today=D("2025-03-14"))
    with pytest.raises(WorkflowError, match="早于该案上一次办理日期 2025-03-04"):  # not before the request
        world.act(number, "receive_correction", D("2025-03-03"), today=D("2025-03-14"))
    with pytest.raises(WorkflowError, match="早于该案上一次办理日期 2025-03-14"):  # only the correction goes back
        world.act(number, "withdraw", D("2025-03-10"), today=D("2025-03-14"))
    world.act(number, "receive_correction", D("2025-03-10"), today=D("2025-03-14"))
    case = world.show(number, D("2025-03-14"))
    correction, response = case["clocks"]["correction"], case["clocks"]["response"]
    assert (correction["status"], correction["late"]) == ("met", False)  # on time, as it really was
    assert (response["start_on"], response["due_on"]) == ("2025-03-10", "2025-04-08")  # 20 working days from 03-10


def test_an_undone_lapse_is_never_made_again_but_a_later_period_still_lapses(world: World) -> None:
    number = world.receive(D("2025-03-03"))
    world.act(number, "request_correction", D("2025-03-04"), text="补正", days=5)  # due 2025-03-11
    alerts.sweep(world.db, today=D("2025-03-12"), policy=DEFAULT_POLICY, channels={})
    world.act(number, "undo_lapse_correction", D("2025-03-13"), reason="补正材料已按时寄达，待登记")
    for day in ("2025-03-14", "2025-03-17"):  # the clerk has not recorded the correction yet
        assert alerts.sweep(world.db, today=D(day), policy=DEFAULT_POLICY, channels={}).lapsed == []
    assert world.show(number, D("2025-03-17"))["state"] == "awaiting_correction"
    warnings = monitor.status(world.db, today=D("2025-03-17"), max_age=timedelta(days=1))["warnings"]
    assert not any("尚未自动办结" in w for w in warnings)  # nothing for the sweep to do: no false alarm
    with pytest.raises(WorkflowError, match="该期限的自动办结已被撤销"):
        world.act(number, "lapse_correction", D("2025-03-17"), as_="system")
    world.act(number, "receive_correction", D("2025-03-10"), today=D("2025-03-17"))
    world.act(number, "issue_fee_notice", D("2025-03-18"), method="per_page", pages=120, today=D("2025-03-18"))
    assert alerts.sweep(world.db, today=D("2025-04-17"), policy=DEFAULT_POLICY, channels={}).lapsed == [number]


def test_a_new_fee_notice_after_an_undone_fee_lapse_lapses_again_when_unpaid(world: World) -> None:
    number = world.receive(D("2025-03-03"))
    world.act(number, "issue_fee_notice", D("2025-03-04"), method="per_page", pages=120)
    assert alerts.lapse_expired(world.db, today=D("2025-04-02"))[0] == [number]
    world.act(number, "undo_lapse_fee", D("2025-04-03"), reason="费用3月20日已到账")
    assert alerts.lapse_expired(world.db, today=D("2025-04-03"))[0] == []  # that period's lapse stays undone
    world.act(number, "receive_payment", D("2025-03-20"), today=D("2025-04-03"))
    world.act(number, "issue_fee_notice", D("2025-04-07"), method="per_page", pages=150)  # a second notice
    before = world.show(number, D("2025-05-08"))["clocks"]["fee_payment"]
    assert (before["due_on"], before["status"]) == ("2025-05-07", "overdue")
    assert alerts.lapse_expired(world.db, today=D("2025-05-08"))[0] == [number]  # unpaid: it lapses
    assert world.show(number, D("2025-05-08"))["outcome"] == "6.2"


def test_after_undoing_a_fee_lapse_the_payment_ends_the_pause_on_the_day_it_was_made(world: World) -> None:
    number = world.receive(D("2025-03-03"))
    world.act(number, "issue_fee_notice", D("2025-03-04"), method="per_page", pages=120)  # pay by 2025-04-01
    assert alerts.lapse_expired(world.db, today=D("2025-04-02"))[0] == [number]
    world.act(number, "undo_lapse_fee", D("2025-04-03"), reason="费用3月20日已到账，财务迟报", today=D("2025-04-03"))
    world.act(number, "receive_payment", D("2025-03-20"), today=D("2025-04-03"))
    case = world.show(number, D("2025-04-03"))
    assert case["state"] == "received" and case["clocks"]["fee_payment"]["status"] == "met"
    # Day 1 was the notice day 03-04; the pause ran to the payment on 03-20 (not to the wrong lapse on
    # 04-02), so days 2–20 are 03-21 … 04-17 (Qingming 04-04 off).
    assert case["clocks"]["response"]["due_on"] == "2025-04-17"


def test_bulk_written_alerts_read_back_exactly_like_orm_rows(world: World) -> None:
    """The sweep writes through the driver: stored timestamps must compare and load as the ORM's do."""
    world.receive(D("2025-09-10"))
    alerts.raise_alerts(world.db, today=D("2025-09-18"), policy=DEFAULT_POLICY)
    with world.db.unit_of_work() as session:
        queued = session.exec(select(AlertQueue.alert_id)).all()
        assert queued == [session.exec(select(Alert.id)).one()]  # raised and queued, not fanned out yet
        assert session.exec(select(Delivery)).first() is None
    assert alerts.dispatch(world.db, fan_out=("inbox", "log"), now=outbox.utcnow()) == 1
    with world.db.unit_of_work() as session:
        raw = session.connection().exec_driver_sql(
            "SELECT a.raised_at, a.recipients, a.due_on, d.next_attempt_at FROM alert a "
            "JOIN delivery d ON d.alert_id = a.id").all()
        alert = session.exec(select(Alert)).one()
        delivery = session.exec(select(Delivery)).first()
        assert session.exec(select(AlertQueue)).first() is None
    assert len(raw) == 2, "one delivery per channel for the one recipient"
    if world.path is not None:  # the text formats SQLAlchemy itself stores on SQLite
        stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"
        for raised_at, _, due_on, next_attempt_at in raw:
            assert re.fullmatch(stamp, raised_at) and re.fullmatch(stamp, next_attempt_at)
            assert due_on == "2025-09-19"
    assert alert.recipients == ["clerk"] and alert.raised_at.tzinfo is not None
    assert delivery is not None and delivery.status == "pending" and delivery.next_attempt_at.tzinfo is not None


def test_an_alert_written_twice_is_stored_queued_and_reported_once(world: World) -> None:
    """Two processes offering the same keys: the second write creates nothing and reports nothing."""
    number = world.receive(D("2025-09-10"))
    with world.db.unit_of_work() as session:
        app_id, agency_id = session.exec(select(Application.id, Application.agency_id)).one()
    part = [({"application_id": app_id, "agency_id": agency_id, "key": "response:reminder:2025-10-09:5",
              "clock": "response", "kind": "reminder", "due_on": D("2025-10-09"), "fire_on": D("2025-09-26"),
              "raised_on": D("2025-09-26"), "recipients": ["clerk"], "message": "提醒"}, number)]
    with world.db.unit_of_work() as session:
        first = due._write_alerts(session.connection(), part, outbox.utcnow())
    with world.db.unit_of_work() as session:
        second = due._write_alerts(session.connection(), part, outbox.utcnow())
    assert (len(first), second) == (1, [])
    with world.db.unit_of_work() as session:
        assert len(session.exec(select(Alert)).all()) == 1 and len(session.exec(select(AlertQueue)).all()) == 1


def test_the_fan_out_uses_the_addresses_known_when_it_runs(world: World) -> None:
    """An email address added after the alert was raised still gets the email; a race makes no duplicates."""
    world.receive(D("2025-09-10"))
    alerts.raise_alerts(world.db, today=D("2025-09-18"), policy=DEFAULT_POLICY)
    listed = monitor.list_alerts(world.db, pending=True)
    assert [(a["queued"], a["deliveries"]) for a in listed] == [(True, [])]
    assert monitor.status(world.db, today=D("2025-09-18"), max_age=timedelta(hours=26))["queued_alerts"] == 1
    with world.db.unit_of_work() as session:
        clerk = session.exec(select(User).where(User.username == "clerk")).one()
        clerk.email = "clerk@example.gov.cn"
        alert_id = session.exec(select(Alert.id)).one()
    alerts.dispatch(world.db, fan_out=("inbox", "email"), now=outbox.utcnow())
    with world.db.unit_of_work() as session:  # a second process that read the queue row before it went
        session.add(AlertQueue(alert_id=alert_id))
    alerts.dispatch(world.db, fan_out=("inbox", "email"), now=outbox.utcnow())
    with world.db.unit_of_work() as session:
        rows = sorted((d.channel, d.recipient) for d in session.exec(select(Delivery)).all())
    assert rows == [("email", "clerk"), ("inbox", "clerk")]
    assert monitor.status(world.db, today=D("2025-09-18"), max_age=timedelta(hours=26))["queued_alerts"] == 0


def test_a_stalled_send_never_makes_another_process_send_its_rows_again(world: World,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Process A hangs for 11 minutes on one send; B takes A's batch over as abandoned and sends it. When A
    wakes up it sends none of the rows B took: every delivery arrives once (the hung one failed in A)."""
    for _ in range(5):
        world.receive(D("2025-09-10"))
    alerts.raise_alerts(world.db, today=D("2025-09-18"), policy=DEFAULT_POLICY)  # 5 reminders to the clerk
    clock = [outbox.utcnow()]
    monkeypatch.setattr(outbox, "utcnow", lambda: clock[0])
    arrived: Counter[tuple[str, int]] = Counter()

    class Recording:
        def __init__(self, name: str, hang: bool = False) -> None:
            self.name, self.hang = name, hang

        def send(self, recipient: str, message: Any) -> None:
            if self.hang:
                self.hang = False
                clock[0] += timedelta(minutes=11)  # the hung send; meanwhile the other scheduler runs
                assert alerts.deliver(world.db, channels=b, process="B") == (10, 0)
                raise TimeoutError("timed out")
            arrived[self.name, message["alert_id"]] += 1

    b = {"inbox": Recording("inbox"), "log": Recording("log")}
    a = {"inbox": Recording("inbox", hang=True), "log": Recording("log")}
    assert alerts.deliver(world.db, channels=a, process="A") == (0, 0)  # A's late result is not recorded
    assert len(arrived) == 10 and set(arrived.values()) == {1}
    with world.db.unit_of_work() as session:
        assert Counter((d.status, d.attempts) for d in session.exec(select(Delivery))) == Counter({("sent", 1): 10})


def test_with_email_the_only_channel_a_recipient_without_an_address_fails_visibly(world: World) -> None:
    from notifications.email import EmailChannel, EmailSettings

    world.receive(D("2025-09-10"))
    alerts.raise_alerts(world.db, today=D("2025-09-18"), policy=DEFAULT_POLICY)
    email = EmailChannel(EmailSettings(host="127.0.0.1", sender="ogi@example.gov.cn"))  # never reached
    assert alerts.deliver(world.db, channels={"email": email}, process="t") == (0, 1)
    [listed] = monitor.list_alerts(world.db, pending=True)
    [delivery] = listed["deliveries"]
    assert (delivery["channel"], delivery["recipient"], delivery["last_error"]) == (
        "email", "clerk", "用户 clerk 没有登记电子邮箱")


def test_a_failed_sweep_is_recorded_in_chinese_without_sql_or_names(world: World,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    def locked(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT INTO alert (message) VALUES (?)", ("案件 2025-0001（张三）",),
                               Exception("database is locked"))

    monkeypatch.setattr(due, "raise_alerts", locked)
    with pytest.raises(OperationalError):
        alerts.sweep(world.db, today=D("2025-09-18"), policy=DEFAULT_POLICY, channels={})
    warnings = monitor.status(world.db, today=D("2025-09-18"), max_age=timedelta(hours=26))["warnings"]
    assert "上次扫描出错：无法访问数据库：database is locked" in warnings
    assert not any("张三" in w or "INSERT" in w for w in warnings)
