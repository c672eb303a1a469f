"""Use cases on an agency's users: list them, disable or enable one, change a role (admins only, but listing)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from states.lifecycle import OPEN_STATES, ROLE_LABELS, Role
from workflow.actors import Actor, require_role, resolve_actor, role_code
from workflow.calendar import local_time
from workflow.db import Database
from workflow.errors import InputError, NotFound
from workflow.models import Application, User

__all__ = ["UserRow", "list_users", "set_active", "set_role"]


@dataclass(frozen=True)
class UserRow:
    """One user as `ogi user list` shows it."""

    username: str
    display_name: str
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
    return UserRow(user.username, user.display_name, role.value, ROLE_LABELS[role], user.email, user.active,
                   _open_cases(session, user.id), local_time(created))


def list_users(db: Database, *, actor_name: str | None) -> list[UserRow]:
    """The users of the acting user's agency, by role then name (any named user may look: a head assigns)."""
    with db.unit_of_work() as session:
        actor = require_role(resolve_actor(session, actor_name), (Role.CLERK, Role.HEAD, Role.ADMIN), "查看用户")
        users = session.exec(select(User).where(User.agency_id == actor.agency_id)
                             .order_by(col(User.role), col(User.username))).all()
        return [_row(session, u) for u in users]


def _target(session: Session, actor: Actor, username: str) -> User:
    user = session.exec(select(User).where(User.username == username, User.agency_id == actor.agency_id)).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在（用 ogi user list 查看本机关的用户）")
    return user


def _last_admin(session: Session, user: User) -> bool:
    admins = session.exec(select(func.count()).select_from(User).where(
        User.agency_id == user.agency_id, User.role == Role.ADMIN.value, col(User.active).is_(True))).one()
    return user.role == Role.ADMIN.value and user.active and admins <= 1


def set_active(db: Database, *, actor_name: str | None, username: str, active: bool) -> UserRow:
    """Disable a user (refused everywhere from then on, their past actions stay on record) or enable them again."""
    what = f"{'启用' if active else '停用'}用户 {username}"
    with db.unit_of_work() as session:
        actor = require_role(resolve_actor(session, actor_name), (Role.ADMIN,), what)
        user = _target(session, actor, username)
        if user.active == active:
            raise InputError(f"用户 {username} 已经是{'启用' if active else '停用'}状态")
        if not active and user.username == actor.username:
            raise InputError("不能停用自己（请由另一位管理员操作）")
        if not active and _last_admin(session, user):
            raise InputError(f"{username} 是本机关唯一启用的管理员，不能停用")
        user.active = active
        session.add(user)
        session.flush()
        return _row(session, user)


def set_role(db: Database, *, actor_name: str | None, username: str, role: str) -> UserRow:
    """Give a user another role (承办人、负责人、管理员); the last admin keeps theirs."""
    code = role_code(role)
    with db.unit_of_work() as session:
        actor = require_role(resolve_actor(session, actor_name), (Role.ADMIN,), f"修改用户 {username} 的角色")
        user = _target(session, actor, username)
        if user.role == code:
            raise InputError(f"用户 {username} 的角色已是{ROLE_LABELS[Role(code)]}")
        if code != Role.ADMIN.value and _last_admin(session, user):
            raise InputError(f"{username} 是本机关唯一启用的管理员，不能改为其他角色")
        user.role = code
        session.add(user)
        session.flush()
        return _row(session, user)
