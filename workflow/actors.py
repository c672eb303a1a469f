"""Who acts, and in which agency: the one place that scopes every use case to an agency (SPEC §12).

A user of an agency (clerk, head, admin) sees that agency only: another agency's cases do not exist for them.
A platform user (supervisor, platform_admin) belongs to no agency and names the one they work in with
`--agency CODE` (needless while the platform has one agency); a platform admin acts there with an admin's
rights, a supervisor reads and acts on nothing. With no user named (read-only use of the CLI), the scope is
the agency named, or the only one.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from states.deadlines import ClockPolicy
from states.inputs import choice_code, choices_text
from states.lifecycle import PLATFORM_ROLES, ROLE_LABELS, Role
from workflow.errors import InputError, NotFound, TransitionNotAllowed
from workflow.models import Agency, User

SYSTEM_ACTOR = "system"
NOT_INITIALISED = "数据库尚未初始化：请先运行 ogi init --agency 机关名称"


@dataclass(frozen=True)
class Actor:
    """Who acts in one agency: a user, or the system itself, with the agency's clock policy.

    `role` is the role in that agency (a platform admin acts as its admin); `account` is the user's own role.
    """

    username: str
    role: Role
    agency_id: int
    user_id: int | None = None
    policy: ClockPolicy = field(default_factory=ClockPolicy)
    agency_code: str = ""
    account: Role | None = None

    @property
    def account_role(self) -> Role:
        """The role stored with the user (a platform role, or the same as `role`)."""
        return self.account or self.role


def agency_policy(agency: Agency) -> ClockPolicy:
    """The agency's choices where the law leaves the clock rules open (SPEC §4)."""
    return ClockPolicy(agency.pause_on_fee, agency.pause_on_reasons)


def user_named(session: Session, username: str) -> User:
    """The active user of that name, or a refusal saying how to find one."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or user.id is None:
        raise NotFound(f"用户 {username} 不存在（用 ogi user list 查看，ogi user add 添加）")
    if not user.active:
        raise NotFound(f"用户 {username} 已停用，不能操作（管理员可用 ogi user enable {username} 恢复）")
    return user


def agencies(session: Session) -> Sequence[Agency]:
    """Every agency of the platform, by code."""
    return session.exec(select(Agency).order_by(col(Agency.code))).all()


def _codes(found: Sequence[Agency]) -> str:
    return "、".join(f"{a.code}（{a.name}）" for a in found)


def agency_by_code(session: Session, code: str | None) -> Agency:
    """The agency named by `--agency CODE`, or the platform's only agency when none is named."""
    if code is not None:
        agency = session.exec(select(Agency).where(Agency.code == code)).first()
        if agency is None:
            raise NotFound(f"机关 {code} 不存在（用 ogi agency list 查看平台上的机关）")
        return agency
    found = agencies(session)
    if not found:
        raise NotFound(NOT_INITIALISED)
    if len(found) > 1:
        raise InputError(f"平台上有 {len(found)} 个机关，请用 --agency 指定机关代码：{_codes(found)}")
    return found[0]


def _actor(user: User | None, agency: Agency, role: Role, account: Role | None = None) -> Actor:
    assert agency.id is not None
    name = user.username if user else SYSTEM_ACTOR
    return Actor(name, role, agency.id, user.id if user else None, agency_policy(agency), agency.code, account)


def resolve_actor(session: Session, username: str | None, *, agency: str | None = None,
                  agency_id: int | None = None) -> Actor | None:
    """The acting user in the agency they act in; None when no user was named (read-only use).

    `agency` is the code the user named; `agency_id` tells the system actor (the sweep) whose case it acts on.
    """
    if username is None:
        return None
    if username == SYSTEM_ACTOR:
        found = session.get(Agency, agency_id) if agency_id else agency_by_code(session, agency)
        if found is None:
            raise NotFound(NOT_INITIALISED)
        return _actor(None, found, Role.SYSTEM)
    user = user_named(session, username)
    role = Role(user.role)
    if role in PLATFORM_ROLES:
        acting = Role.ADMIN if role is Role.PLATFORM_ADMIN else role
        return _actor(user, agency_by_code(session, agency), acting, role)
    own = session.get(Agency, user.agency_id)
    if own is None or (agency is not None and agency != own.code):
        raise NotFound(f"机关 {agency} 不存在（用 ogi agency list 查看平台上的机关）")  # others do not exist for them
    return _actor(user, own, role)


