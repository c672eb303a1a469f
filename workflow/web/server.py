"""`ogi serve`: the workbench under uvicorn, with the alert sweep running in-process (ARCHITECTURE decision 9:
the sweep is idempotent, so every server of a platform may run it); workers build the app from the environment."""

import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from workflow.calendar import local_today
from workflow.db import Database
from workflow.web.app import create_app

log = logging.getLogger("ogi.serve")

ENV_DB, ENV_SECRET, ENV_SWEEP, ENV_SECURE = "OGI_DB", "OGI_SECRET_KEY", "OGI_SERVE_SWEEP_MINUTES", "OGI_SECURE_COOKIES"


def _sweeping(db: Database, minutes: float, setup: Callable[[], tuple[Any, Any]]) -> threading.Thread:
    """The scheduler's loop (a sweep at start, then every `minutes`) in a daemon thread of this server."""
    from workflow.scheduler import run_forever

    policy, channels = setup()
    thread = threading.Thread(target=run_forever, name="ogi-sweep", daemon=True, kwargs={
        "db": db, "policy": policy, "channels": channels, "interval_minutes": minutes, "today": local_today,
        "report": lambda result: log.info("sweep %s: %d lapsed, %d raised", result.as_of, len(result.lapsed),
                                          len(result.raised))})
    thread.start()
    return thread


def build(url: str, secret: str, *, sweep_minutes: float | None, setup: Callable[[], tuple[Any, Any]],
          secure_cookies: bool = False) -> FastAPI:
    """The served application over the database at `url`, sweeping every `sweep_minutes` (None: not at all)."""
    db = Database(url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if sweep_minutes:
            _sweeping(db, sweep_minutes, setup)
        yield
        db.dispose()

    app = create_app(db, secret_key=secret, secure_cookies=secure_cookies)
    app.router.lifespan_context = lifespan
    return app


def from_environment() -> FastAPI:
    """Each uvicorn worker's application (`--workers N`): the database, key and sweep from the environment."""
    from notifications.setup import configured

    minutes = float(os.environ.get(ENV_SWEEP, "0")) or None
    return build(os.environ[ENV_DB], os.environ[ENV_SECRET], sweep_minutes=minutes,
                 setup=lambda: configured(None, os.environ), secure_cookies=os.environ.get(ENV_SECURE) == "1")
