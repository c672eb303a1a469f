"""APScheduler hosting the fixed sweep job in-process (ARCHITECTURE decision 9): no per-case jobs, no job store."""

import logging
from collections.abc import Callable
from datetime import date

from apscheduler.schedulers.blocking import BlockingScheduler

from notifications.channels import Channel
from notifications.policy import AlertPolicy
from workflow.alerts import SweepResult, sweep
from workflow.calendar import LOCAL_ZONE
from workflow.db import Database

log = logging.getLogger("ogi.scheduler")


def run_forever(db: Database, *, policy: AlertPolicy, channels: dict[str, Channel], interval_minutes: float,
                today: Callable[[], date], report: Callable[[SweepResult], None]) -> None:
    """Sweep once now (catching up whatever came due while nothing ran), then every `interval_minutes`.

    Alerts are our own rows with unique keys, so any number of processes may run this at once.
    """

    def job() -> None:
        try:
            report(sweep(db, today=today(), policy=policy, channels=channels))
        except Exception:  # the heartbeat row records the error; the scheduler keeps going
            log.exception("sweep failed")

    job()
    scheduler = BlockingScheduler(timezone=LOCAL_ZONE)
    scheduler.add_job(job, "interval", minutes=interval_minutes, id="sweep", coalesce=True, max_instances=1)
    scheduler.start()
