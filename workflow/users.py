"""Use cases on users: list them, disable or enable one, change a role (admins only, but listing).

An agency's admin manages the users of that agency; a platform admin manages every user, the platform's own
(supervisors, platform admins) included.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from states.lifecycle import AGENCY_ROLES, OPEN_STATES, PLATFORM_ROLES, ROLE_LABELS, Role
from workflow.actors import require_role, resolve_actor, role_code, scope, user_named
from workflow.calendar import local_time
from workflow.db import Database
from workflow.errors import InputError, NotFound
from workflow.models import Agency, Application, User

__all__ = ["UserRow", "list_users", "set_active", "set_role"]


@dataclass(frozen=True)
class UserRow:
    """One user as `ogi user list` shows it."""

    username: str
    display_name: str
    agency: str | None  # the agency's code; None for a user of the platform
    role: str
    role_label: str
    email: str | None
    active: bool
    open_cases: int  # open cases assigned to them
    created_at: str

    def as_data(self) -> dict[str, object]:
        """JSON-ready."""
        return dict(self.__dict__)


def _open_cases(session: Session, user_id: int | None) -> int:
    return session.exec(select(func.count()).select_from(Application).where(
        Application.assignee_id == user_id, col(Application.state).in_([s.value for s in OPEN_STATES]))).one()


def _row(session: Session, user: User) -> UserRow:
    role = Role(user.role)
    created: datetime = user.created_at
    agency = session.get(Agency, user.agency_id) if user.agency_id is not None else None
    return UserRow(user.username, user.display_name, agency.code if agency else None, role.value, ROLE_LABELS[role],
                   user.email, user.active, _open_cases(session, user.id), local_time(created))


def list_users(db: Database, *, actor_name: str | None, agency: str | None = None) -> list[UserRow]:
    """The users of the acting user's agency, by role then name (any named user may look: a head assigns), with
    the platform's own users, who act in every agency; a platform user sees the agency they name, or everyone."""
    with db.unit_of_work() as session:
        if actor_name is not None and agency is None and Role(user_named(session, actor_name).role) in PLATFORM_ROLES:
            users = session.exec(select(User).order_by(col(User.agency_id).is_not(None), col(User.agency_id),
                                                       col(User.role), col(User.username))).all()
            return [_row(session, u) for u in users]
        actor = require_role(resolve_actor(session, actor_name, agency=agency), (*AGENCY_ROLES, *PLATFORM_ROLES),
                             "查看用户")
        here = (col(User.agency_id) == actor.agency_id) | col(User.agency_id).is_(None)
        users = session.exec(select(User).where(here)
                             .order_by(col(User.agency_id).is_(None), col(User.role), col(User.username))).all()
        return [_row(session, u) for u in users]


def assignees(db: Database, *, actor_name: str | None, agency: str | None = None) -> list[tuple[str, str]]:
    """The users of the agency in scope a case can be assigned to, as (username, display name), by name: the
    choices of the case list's 承办人 filter (disabled users too, whose cases remain)."""
    with db.unit_of_work() as session:
        agency_id = scope(session, actor_name, agency)[1]
        users = session.exec(select(User).where(User.agency_id == agency_id).order_by(col(User.username))).all()
        return [(u.username, u.display_name or u.username) for u in users]


def user_reached(session: Session, reach: int | None, username: str) -> User:
    """The user an admin manages: in their agency (`reach`), or anybody's for a platform admin (None)."""
    query = select(User).where(User.username == username)
    user = session.exec(query if reach is None else query.where(User.agency_id == reach)).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在（用 ogi user list 查看本机关的用户）")
    return user


def _last_admin(session: Session, user: User) -> bool:
    """Whether `user` is the last active admin of their agency, or the platform's last active platform admin."""
    if user.role not in (Role.ADMIN.value, Role.PLATFORM_ADMIN.value) or not user.active:
        return False
    admins = session.exec(select(func.count()).select_from(User).where(
        User.agency_id == user.agency_id if user.agency_id is not None else col(User.agency_id).is_(None),
        User.role == user.role, col(User.active).is_(True))).one()
    return admins <= 1


def _last_admin_text(user: User) -> str:
    return "平台唯一启用的管理员（平台管理员）" if user.agency_id is None else "本机关唯一启用的管理员"


def user_admin(session: Session, actor_name: str | None, agency: str | None, what: str) -> tuple[str, int | None]:
    """Who manages accounts here and whose users they reach: an agency admin their agency's; a platform admin
    every user of the platform, or the users of the agency they name with --agency."""
    if actor_name is not None and agency is None and user_named(session, actor_name).role == Role.PLATFORM_ADMIN:
        return actor_name, None
    actor = require_role(resolve_actor(session, actor_name, agency=agency), (Role.ADMIN,), what)
    return actor.username, actor.agency_id


def set_active(db: Database, *, actor_name: str | None, username: str, active: bool,
               agency: str | None = None) -> UserRow:
    """Disable a user (refused everywhere from then on, their past actions stay on record) or enable them again."""
    what = f"{'启用' if active else '停用'}用户 {username}"
    with db.unit_of_work() as session:
        admin_name, reach = user_admin(session, actor_name, agency, what)
        user = user_reached(session, reach, username)
        if user.active == active:
            raise InputError(f"用户 {username} 已经是{'启用' if active else '停用'}状态")
        if not active and user.username == admin_name:
            raise InputError("不能停用自己（请由另一位管理员操作）")
        if not active and _last_admin(session, user):
            raise InputError(f"{username} 是{_last_admin_text(user)}，不能停用")
        user.active = active
        session.add(user)
        session.flush()
        return _row(session, user)


def set_role(db: Database, *, actor_name: str | None, username: str, role: str,
             agency: str | None = None) -> UserRow:
    """Give a user another role (承办人、负责人、管理员 within an agency; 主管部门、平台管理员 within the
    platform); the last admin keeps theirs."""
    code = role_code(role)
    with db.unit_of_work() as session:
        reach = user_admin(session, actor_name, agency, f"修改用户 {username} 的角色")[1]
        user = user_reached(session, reach, username)
        if user.role == code:
            raise InputError(f"用户 {username} 的角色已是{ROLE_LABELS[Role(code)]}")
        if _last_admin(session, user):
            raise InputError(f"{username} 是{_last_admin_text(user)}，不能改为其他角色")
        if (Role(code) in PLATFORM_ROLES) != (user.agency_id is None):
            kind = "平台" if user.agency_id is None else "机关"
            fits = PLATFORM_ROLES if user.agency_id is None else AGENCY_ROLES
            raise InputError(f"{username} 是{kind}用户，只能改为{kind}的角色"
                             f"（{'、'.join(ROLE_LABELS[r] for r in fits)}）；改变所属请新建用户")
        user.role = code
        session.add(user)
        session.flush()
        return _row(session, user)
