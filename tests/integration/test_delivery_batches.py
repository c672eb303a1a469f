"""Delivery records a batch at a time (issue 11 item 7): a kill mid-batch re-sends at most that batch, never
loses a row; and the sweep and delivery reach their rows through the partial indexes that keep them off the
history of concluded cases and sent deliveries."""

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from notifications.policy import DEFAULT_POLICY
from tests.integration.conftest import World
from workflow import alerts
from workflow.alerts import outbox
from workflow.models import Delivery

D = date.fromisoformat


class Killed(BaseException):
    """The process dies (kill -9) in the middle of a batch."""


def test_a_process_killed_mid_batch_leaves_that_batch_to_be_sent_again_and_loses_nothing(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(6):
        world.receive(D("2025-09-10"))
    alerts.raise_alerts(world.db, today=D("2025-09-18"), policy=DEFAULT_POLICY)  # 6 reminders, 2 channels each
    clock = [outbox.utcnow()]
    monkeypatch.setattr(outbox, "utcnow", lambda: clock[0])
    arrived: Counter[tuple[str, int]] = Counter()

    class Recording:
        def __init__(self, name: str, die_after: int | None = None) -> None:
            self.name, self.die_after = name, die_after

        def send(self, recipient: str, message: Any) -> None:
            if self.die_after is not None and sum(arrived.values()) >= self.die_after:
                raise Killed
            arrived[self.name, message["alert_id"]] += 1

    with pytest.raises(Killed):  # the first batch of 5: 3 sent, none recorded
        alerts.deliver(world.db, channels={"inbox": Recording("inbox", 3), "log": Recording("log", 3)},
                       process="A", batch=5)
    with world.db.unit_of_work() as session:
        states = Counter(d.status for d in session.exec(select(Delivery)))
    assert states == Counter({"sending": 5, "pending": 7})
    assert alerts.deliver(world.db, channels={"inbox": Recording("inbox"), "log": Recording("log")},
                          process="B", batch=5) == (7, 0)  # A's batch is still claimed: not touched
    clock[0] += outbox.STALE_CLAIM + timedelta(seconds=1)
    assert alerts.deliver(world.db, channels={"inbox": Recording("inbox"), "log": Recording("log")},
                          process="B", batch=5) == (5, 0)  # reclaimed after STALE_CLAIM and sent
    with world.db.unit_of_work() as session:
        assert Counter((d.status, d.attempts) for d in session.exec(select(Delivery))) == Counter({("sent", 1): 12})
    assert len(arrived) == 12 and sum(arrived.values()) == 15  # every row arrived; 3 twice, all in A's batch


def test_one_transaction_records_a_whole_batch(world: World) -> None:
    for _ in range(4):
        world.receive(D("2025-09-10"))
    alerts.raise_alerts(world.db, today=D("2025-09-18"), policy=DEFAULT_POLICY)
    commits: list[int] = []
    event.listen(world.db.engine, "commit", lambda conn: commits.append(1))

    class Inbox:
        def send(self, recipient: str, message: Any) -> None:
            pass

    assert alerts.deliver(world.db, channels={"inbox": Inbox(), "log": Inbox()}, process="A") == (8, 0)
    # fan-out (2: the batch, then the empty queue), claim, read the claim, record, the final empty claim
    assert len(commits) <= 6, f"{len(commits)} transactions for 8 deliveries"


def _plans(world: World, work: Any) -> list[str]:
    """SQLite's plan of every SELECT (or claiming UPDATE) `work` runs."""
    statements: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if not many and sql.lstrip().startswith(("SELECT", "UPDATE")):
            statements.append((sql, params))

    event.listen(world.db.engine, "before_cursor_execute", grab)
    try:
        work()
    finally:
        event.remove(world.db.engine, "before_cursor_execute", grab)
    with world.db.engine.connect() as conn:
        return [" ".join(str(r[3]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all())
                for sql, params in statements]


def test_the_sweep_and_delivery_use_the_partial_indexes(sqlite_world: World) -> None:
    """A bound parameter in place of the literal would make both databases ignore a partial index (SQLite's
    EXPLAIN QUERY PLAN shows it here)."""
    world = sqlite_world
    number = world.receive(D("2025-09-10"))
    world.receive(D("2025-09-11"))
    world.act(number, "withdraw", D("2025-09-12"), text="申请人撤回")
    plans = _plans(world, lambda: alerts.raise_alerts(world.db, today=D("2025-09-18"), policy=DEFAULT_POLICY))
    assert any("ix_case_clock_running" in p for p in plans)
    plans = _plans(world, lambda: alerts.deliver(world.db, channels={}, process="A", fan_out=("inbox",)))
    assert any("ix_delivery_open" in p for p in plans)  # (a few rows: maybe no ix_delivery_claimed)
