"""Fixtures: a real database (SQLite, or a fresh PostgreSQL database) with an agency, a clerk, a head and an admin."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from tests.postgres import scratch_database
from workflow import admin, cases, queries
from workflow.db import Database
from workflow.inputs import ActionInput, ApplicationCreate
from workflow.models import Application, Approval, CaseClock, Event

AGENCY = "测试市测试区人民政府办公室"


@dataclass
class World:
    """A database with users `clerk`, `head` and `admin`, and short-hands for the use cases."""

    db: Database
    path: Path | None  # the SQLite file; None on PostgreSQL

    @property
    def url(self) -> str:
        """What `--db` / OGI_DB takes to reach this database from another process."""
        return str(self.path) if self.path is not None else self.db.url

    def receive(self, on: date, *, as_: str = "clerk", applicant_type: str = "natural",
                channel: str = "online", name: str = "张三") -> str:
        data = ApplicationCreate(applicant_name=name, applicant_type=applicant_type, channel=channel,
                                 received_on=on, request="某项目的环境影响评价批复")
        return cases.register(self.db, actor_name=as_, data=data, today=on).number

    def act(self, number: str, trigger: str, on: date, *, as_: str = "clerk", today: date | None = None,
            **fields: Any) -> int:
        return cases.act(self.db, actor_name=as_, number=number, trigger=trigger,
                         data=ActionInput(on=on, **fields), today=today or on).version

    def show(self, number: str, today: date, *, as_: str = "clerk", explain: str | None = None) -> dict[str, Any]:
        return queries.show_case(self.db, number=number, actor_name=as_, today=today, explain=explain)

    def due(self, number: str, clock: str = "response", today: date | None = None) -> date:
        detail = self.show(number, today or date(2100, 1, 1))
        return date.fromisoformat(detail["clocks"][clock]["due_on"])

    def snapshot(self) -> dict[str, Any]:
        """Everything stored, to prove a refusal changed nothing."""
        with self.db.unit_of_work() as session:
            return {
                "apps": [a.model_dump(exclude={"updated_at"}) for a in session.exec(select(Application)).all()],
                "events": session.exec(select(func.count()).select_from(Event)).one(),
                "clocks": [c.model_dump() for c in session.exec(select(CaseClock)).all()],
                "approvals": [a.model_dump() for a in session.exec(select(Approval)).all()],
            }


# The machine's PostgreSQL (trust auth); each test gets a database of its own, dropped afterwards.
PG_SERVER = os.environ.get("OGI_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _reachable(server: Engine) -> None:
    """Skip (outside CI) or fail (in CI) when no PostgreSQL server answers: CI must run these tests."""
    try:
        server.connect().close()
    except OperationalError as exc:
        server.dispose()
        reason = f"no PostgreSQL server answers at {PG_SERVER} ({type(exc.orig).__name__})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the PostgreSQL tests (.ci/run starts the server)")
        pytest.skip(f"{reason}; start it or set OGI_TEST_POSTGRES (in CI this is a failure)")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server; its URL."""
    server = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    _reachable(server)
    server.dispose()
    with scratch_database(PG_SERVER) as url:
        yield url


def _populated(db: Database, path: Path | None) -> World:
    admin.init(db, agency=AGENCY)
    admin.add_user(db, actor_name="admin", username="clerk", role="clerk")
    admin.add_user(db, actor_name="admin", username="head", role="head")
    return World(db, path)


BACKENDS = ["sqlite", "postgresql"]


@contextmanager
def database_url(backend: str, folder: Path) -> Iterator[str]:
    """A new, empty database on `backend`: a SQLite file in `folder`, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        yield str(folder / "ogi.db")
    else:
        with postgres_database() as url:
            yield url


@contextmanager
def _world(backend: str, folder: Path) -> Iterator[World]:
    with database_url(backend, folder) as url:
        path = Path(url) if backend == "sqlite" else None
        db = Database(f"sqlite:///{path}" if path is not None else url)
        try:
            yield _populated(db, path)
        finally:
            db.dispose()


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The populated world, once on SQLite (a file per test) and once on PostgreSQL (a database per test)."""
    with _world(request.param, tmp_path) as w:
        yield w


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    """The world on SQLite only: for tests of what exists only there (the file, its mode, WAL, online backup)."""
    with _world("sqlite", tmp_path) as w:
        yield w


@pytest.fixture
def pg_world(tmp_path: Path) -> Iterator[World]:
    """The world on PostgreSQL only: for tests of what exists only there (pg_dump, trigger switches)."""
    with _world("postgresql", tmp_path) as w:
        yield w


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """What `--db` / OGI_DB takes for a new, empty database, once per backend (for tests through the CLI)."""
    with database_url(request.param, tmp_path) as url:
        yield url