def scope(session: Session, username: str | None, agency: str | None = None) -> tuple[Actor | None, int]:
    """The acting user (None when nobody is named) and the agency a use case works in."""
    actor = resolve_actor(session, username, agency=agency)
    return actor, actor.agency_id if actor else default_agency_id(session, agency)


def visible_agencies(session: Session, username: str | None, agency: str | None,
                     every: bool) -> tuple[Actor | None, list[Agency]]:
    """The agencies a read covers: the one in scope, or with `every` (`--all-agencies`) all of them, which
    only the supervising office, a platform admin or an unnamed operator may ask for."""
    if not every:
        actor, agency_id = scope(session, username, agency)
        one = session.get(Agency, agency_id)
        assert one is not None
        return actor, [one]
    if agency is not None:
        raise InputError("--all-agencies 与 --agency 不能同时使用")
    if username is None:
        return None, list(agencies(session))
    user = user_named(session, username)
    if Role(user.role) not in PLATFORM_ROLES:
        raise TransitionNotAllowed(f"不能查看全部机关：只能由{ROLE_LABELS[Role.SUPERVISOR]}、"
                                   f"{ROLE_LABELS[Role.PLATFORM_ADMIN]}查看，当前用户 {username} 是"
                                   f"{ROLE_LABELS[Role(user.role)]}")
    found = list(agencies(session))
    if not found:
        raise NotFound(NOT_INITIALISED)
    return resolve_actor(session, username, agency=found[0].code), found


def role_problem(actor: Actor | None, roles: Collection[Role]) -> str | None:
    """Why this user may not do something only `roles` may do (None when they may), in the machine's words."""
    allowed = "、".join(ROLE_LABELS[r] for r in roles)
    if actor is None:
        return f"未指定操作用户：请用 --as（或环境变量 OGI_USER）指定{allowed}用户"
    if actor.role not in roles and actor.account_role not in roles:
        return f"只能由{allowed}执行，当前用户 {actor.username} 是{ROLE_LABELS[actor.account_role]}"
    return None


def require_role(actor: Actor | None, roles: Collection[Role], what: str) -> Actor:
    """The acting user, if one of `roles`; otherwise a refusal saying what was refused and who may do it."""
    problem = role_problem(actor, roles)
    if actor is None or problem:
        raise TransitionNotAllowed(f"不能{what}：{problem}")
    return actor


def platform_admin(session: Session, username: str | None, what: str) -> User:
    """The acting platform administrator (agencies, the calendar, platform settings), or a refusal."""
    label = ROLE_LABELS[Role.PLATFORM_ADMIN]
    if username is None:
        raise TransitionNotAllowed(f"不能{what}：未指定操作用户：请用 --as（或环境变量 OGI_USER）指定{label}用户")
    user = user_named(session, username)
    if user.role != Role.PLATFORM_ADMIN.value:
        raise TransitionNotAllowed(f"不能{what}：只能由{label}执行，"
                                   f"当前用户 {username} 是{ROLE_LABELS[Role(user.role)]}")
    return user


def default_agency_id(session: Session, agency: str | None = None) -> int:
    """The agency when no user is named: the one named by code, or the platform's only one."""
    found = agency_by_code(session, agency)
    assert found.id is not None
    return found.id


def role_code(role: str) -> str:
    """A user role named by its code or Chinese label (承办人、负责人、管理员…), or a refusal listing them."""
    code = choice_code("role", role)
    if code is None:
        raise InputError(f"角色 {role!r} 无效，可选：{choices_text('role')}")
    return code
