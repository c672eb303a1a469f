"""Who acts: the named user (or the system) with their agency, and the one role check every use case applies."""

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from states.deadlines import ClockPolicy
from states.inputs import choice_code, choices_text
from states.lifecycle import ROLE_LABELS, Role
from workflow.errors import InputError, NotFound, TransitionNotAllowed
from workflow.models import Agency, User

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class Actor:
    """Who acts: a user of an agency, or the system itself, with the agency's clock policy."""

    username: str
    role: Role
    agency_id: int
    user_id: int | None = None
    policy: ClockPolicy = field(default_factory=ClockPolicy)


def agency_policy(agency: Agency) -> ClockPolicy:
    """The agency's choices where the law leaves the clock rules open (SPEC §4)."""
    return ClockPolicy(agency.pause_on_fee, agency.pause_on_reasons)


def resolve_actor(session: Session, username: str | None, *, agency_id: int | None = None) -> Actor | None:
    """The acting user (with its agency, in one query); None when no user was named (read-only use)."""
    if username is None:
        return None
    if username == SYSTEM_ACTOR:
        agency = session.get(Agency, agency_id) if agency_id else session.exec(select(Agency)).first()
        if agency is None or agency.id is None:
            raise NotFound("数据库尚未初始化：请先运行 ogi init --agency 机关名称")
        return Actor(SYSTEM_ACTOR, Role.SYSTEM, agency.id, policy=agency_policy(agency))
    found = session.exec(select(User, Agency).join(Agency, col(User.agency_id) == col(Agency.id))
                         .where(User.username == username)).first()
    if found is None or found[0].id is None:
        raise NotFound(f"用户 {username} 不存在（用 ogi user list 查看，ogi user add 添加）")
    if not found[0].active:
        raise NotFound(f"用户 {username} 已停用，不能操作（管理员可用 ogi user enable {username} 恢复）")
    user, agency = found
    return Actor(user.username, Role(user.role), user.agency_id, user.id, agency_policy(agency))


def role_problem(actor: Actor | None, roles: Collection[Role]) -> str | None:
    """Why this user may not do something only `roles` may do (None when they may), in the machine's words."""
    allowed = "、".join(ROLE_LABELS[r] for r in roles)
    if actor is None:
        return f"未指定操作用户：请用 --as（或环境变量 OGI_USER）指定{allowed}用户"
    if actor.role not in roles:
        return f"只能由{allowed}执行，当前用户 {actor.username} 是{ROLE_LABELS[actor.role]}"
    return None


def require_role(actor: Actor | None, roles: Collection[Role], what: str) -> Actor:
    """The acting user, if one of `roles`; otherwise a refusal saying what was refused and who may do it."""
    problem = role_problem(actor, roles)
    if actor is None or problem:
        raise TransitionNotAllowed(f"不能{what}：{problem}")
    return actor


def default_agency_id(session: Session) -> int:
    """The agency when no user is named (a single-agency database); refuses an uninitialised one."""
    agency = session.exec(select(Agency)).first()
    if agency is None or agency.id is None:
        raise NotFound("数据库尚未初始化：请先运行 ogi init --agency 机关名称")
    return agency.id


def role_code(role: str) -> str:
    """A user role named by its code or Chinese label (承办人、负责人、管理员), or a refusal listing them."""
    code = choice_code("role", role)
    if code is None:
        raise InputError(f"角色 {role!r} 无效，可选：{choices_text('role')}")
    return code
