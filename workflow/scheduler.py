"""APScheduler hosting the fixed sweep job in-process (ARCHITECTURE decision 9): no per-case jobs, no job store."""

import logging
import signal
import threading
from collections.abc import Callable
from datetime import date
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler

from notifications.delivery import Channel
from notifications.policy import AlertPolicy
from workflow.alerts import SweepResult, sweep
from workflow.calendar import LOCAL_ZONE
from workflow.db import Database

log = logging.getLogger("ogi.scheduler")


def run_forever(db: Database, *, policy: AlertPolicy, channels: dict[str, Channel], interval_minutes: float,
                today: Callable[[], date], report: Callable[[SweepResult], None]) -> None:
    """Sweep once now (catching up whatever came due while nothing ran), then every `interval_minutes`.

    Alerts are our own rows with unique keys, so any number of processes may run this at once.
    Returns when stopped by Ctrl-C or SIGTERM, never in the middle of a sweep: a stop asked for during
    the start-up sweep takes effect when it ends (a second one stops at once), and a scheduled sweep
    under way is waited for.
    """
    startup = {"running": True, "stop": False}

    def job() -> None:
        try:
            report(sweep(db, today=today(), policy=policy, channels=channels))
        except Exception:  # the heartbeat row records the error; the scheduler keeps going
            log.exception("sweep failed")

    def stop(signum: int, frame: FrameType | None) -> None:
        if startup["running"] and not startup["stop"]:  # the start-up sweep runs in this thread: let it end
            startup["stop"] = True
            log.warning("正在完成启动时的扫描，完成后停止；再按一次 Ctrl-C（或再发一次停止信号）立即停止")
            return
        raise KeyboardInterrupt

    # Signals reach the main thread only; hosted elsewhere (a web server's thread), the host stops it.
    in_main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)} if in_main else {}
    scheduler = BlockingScheduler(timezone=LOCAL_ZONE)
    try:
        job()
        startup["running"] = False
        if startup["stop"]:
            return
        scheduler.add_job(job, "interval", minutes=interval_minutes, id="sweep", coalesce=True, max_instances=1)
        scheduler.start()
    except KeyboardInterrupt:
        if scheduler.running:
            scheduler.shutdown(wait=True)  # the sweep under way finishes first: nothing is left half-sent
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
