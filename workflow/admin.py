"""Administrative use cases: set up the database, add users, maintain the calendar."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from states.appeals import CLOCK_OF, AppealKind, AppealState
from states.lifecycle import PLATFORM_ROLES, ROLE_LABELS, Role, State
from states.workdays import DAY_KIND_LABELS
from workflow import calendar_store
from workflow.actors import Actor, platform_admin, require_role, resolve_actor, role_code, scope
from workflow.agencies import DEFAULT_CODE, code_problem
from workflow.appeal_clock import appeal_due
from workflow.calendar import BASE_YEARS, WorkingCalendar
from workflow.cases import context, policy_of, refresh_clocks
from workflow.db import Database
from workflow.errors import InputError, WorkflowError
from workflow.models import Agency, AgencyProfile, Appeal, Application, CaseClock, Event, User, utcnow
from workflow.progress import Progress, silent


def init(db: Database, *, agency: str, code: str = DEFAULT_CODE, admin: str = "admin") -> None:
    """Create the schema, the platform's first agency and its platform admin `admin` (idempotent).

    A county bureau runs a one-agency platform and never meets the word: its admin administers the platform,
    its calendar and its one agency. More agencies are added by `ogi agency add`.

    An empty database gets the newest schema, its revision recorded; one at that revision is left as it is; one
    behind the code (0.1.0's) or ahead of it is refused before anything is written: `ogi db upgrade` first.
    """
    if not agency.strip():
        raise InputError("机关名称（--agency）不能为空")
    code_problem(code)
    db.create_schema()
    with db.unit_of_work() as session:
        existing = session.exec(select(Agency).order_by(col(Agency.id))).first()
        if existing is not None and session.exec(select(Agency).where(Agency.name == agency)).first() is None:
            raise WorkflowError(f"数据库已初始化为「{existing.name}」，不能再初始化为「{agency}」；"
                                f"在同一平台上增加机关请用 ogi agency add --code 代码 --name {agency}")
        if existing is None:
            session.add(Agency(code=code, name=agency))
        if session.exec(select(User).where(User.username == admin)).first() is None:
            session.add(User(agency_id=None, username=admin, display_name="平台管理员",
                             role=Role.PLATFORM_ADMIN.value))


def add_user(db: Database, *, actor_name: str | None, username: str, role: str, agency: str | None = None,
             display_name: str | None = None, email: str | None = None) -> None:
    """Add a clerk, head or admin to an agency (the acting admin's, or the one a platform admin names), or,
    by a platform admin, a supervisor or platform admin of the platform; the role by its code or label."""
    role = role_code(role)
    if not username.strip() or username == "system":
        raise InputError(f"用户名 {username!r} 不可用")
    if email is not None and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise InputError(f"电子邮箱 {email!r} 格式不正确")
    with db.unit_of_work() as session:
        if Role(role) in PLATFORM_ROLES:
            platform_admin(session, actor_name, f"添加{ROLE_LABELS[Role(role)]}用户 {username}")
            if agency is not None:
                raise InputError(f"{ROLE_LABELS[Role(role)]}属于平台而不属于某个机关：添加时不要用 --agency")
            agency_id = None
        else:
            agency_id = _admin(session, actor_name, f"添加用户 {username}", agency).agency_id
        if session.exec(select(User).where(User.username == username)).first() is not None:
            raise InputError(f"用户 {username} 已存在")
        session.add(User(agency_id=agency_id, username=username,
                         display_name=display_name or username, role=role, email=email))


def _admin(session: Session, actor_name: str | None, what: str, agency: str | None = None) -> Actor:
    return require_role(resolve_actor(session, actor_name, agency=agency), (Role.ADMIN,), what)


@dataclass(frozen=True)
class DueChange:
    """A clock whose due date moved when the calendar changed."""

    number: str
    clock: str
    old: date
    new: date
    agency: str = ""  # the agency's code: a platform calendar moves every agency's deadlines


def recompute_open_cases(session: Session, today: date, progress: Progress = silent) -> list[DueChange]:
    """Recompute every open case's clocks on the current calendar; return the due dates that moved."""
    is_open = col(Application.state) != State.CONCLUDED.value
    apps = session.exec(select(Application).where(is_open)).all()
    codes = {a.id or 0: a.code for a in session.exec(select(Agency)).all()}
    events: dict[int, list[Event]] = defaultdict(list)
    for e in session.exec(select(Event).join(Application).where(is_open).order_by(col(Event.seq))).all():
        events[e.application_id].append(e)
    clocks: dict[int, list[CaseClock]] = defaultdict(list)
    for c in session.exec(select(CaseClock).join(Application).where(is_open)).all():
        clocks[c.application_id].append(c)
    calendar = calendar_store.load_calendar(session)
    policies: dict[int, Any] = {}
    changes: list[DueChange] = []
    for done, app in enumerate(apps):
        if done % 200 == 0:
            progress(done, len(apps))
        assert app.id is not None
        policy = policies.setdefault(app.agency_id, policy_of(session, app.agency_id))
        moved = refresh_clocks(session, context(app, events[app.id], calendar, policy), today, clocks[app.id])
        changes.extend(DueChange(app.number, kind, old, new, codes[app.agency_id])
                       for kind, (old, new) in moved.items())
    changes += _recompute_open_appeals(session, calendar, codes)
    return sorted(changes, key=lambda c: (c.agency, c.number, c.clock))


def _recompute_open_appeals(session: Session, calendar: WorkingCalendar, codes: dict[int, str]) -> list[DueChange]:
    """Re-date the reply/defence clocks of appeals still waiting for the agency (the sweep reads `due_on`)."""
    waiting = col(Appeal.state) == AppealState.FILED.value
    changes = []
    for appeal, number in session.exec(select(Appeal, col(Application.number))
                                       .join(Application, col(Application.id) == col(Appeal.application_id))
                                       .where(waiting)).all():
        kind = AppealKind(appeal.kind)
        due = appeal_due(calendar, kind, appeal.received_on)
        if appeal.due_on is not None and due != appeal.due_on:
            changes.append(DueChange(number, CLOCK_OF[kind].value, appeal.due_on, due, codes[appeal.agency_id]))
        appeal.due_on = due
    return changes


def calendar_set(db: Database, *, actor_name: str | None, day: date, working: bool, source: str,
                 today: date, progress: Progress = silent) -> list[DueChange]:
    """Override one day (platform admin: one calendar for the whole platform), e.g. a rest day an autonomous
    region declares (广西「壮族三月三」) with its notice as source; then recompute every agency's open cases and
    report the deadlines that moved."""
    with db.unit_of_work() as session:
        actor = platform_admin(session, actor_name, f"修改 {day} 的工作日安排")
        calendar_store.set_day(session, day=day, working=working, source=source, by=actor.username)
        session.flush()
        return recompute_open_cases(session, today, progress)


class _Preview(Exception):
    """Carries a dry run's result out of its transaction, which is then rolled back."""

    def __init__(self, result: tuple[int, list[DueChange]]) -> None:
        super().__init__("preview")
        self.result = result


def calendar_import(db: Database, *, actor_name: str | None, path: Path, today: date,
                    progress: Progress = silent, dry_run: bool = False) -> tuple[int, list[DueChange]]:
    """Import a whole year's notice (platform admin), then recompute open cases and report moved deadlines;
    `dry_run`: the same, all rolled back, to preview which deadlines would move before confirming."""
    notice = calendar_store.parse_notice(path)
    try:
        with db.unit_of_work() as session:
            actor = platform_admin(session, actor_name, f"导入 {notice.year} 年放假安排")
            calendar_store.import_year(session, notice, by=actor.username)
            session.flush()
            result = notice.year, recompute_open_cases(session, today, progress)
            if dry_run:
                raise _Preview(result)
            return result
    except _Preview as preview:
        return preview.result


_NAMED = ("reconsideration_body", "court", "payment")


def agency_settings(db: Database, *, actor_name: str | None, agency: str | None = None,
                    pause_on_fee: bool | None = None,
                    pause_on_reasons: bool | None = None, named: dict[str, str | None] | None = None) -> dict[str, Any]:
    """Show or change where the response clock pauses (SPEC §4 Decisions), for notices issued from now on.

    Each fee notice and request for reasons records the policy in force when it was issued, so a change
    never rewrites a pause that already happened.
    """
    changes = {k: v for k, v in (named or {}).items() if v is not None}
    unknown = set(changes) - set(_NAMED)
    if unknown:
        raise InputError(f"未知的设置项：{'、'.join(sorted(unknown))}")
    with db.unit_of_work() as session:
        changing = (pause_on_fee, pause_on_reasons) != (None, None) or bool(changes)
        actor = _admin(session, actor_name, "修改机关设置", agency) if changing else None
        found = session.get(Agency, actor.agency_id if actor else scope(session, actor_name, agency)[1])
        assert found is not None and found.id is not None
        if pause_on_fee is not None:
            found.pause_on_fee = pause_on_fee
        if pause_on_reasons is not None:
            found.pause_on_reasons = pause_on_reasons
        profile = session.get(AgencyProfile, found.id)
        if changes and actor is not None:
            profile = profile or AgencyProfile(agency_id=found.id, updated_by=actor.username)
            for key, value in changes.items():
                setattr(profile, key, value.strip() or None)  # an empty value goes back to the generic wording
            profile.updated_by, profile.updated_at = actor.username, utcnow()
            session.add(profile)
        return {"agency": found.name, "agency_code": found.code, "pause_on_fee": found.pause_on_fee,
                "pause_on_reasons": found.pause_on_reasons,
                **{k: getattr(profile, k) if profile else None for k in _NAMED}}


def calendar_show(db: Database, *, year: int) -> dict[str, Any]:
    """A year's rest days and 调休 working days, their source, and whether the year is known."""
    if not 2000 <= year <= 2100:
        raise InputError("年份应在 2000 至 2100 之间")
    with db.unit_of_work() as session:
        cal = calendar_store.load_calendar(session)
    days = cal.special_days(year)
    start = date(year, 1, 1)
    total = sum(1 for i in range((date(year, 12, 31) - start).days + 1) if cal.is_workday(start + timedelta(days=i)))
    return {
        "year": year,
        "known": cal.known(year),
        "source": cal.year_source(year),
        "in_library": year in BASE_YEARS,
        "working_days": total,
        "rest_days": [{"date": d.day.isoformat(), "kind": d.kind.value, "label": DAY_KIND_LABELS[d.kind],
                       "name": d.name, "source": d.source} for d in days if not d.working],
        "adjusted_working_days": [{"date": d.day.isoformat(), "kind": d.kind.value, "label": DAY_KIND_LABELS[d.kind],
                                   "name": d.name, "source": d.source} for d in days if d.working],
    }
