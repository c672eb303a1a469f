"""(l) The web workbench at scale: p50/p95 of 工作台, 申请列表 and a case page on the platforms of (j) (10⁵ open
cases; the same beside 9×10⁵ concluded ones), each against `/healthz` served by the same application in the same
run, and the 年报 page of the largest agency at 10⁶ cases, its first view and the views after it (the server's
report cache).

The application is `workflow.web.create_app` driven in this process through Starlette's TestClient (the ASGI
application itself, no network): the baseline `/healthz` carries the same per-request cost of the framework, the
session middleware and the client, so the ratio is what a page adds. The platform's cached database is copied
first (logging in writes the account's row), and the clerk of the largest agency gets a password.
"""

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.bench.common import Latency, Target
from tests.bench.report import COMMAND, Table, _para, targets_table
from tests.bench.scale_fixture import BIG, Platform, clerk, copy_db, platforms
from tests.bench.sweep_bench import SWEEP_DAY
from workflow import accounts
from workflow.db import Database
from workflow.web import create_app

HEADING = "## (l) The web workbench at scale"
WEB_COMMAND = f"{COMMAND} --only web --write-docs"
PASSWORD = "bench-password-1"
PAGE_TARGETS = {100_000: 0.050, 1_000_000: 0.100}  # p95 of a page, by cases on the platform
REPORT_TARGET = 0.200  # p95 of the 年报 page after its first view, at 10⁶ cases
REPORT_YEAR = 2024


@dataclass(frozen=True)
class WebTiming:
    """One page on one platform: p50/p95 of its wall and CPU time."""

    label: str
    path: str
    cases: int
    wall: Latency
    cpu: Latency


@dataclass(frozen=True)
class WebResult:
    """Everything (l) measured."""

    pages: list[WebTiming]
    report_first: float  # seconds of the 年报 page's first view at the larger size
    report_after: WebTiming
    load: tuple[float, float]

    def healthz(self, cases: int) -> WebTiming:
        """The baseline at one size."""
        return next(p for p in self.pages if p.cases == cases and p.path == "/healthz")


def _timed(browser: TestClient, path: str, runs: int, warmup: int = 3) -> tuple[Latency, Latency]:
    for _ in range(warmup):
        _get(browser, path)
    wall, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        _get(browser, path)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return Latency.of(wall), Latency.of(cpu)


def _get(browser: TestClient, path: str) -> str:
    response = browser.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
    return response.text


def _logged_in(db: Database, username: str) -> TestClient:
    accounts.set_password(db, actor_name=username, username=username, password=PASSWORD)
    browser = TestClient(create_app(db, secret_key="b" * 40, today=lambda: SWEEP_DAY), follow_redirects=False)
    page = browser.get("/login").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the login page has no CSRF token"
    done = browser.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": found[1],
                                        "next": "/"})
    if done.status_code != 303:
        raise RuntimeError(f"login of {username} failed: {done.status_code} {done.text[:300]}")
    return browser


def _platform(platform: Platform, workdir: Path, runs: int, report: bool) -> tuple[list[WebTiming], Any]:
    cases = platform.open_cases + platform.closed_cases
    db = Database(f"sqlite:///{copy_db(platform.path, workdir / f'web-{cases}.db')}")
    browser = _logged_in(db, clerk(BIG))
    listed = _get(browser, "/cases")
    number = re.search(r'href="/cases/(\d{4}-\d+)"', listed)
    assert number, "the case list shows no case"
    paths = [("/healthz（基线）", "/healthz"), ("工作台", "/"), ("申请列表（第一页）", "/cases"),
             ("申请列表（自然人，按收到日期）", "/cases?applicant_type=natural&sort=newest"),
             ("案件页面", f"/cases/{number[1]}")]
    timings = [WebTiming(label, path, cases, *_timed(browser, path, runs)) for label, path in paths]
    extra = None
    if report:
        started = time.perf_counter()
        _get(browser, f"/reports/{REPORT_YEAR}")
        first = time.perf_counter() - started
        after = WebTiming("年报（首次之后）", f"/reports/{REPORT_YEAR}", cases,
                          *_timed(browser, f"/reports/{REPORT_YEAR}", max(10, runs // 10), warmup=0))
        extra = (first, after)
    db.engine.dispose()
    return timings, extra


def run(workdir: Path, *, open_cases: int, closed_cases: int, runs: int, say: Any = print) -> WebResult:
    """(l) on the two platforms of (j) (from the cache, or built)."""
    before = os.getloadavg()[0]
    small, big = platforms(open_cases, closed_cases, say=say)
    say(f"web pages at {small.open_cases + small.closed_cases:,} cases")
    pages, _ = _platform(small, workdir, runs, report=False)
    say(f"web pages at {big.open_cases + big.closed_cases:,} cases, and the 年报 page")
    more, extra = _platform(big, workdir, runs, report=True)
    assert extra is not None
    return WebResult(pages + more, extra[0], extra[1], (before, os.getloadavg()[0]))


def targets(r: WebResult) -> list[Target]:
    """The goals of issue 13."""
    found = []
    for cases, goal in PAGE_TARGETS.items():
        shown = [p for p in r.pages if p.cases == cases and p.path != "/healthz"]
        if shown:
            worst = max(p.wall.p95 for p in shown)
            found.append(Target(f"(l) p95 of the slowest page at {cases:,} cases", worst * 1000, goal * 1000,
                                False, " ms"))
    found.append(Target(f"(l) p95 of the 年报 page after its first view at {r.report_after.cases:,} cases",
                        r.report_after.wall.p95 * 1000, REPORT_TARGET * 1000, False, " ms"))
    return found


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def table(r: WebResult) -> Table:
    """Every page with its ratio to /healthz at the same size."""
    rows = []
    for p in [*r.pages, r.report_after]:
        base = r.healthz(p.cases).wall.p50
        rows.append((f"{p.cases:,}", p.label, _ms(p.wall.p50), _ms(p.wall.p95), _ms(p.cpu.p95),
                     f"{p.wall.p50 / base:.1f}×"))
    return Table(("cases", "page", "p50", "p95", "p95 CPU", "p50 / healthz"), tuple(rows),
                 frozenset({0, 2, 3, 4, 5}))


def text(r: WebResult) -> str:
    """(l) for the terminal."""
    return "\n".join(["(l) web workbench", table(r).text(),
                      f"  年报 first view: {r.report_first:.2f} s",
                      *(t.describe() for t in targets(r))])


def markdown(r: WebResult, machine: Any, command: str = WEB_COMMAND) -> str:
    """(l) for docs/performance.md."""
    day = machine.when.strftime("%Y-%m-%d")
    return "\n\n".join([
        HEADING,
        f"<!-- Generated by `{command}`; do not edit by hand, rerun it. -->",
        _para(f"""The platforms of (j), copied from the cache. The clerk of the largest agency logs in and each
            page is fetched through `workflow.web.create_app` in this process (Starlette's TestClient: the ASGI
            application, no network), 3 warm-ups then timed runs; `/healthz`, served by the same application in
            the same run, is the baseline. The 年报 page ({REPORT_YEAR}, the largest agency's year) is timed at
            its first view ({r.report_first:.2f} s: every case of the year is counted) and then again: the
            server keeps the built report while its fingerprint stands (`workflow/report_cache.py`). Written on
            **{day}** ({machine.cpu}, {machine.cpus_usable} usable CPUs, {machine.python}) by `{command}`; load
            average {r.load[0]:.1f} before, {r.load[1]:.1f} after."""),
        table(r).markdown(),
        targets_table(targets(r)).markdown(),
    ])
