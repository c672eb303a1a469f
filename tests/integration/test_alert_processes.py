"""Two schedulers on one database (SQLite and PostgreSQL), one killed with SIGKILL and replaced: every alert once."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.integration.conftest import World
from workflow.calendar import WorkingCalendar
from workflow.models import Alert, Delivery, SweepRun

CAL = WorkingCalendar()
OGI = str(Path(sys.executable).with_name("ogi"))


def _populate(world: World, first: date, count: int) -> None:
    day = first
    for _ in range(count):
        world.receive(day)
        day = CAL.add_working_days(day, 1) if CAL.is_workday(day) else CAL.roll_forward(day)


def _start(world: World, today: date, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OGI_DB": world.url, "OGI_ALERT_LOG": str(log)}
    return subprocess.Popen([OGI, "--today", today.isoformat(), "scheduler", "--interval", "60"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _finished_sweeps(world: World, as_of: date) -> int:
    with world.db.unit_of_work() as session:
        return session.exec(select(func.count()).select_from(SweepRun).where(
            SweepRun.as_of == as_of, SweepRun.finished_at.is_not(None))).one()  # type: ignore[union-attr]


def _wait_for(world: World, as_of: date, sweeps: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _finished_sweeps(world, as_of) < sweeps:
        assert time.monotonic() < deadline, "scheduler did not finish its start-up sweep"
        time.sleep(0.2)


def test_two_schedulers_and_a_kill_deliver_every_alert_exactly_once(world: World,
                                                                     tmp_path: Path) -> None:
    _populate(world, date(2025, 5, 6), 60)  # responses falling due through June and July 2025
    log = tmp_path / "alerts.jsonl"
    first_day = date(2025, 6, 17)
    pair = [_start(world, first_day, log), _start(world, first_day, log)]  # racing on the same day
    try:
        _wait_for(world, first_day, 2)
        os.kill(pair[0].pid, signal.SIGKILL)  # killed; the other keeps running
        pair[0].wait()
        later = first_day + timedelta(days=14)  # nothing ran in between: the restart must catch up
        pair[0] = _start(world, later, log)
        _wait_for(world, later, 1)
    finally:
        for p in pair:
            p.kill()
            p.wait()
    with world.db.unit_of_work() as session:
        alerts = session.exec(select(Alert)).all()
        deliveries = session.exec(select(Delivery)).all()
        errors = session.exec(select(SweepRun.error).where(SweepRun.error.is_not(None))).all()  # type: ignore[union-attr]
    assert errors == []
    assert len(alerts) > 40 and {a.raised_on for a in alerts} == {first_day, later}
    assert len({(a.application_id, a.key) for a in alerts}) == len(alerts)
    assert Counter((d.status, d.attempts) for d in deliveries) == Counter({("sent", 1): len(deliveries)})
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    sent_log = Counter((line["alert_id"], line["recipient"]) for line in lines)
    expected = Counter((d.alert_id, d.recipient) for d in deliveries if d.channel == "log")
    assert sent_log == expected  # every alert delivered, none twice


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_scheduler_says_so_and_exits_cleanly(world: World, tmp_path: Path, sig: signal.Signals) -> None:
    _populate(world, date(2025, 5, 6), 5)
    env = {**os.environ, "OGI_DB": world.url, "OGI_ALERT_LOG": str(tmp_path / "alerts.jsonl")}
    proc = subprocess.Popen([OGI, "--today", "2025-06-17", "scheduler", "--interval", "60"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(world, date(2025, 6, 17), 1)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr.decode()
    assert "提醒扫描已启动" in stdout.decode() and stdout.decode().rstrip().endswith("提醒扫描已停止。")
    assert b"apscheduler" not in stderr and b"Traceback" not in stderr


def test_a_stop_during_the_start_up_sweep_waits_for_it_to_finish(world: World) -> None:
    """SIGTERM arriving mid-sweep: the sweep completes (recorded without error), then the scheduler returns."""
    from notifications.channels import InboxChannel
    from notifications.policy import DEFAULT_POLICY
    from workflow.scheduler import run_forever

    _populate(world, date(2025, 5, 6), 5)
    reports = []

    def report(result: object) -> None:  # runs inside the start-up sweep's job, before it returns
        os.kill(os.getpid(), signal.SIGTERM)
        reports.append(result)

    started = time.monotonic()
    run_forever(world.db, policy=DEFAULT_POLICY, channels={"inbox": InboxChannel()}, interval_minutes=60,
                today=lambda: date(2025, 6, 17), report=report)
    assert len(reports) == 1 and time.monotonic() - started < 30
    with world.db.unit_of_work() as session:
        [run] = session.exec(select(SweepRun)).all()
    assert run.finished_at is not None and run.error is None and run.raised > 0
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back


def test_a_second_stop_during_the_start_up_sweep_stops_at_once(world: World) -> None:
    from notifications.channels import InboxChannel
    from notifications.policy import DEFAULT_POLICY
    from workflow.scheduler import run_forever

    _populate(world, date(2025, 5, 6), 3)
    finished = []

    def report(result: object) -> None:  # still inside the start-up sweep's job
        os.kill(os.getpid(), signal.SIGTERM)  # deferred: the sweep is let finish
        os.kill(os.getpid(), signal.SIGTERM)  # insisted: stop now
        finished.append(result)

    sigint = signal.getsignal(signal.SIGINT)
    run_forever(world.db, policy=DEFAULT_POLICY, channels={"inbox": InboxChannel()}, interval_minutes=60,
                today=lambda: date(2025, 6, 17), report=report)
    assert finished == []  # interrupted where it stood
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL and signal.getsignal(signal.SIGINT) is sigint
