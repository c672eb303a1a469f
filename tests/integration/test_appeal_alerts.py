"""The sweep reminds the clerk and the head of an appeal's reply or defence deadline, and moves it with the calendar."""

from datetime import date, timedelta

from sqlmodel import select

from notifications.channels import InboxChannel
from notifications.policy import DEFAULT_POLICY
from tests.integration.conftest import World
from workflow import admin, alerts, appeals
from workflow.models import Alert

D = date.fromisoformat


def _file(world: World, number: str, received_on: date, kind: str = "reconsideration",
          route: str | None = None) -> int:
    return appeals.file_appeal(world.db, actor_name="clerk", number=number, kind=kind, route=route,
                               received_on=received_on, body="示例市人民政府", today=received_on)


def _sweep(world: World, first: str, last: str) -> None:
    day = D(first)
    while day <= D(last):
        alerts.sweep(world.db, today=day, policy=DEFAULT_POLICY, channels={"inbox": InboxChannel()})
        day += timedelta(days=1)


def _alerts(world: World) -> list[tuple[str, str, str, str, list[str]]]:
    with world.db.unit_of_work() as session:
        rows = session.exec(select(Alert).order_by(Alert.raised_on, Alert.id)).all()
        return [(a.raised_on.isoformat(), a.key.split(":")[0], a.clock, a.kind, a.recipients) for a in rows]


def test_reconsideration_reply_is_reminded_and_overdue_on_working_days(world: World) -> None:
    number = world.receive(D("2025-09-01"))
    world.act(number, "withdraw", D("2025-09-05"))  # the case is closed; its appeal still has a deadline
    appeal = _file(world, number, D("2025-09-26"))  # reply due 2025-10-16, across National Day
    _sweep(world, "2025-09-26", "2025-10-20")
    tag = f"appeal-{appeal}"
    both = ["clerk", "head"]
    assert _alerts(world) == [
        ("2025-10-13", tag, "reconsideration_reply", "reminder", both),  # 3 working days before
        ("2025-10-15", tag, "reconsideration_reply", "reminder", both),
        ("2025-10-16", tag, "reconsideration_reply", "reminder", both),  # the last day
        ("2025-10-17", tag, "reconsideration_reply", "overdue", both),
    ]
    with world.db.unit_of_work() as session:
        message = session.exec(select(Alert).where(Alert.kind == "overdue")).one().message
    assert message.startswith(f"案件 {number}（张三）行政复议 #{appeal} 复议答复期限已于 2025-10-16 届满")


def test_a_reply_on_time_stops_the_reminders_and_each_appeal_has_its_own(world: World) -> None:
    number = world.receive(D("2025-09-01"))
    world.act(number, "withdraw", D("2025-09-05"))
    replied = _file(world, number, D("2025-09-26"))
    lawsuit = _file(world, number, D("2025-10-09"), kind="litigation", route="direct")  # defence due 10-24
    appeals.act_appeal(world.db, actor_name="clerk", appeal_id=replied, trigger="submit_reply", on=D("2025-10-10"),
                       today=D("2025-10-10"))
    _sweep(world, "2025-09-26", "2025-10-31")
    raised = _alerts(world)
    assert {tag for _, tag, *_ in raised} == {f"appeal-{lawsuit}"}
    assert [(day, kind) for day, _, clock, kind, _ in raised if clock == "litigation_defence"] == [
        ("2025-10-21", "reminder"), ("2025-10-23", "reminder"), ("2025-10-24", "reminder"),
        ("2025-10-27", "overdue")]


def test_calendar_change_moves_a_waiting_appeal_deadline(world: World) -> None:
    number = world.receive(D("2025-09-01"))
    appeal = _file(world, number, D("2025-09-26"))
    moved = admin.calendar_set(world.db, actor_name="admin", day=D("2025-10-16"), working=False,
                               source="测试：临时停工", today=D("2025-09-30"))
    assert [(m.number, m.clock, m.old, m.new) for m in moved] == [
        (number, "reconsideration_reply", D("2025-10-16"), D("2025-10-17"))]
    detail = appeals.show_appeal(world.db, actor_name="clerk", appeal_id=appeal, today=D("2025-09-30"))
    assert detail["clock"]["due_on"] == "2025-10-17"
