"""The agencies of a platform (SPEC §12): added by the platform admin, each with its own users, cases and report."""

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from states.lifecycle import OPEN_STATES, PLATFORM_ROLES, Role
from workflow.actors import platform_admin, user_named
from workflow.calendar import local_time
from workflow.db import Database
from workflow.errors import InputError
from workflow.models import Agency, Application, User

__all__ = ["DEFAULT_CODE", "AgencyRow", "add_agency", "code_problem", "list_agencies"]

DEFAULT_CODE = "main"  # the code of the agency `ogi init` makes when none is given
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


def code_problem(code: str) -> None:
    """Refuse a code that scripts could not pass around safely (it names the agency in `--agency CODE`)."""
    if not _CODE.fullmatch(code):
        raise InputError(f"机关代码 {code!r} 无效：应为 1 至 32 位字母、数字、“-”“_”“.”，以字母或数字开头"
                         "（例如 swj、3201-fgw，或统一社会信用代码）")


@dataclass(frozen=True)
class AgencyRow:
    """One agency as `ogi agency list` shows it."""

    code: str
    name: str
    users: int
    open_cases: int
    cases: int
    created_at: str

    def as_data(self) -> dict[str, object]:
        """JSON-ready."""
        return dict(self.__dict__)


def add_agency(db: Database, *, actor_name: str | None, code: str, name: str) -> AgencyRow:
    """Add an agency to the platform (platform admin); its admin is then added with `ogi user add --agency`."""
    code, name = code.strip(), name.strip()
    code_problem(code)
    if not name:
        raise InputError("机关名称（--name）不能为空")
    with db.unit_of_work() as session:
        platform_admin(session, actor_name, f"添加机关 {code}")
        for taken in session.exec(select(Agency).where((col(Agency.code) == code) | (col(Agency.name) == name))):
            what = f"代码 {code}" if taken.code == code else f"名称「{name}」"
            raise InputError(f"{what}已被机关 {taken.code}（{taken.name}）使用")
        agency = Agency(code=code, name=name)
        session.add(agency)
        session.flush()
        return AgencyRow(code, name, 0, 0, 0, local_time(agency.created_at))


def list_agencies(db: Database, *, actor_name: str | None) -> list[AgencyRow]:
    """The platform's agencies with their users and cases; a user of an agency sees their own agency only."""
    with db.unit_of_work() as session:
        query = select(Agency).order_by(col(Agency.code))
        if actor_name is not None:
            user = user_named(session, actor_name)
            if Role(user.role) not in PLATFORM_ROLES:
                query = query.where(Agency.id == user.agency_id)
        found = session.exec(query).all()
        users = dict(session.exec(select(col(User.agency_id), func.count()).group_by(col(User.agency_id))).all())
        cases = dict(session.exec(select(col(Application.agency_id), func.count())
                                  .group_by(col(Application.agency_id))).all())
        open_cases = dict(session.exec(select(col(Application.agency_id), func.count())
                                       .where(col(Application.state).in_([s.value for s in OPEN_STATES]))
                                       .group_by(col(Application.agency_id))).all())
        return [AgencyRow(a.code, a.name, users.get(a.id, 0), open_cases.get(a.id or 0, 0), cases.get(a.id or 0, 0),
                          local_time(a.created_at)) for a in found]
