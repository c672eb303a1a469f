"""Fixtures: a real SQLite database with an agency, a clerk, a head and an admin."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from workflow import admin, cases, queries
from workflow.db import Database
from workflow.inputs import ActionInput, ApplicationCreate
from workflow.models import Application, Approval, CaseClock, Event

AGENCY = "测试市测试区人民政府办公室"


@dataclass
class World:
    """A database with users `clerk`, `head` and `admin`, and short-hands for the use cases."""

    db: Database
    path: Path

    def receive(self, on: date, *, as_: str = "clerk", applicant_type: str = "natural",
                channel: str = "online", name: str = "张三") -> str:
        data = ApplicationCreate(applicant_name=name, applicant_type=applicant_type, channel=channel,
                                 received_on=on, request="某项目的环境影响评价批复")
        return cases.register(self.db, actor_name=as_, data=data, today=on)

    def act(self, number: str, trigger: str, on: date, *, as_: str = "clerk", today: date | None = None,
            **fields: Any) -> int:
        return cases.act(self.db, actor_name=as_, number=number, trigger=trigger,
                         data=ActionInput(on=on, **fields), today=today or on)

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


@pytest.fixture
def world(tmp_path: Path) -> World:
    path = tmp_path / "ogi.db"
    db = Database(f"sqlite:///{path}")
    admin.init(db, agency=AGENCY)
    admin.add_user(db, actor_name="admin", username="clerk", role="clerk")
    admin.add_user(db, actor_name="admin", username="head", role="head")
    yield World(db, path)
    db.dispose()
