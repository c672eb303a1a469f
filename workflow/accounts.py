"""Logging in to the web workbench (ARCHITECTURE decision 12): argon2 password hashes, a wait after repeated
failures, and the account a signed session stands for (checked anew on every request)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from states.lifecycle import PLATFORM_ROLES, ROLE_LABELS, Role
from workflow.actors import user_named
from workflow.calendar import local_time
from workflow.db import Database
from workflow.errors import InputError, LoginRefused
from workflow.models import Agency, User
from workflow.users import user_admin, user_reached

__all__ = ["MAX_FAILURES", "MIN_PASSWORD", "Account", "authenticate", "change_password", "session_account",
           "set_password"]

MIN_PASSWORD = 8
MAX_FAILURES = 5  # failed logins in a row after which the account waits before the next try
FIRST_WAIT = timedelta(minutes=1)  # doubled with each further failure, up to LONGEST_WAIT
LONGEST_WAIT = timedelta(hours=1)
WRONG = "用户名或密码不正确"

_hasher = PasswordHasher()
# Verified when the username is unknown, so that a wrong name costs as much time as a wrong password.
_DUMMY = _hasher.hash("ogi-workflow: no such user")


@dataclass(frozen=True)
class Account:
    """The logged-in user as the pages show them; `stamp` ties a session to the password it was opened with."""

    username: str
    display_name: str
    role: str
    role_label: str
    agency: str | None  # the agency's code; None for a user of the platform (supervisor, platform admin)
    agency_name: str | None
    stamp: str

    @property
    def platform(self) -> bool:
        """Whether the user belongs to the platform rather than one agency."""
        return Role(self.role) in PLATFORM_ROLES


def _stamp(user: User) -> str:
    return user.password_set_at.isoformat() if user.password_set_at else ""


def _account(session: Session, user: User) -> Account:
    agency = session.get(Agency, user.agency_id) if user.agency_id is not None else None
    return Account(user.username, user.display_name or user.username, user.role, ROLE_LABELS[Role(user.role)],
                   agency.code if agency else None, agency.name if agency else None, _stamp(user))


def password_problem(password: str, username: str) -> str | None:
    """Why a new password is refused (None when it is acceptable)."""
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符"
    if password.strip() != password:
        return "密码首尾不能有空格"
    if password.lower() == username.lower():
        return "密码不能与用户名相同"
    return None


def _store(user: User, password: str, now: datetime) -> None:
    if problem := password_problem(password, user.username):
        raise InputError(f"不能设置用户 {user.username} 的密码：{problem}")
    user.password_hash = _hasher.hash(password)
    user.password_set_at = now
    user.failed_logins = 0
    user.locked_until = None


def set_password(db: Database, *, actor_name: str | None, username: str, password: str,
                 agency: str | None = None, now: datetime | None = None) -> None:
    """`ogi user password NAME` / 管理 › 重置密码: an admin sets a user's password (sessions opened with the old
    one end), or a user names themself."""
    now = now or datetime.now(UTC)
    with db.unit_of_work() as session:
        if actor_name is not None and actor_name == username:
            user = user_named(session, username)
        else:
            reach = user_admin(session, actor_name, agency, f"设置用户 {username} 的密码")[1]
            user = user_reached(session, reach, username)
        _store(user, password, now)
        session.add(user)


def change_password(db: Database, *, username: str, current: str, new: str, now: datetime | None = None) -> None:
    """A logged-in user changes their own password, giving the current one."""
    now = now or datetime.now(UTC)
    with db.unit_of_work() as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None or not _matches(user, current):
            raise InputError("当前密码不正确，密码未修改")
        if new == current:
            raise InputError("新密码不能与当前密码相同")
        _store(user, new, now)
        session.add(user)


def _matches(user: User, password: str) -> bool:
    try:
        return user.password_hash is not None and _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _wait(failures: int) -> timedelta:
    """How long an account waits after its `failures`-th failed login in a row (nothing before the fifth)."""
    if failures < MAX_FAILURES:
        return timedelta(0)
    return min(FIRST_WAIT * (1 << min(failures - MAX_FAILURES, 12)), LONGEST_WAIT)


def authenticate(db: Database, *, username: str, password: str, now: datetime | None = None) -> Account:
    """Log in: the account, or LoginRefused. Five failures in a row make the account wait (one minute,
    doubling to an hour) before any next try is even checked; a success resets the count. A failure is
    committed before it is reported: the count must survive the refusal."""
    now = now or datetime.now(UTC)
    with db.unit_of_work() as session:
        outcome = _try(session, username.strip(), password, now)
    if isinstance(outcome, str):
        raise LoginRefused(outcome)
    return outcome


def _aware(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime (SQLite gives them back naive)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _try(session: Session, username: str, password: str, now: datetime) -> Account | str:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        _hasher.verify(_DUMMY, "ogi-workflow: no such user")  # as slow as a wrong password
        return WRONG
    locked = _aware(user.locked_until)
    if locked is not None and locked > now:
        return f"登录失败次数过多，账户暂停登录，请于 {local_time(locked)} 后再试"
    if not _matches(user, password):
        user.failed_logins += 1
        wait = _wait(user.failed_logins)
        user.locked_until = now + wait if wait else None
        session.add(user)
        if wait:
            return f"{WRONG}；已连续失败 {user.failed_logins} 次，请于 {local_time(now + wait)} 后再试"
        return WRONG
    if not user.active:
        return f"账户 {user.username} 已停用，请联系管理员"
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    return _account(session, user)


def session_account(db: Database, *, username: str, stamp: str) -> Account | None:
    """The account a session cookie names, if it still stands: the user exists, is active, and has not had
    their password changed since the session was opened."""
    with db.unit_of_work() as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None or not user.active or user.password_hash is None or _stamp(user) != stamp:
            return None
        return _account(session, user)
