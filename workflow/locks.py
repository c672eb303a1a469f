"""Locked report years (ARCHITECTURE decision 10): a locked year cannot be changed silently.

After `ogi report lock YEAR`, an action whose legal date falls in that year is refused, unless an admin
gives a reason; the change is then recorded and the year's report lists it.
"""

from datetime import date

from sqlmodel import Session, select

from states.lifecycle import Role, Transition
from workflow.actors import SYSTEM_ACTOR, Actor
from workflow.errors import YearLocked
from workflow.models import LockedChange, ReportLock


def lock_of(session: Session, agency_id: int, year: int) -> ReportLock | None:
    """The lock on an agency's year, if any."""
    return session.exec(select(ReportLock).where(ReportLock.agency_id == agency_id,
                                                 ReportLock.year == year)).first()


def locks_reaching(session: Session, agency_id: int, on: date, *, carries_over: bool = True) -> list[ReportLock]:
    """The locked years, earliest first, that a change dated `on` would alter.

    A case's date reaches every later year through 表三's carry-over rows (上年结转 / 结转下年度):
    registering or concluding a case in 2025 changes what 2026 carried in and out. So a change to a case
    alters its year and every later locked year. 表四 counts each appeal in the year it was received,
    with its state at that year's end, so an appeal's change reaches its own year only
    (`carries_over=False`).
    """
    years = ReportLock.year >= on.year if carries_over else ReportLock.year == on.year
    return list(session.exec(select(ReportLock).where(ReportLock.agency_id == agency_id, years)
                             .order_by(ReportLock.year)).all())  # type: ignore[arg-type]


def lock_reaching(session: Session, agency_id: int, on: date, *, carries_over: bool = True) -> ReportLock | None:
    """The first locked year that a change dated `on` would alter (see `locks_reaching`)."""
    locks = locks_reaching(session, agency_id, on, carries_over=carries_over)
    return locks[0] if locks else None


def guard(session: Session, *, agency_id: int, on: date, actor: str, role: Role | None, reason: str | None,
          action: str, case_number: str, application_id: int | None = None,
          appeal_id: int | None = None, alters: date | None = None) -> None:
    """Refuse a change that would alter a locked year, or record it in every such year's report when an
    admin gives a reason.

    A change dated `on` alters that day's year; `alters` names an earlier day it changes too (undoing a
    lapse removes the conclusion of the day the case lapsed). The `system` actor is refused too: a lapse
    that falls due in a locked year (the sweep did not run in time) is left for an admin to make, with a
    reason, so published figures never move by themselves.
    """
    reach = min(on, alters) if alters else on
    locks = locks_reaching(session, agency_id, reach, carries_over=appeal_id is None)
    if not locks:
        return
    if role is not Role.ADMIN or not reason:
        lock = locks[0]
        who = "" if role is Role.ADMIN or actor == SYSTEM_ACTOR else f"（当前用户 {actor} 的角色不是管理员）"
        what = (f"生效日期为 {on.isoformat()} 的「{action}」" if reach == on else
                f"生效日期为 {on.isoformat()} 的「{action}」改变 {reach.isoformat()} 的办理结果，")
        later = "" if lock.year == reach.year else f"（{reach.year} 年的变动会结转到 {lock.year} 年度）"
        raise YearLocked(f"{lock.year} 年度报告已于 {lock.locked_on.isoformat()} 由 {lock.locked_by} 锁定："
                         f"{what}会改变已锁定的年度数据{later}，只有管理员填写理由（--reason）后才能执行{who}")
    for lock in locks:  # each locked year whose figures move lists the change under its lock line
        session.add(LockedChange(agency_id=agency_id, year=lock.year, application_id=application_id,
                                 appeal_id=appeal_id, case_number=case_number, action=action, effective_on=on,
                                 actor=actor, reason=reason))


def acting_role(session: Session, actor: Actor | None, transition: Transition, on: date) -> Role | None:
    """The role an action is checked against: an admin may take anyone's action in a locked year, with a reason.

    A locked year can only be changed by an admin who says why, so the admin then acts in the place of
    the clerk or head whose action it is (`guard` then asks for the reason and records it); the event
    records the admin.
    """
    if actor is None or actor.role is not Role.ADMIN or Role.ADMIN in transition.roles:
        return actor.role if actor else None
    if lock_reaching(session, actor.agency_id, on) is None:
        return actor.role
    return next((r for r in (Role.CLERK, Role.HEAD) if r in transition.roles), actor.role)
