"""Browser tests: Debian's Chromium driven by Playwright against a real server (uvicorn in a thread) over a
fresh SQLite database with a clerk, a head and the platform admin. Screenshots of every page visited are
kept in build/screenshots/ (a CI artifact)."""

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from tests.integration.conftest import AGENCY, World
from workflow import accounts, admin
from workflow.db import Database
from workflow.web import create_app

CHROMIUM = os.environ.get("OGI_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PASSWORD = "correct-horse-1"
TODAY = date(2026, 3, 2)  # the server's legal date (a Monday)


@dataclass
class Site:
    """The served workbench: its address and the database behind it."""

    url: str
    world: World


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    path = tmp_path / "ogi.db"
    db = Database(f"sqlite:///{path}")
    admin.init(db, agency=AGENCY)
    admin.add_user(db, actor_name="admin", username="clerk", role="clerk", display_name="张承办")
    admin.add_user(db, actor_name="admin", username="head", role="head", display_name="王负责")
    world = World(db, path)
    for name in ("clerk", "head", "admin"):
        accounts.set_password(world.db, actor_name="admin", username=name, password=PASSWORD)
    admin.agency_settings(world.db, actor_name="admin", named={"reconsideration_body": "测试市人民政府"})
    port = _free_port()
    app = create_app(world.db, secret_key="e2e-" + "k" * 40, today=lambda: TODAY)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", world)
    server.should_exit = True
    thread.join(timeout=10)
    db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Shots:
    """Numbered full-page screenshots of one test, named after what the page shows."""

    def __init__(self, test: str) -> None:
        self.folder = SHOTS / test
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):  # an earlier run's, numbered otherwise
            old.unlink()
        self.count = 0

    def take(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name.replace("[", "-").rstrip("]"))
