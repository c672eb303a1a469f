"""Which 表四 column each raw decision is counted in: SPEC §7's default, overridden per agency (data, not code)."""


from collections.abc import Collection
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from states.appeals import COLUMN_LABELS, DECISIONS, KIND_LABELS, Column
from states.lifecycle import Role
from workflow.actors import Actor, require_role, resolve_actor, scope
from workflow.db import Database
from workflow.errors import InputError, YearLocked
from workflow.models import AppealMapping, LockedChange, ReportLock, utcnow
from workflow.stats import section4

_DECIDED_COLUMNS = tuple(c for c in Column if c is not Column.PENDING)


def mapping(session: Session, agency_id: int) -> dict[str, Column]:
    """Effective decision code → report column: the defaults of SPEC §7 under the agency's own rows."""
    return mappings(session, [agency_id])[agency_id]


def mappings(session: Session, agency_ids: Collection[int]) -> dict[int, dict[str, Column]]:
    """`mapping` of each agency, in one query."""
    effective = {a: {code: d.column for code, d in DECISIONS.items()} for a in agency_ids}
    for row in session.exec(select(AppealMapping).where(col(AppealMapping.agency_id).in_(list(agency_ids)))).all():
        if row.decision in effective[row.agency_id] and row.column in Column.__members__.values():
            effective[row.agency_id][row.decision] = Column(row.column)
    return effective


def _column(value: str) -> Column:
    text = value.strip()
    found = next((c for c in Column if text in (c.value, COLUMN_LABELS[c])), None)
    choices = "、".join(f"{c.value}（{COLUMN_LABELS[c]}）" for c in _DECIDED_COLUMNS)
    if found is None:
        raise InputError(f"未知的报表栏目 {value!r}；可选：{choices}")
    if found is Column.PENDING:
        raise InputError(f"「{COLUMN_LABELS[found]}」只用于年末尚无结果的案件，不能作为某一决定的栏目；可选：{choices}")
    return found


def set_mapping(db: Database, *, actor_name: str | None, agency: str | None = None, decision: str, column: str,
                today: date,
                reason: str | None = None) -> None:
    """Change the agency's report column for one decision code (负责人或管理员).

    A change that would move a figure of a locked year's 表四 is a change to a published report: only an
    admin with a reason may make it, and it is recorded for each such year (ARCHITECTURE decision 10).
    """
    with db.unit_of_work() as session:
        actor = require_role(resolve_actor(session, actor_name, agency=agency), (Role.HEAD, Role.ADMIN),
                             "修改复议、诉讼结果的统计栏目")
        found = DECISIONS.get(decision.strip())
        if found is None:
            raise InputError(f"未知的决定代码 {decision!r}（用 ogi appeal decisions 查看全部代码）")
        target = _column(column)
        _guard_locked_years(session, actor, found.code, target, today, reason)
        row = session.get(AppealMapping, (actor.agency_id, found.code))
        if row is None:
            session.add(AppealMapping(agency_id=actor.agency_id, decision=found.code, column=target.value,
                                      set_by=actor.username))
        else:
            row.column, row.set_by, row.set_at = target.value, actor.username, utcnow()


def _guard_locked_years(session: Session, actor: Actor, code: str, target: Column, today: date,
                        reason: str | None) -> None:
    before = mapping(session, actor.agency_id)
    after = {**before, code: target}
    locks = session.exec(select(ReportLock).where(ReportLock.agency_id == actor.agency_id)
                         .order_by(col(ReportLock.year))).all()
    moved = [lock for lock in locks
             if section4(session, actor.agency_id, lock.year, before) != section4(session, actor.agency_id,
                                                                                   lock.year, after)]
    if not moved:
        return
    label = f"「{DECISIONS[code].label}」改计入「{COLUMN_LABELS[target]}」"
    if actor.role is not Role.ADMIN or not reason:
        years = "、".join(f"{lock.year} 年度（{lock.locked_on} 由 {lock.locked_by} 锁定）" for lock in moved)
        raise YearLocked(f"{label}会改变已锁定的 {years} 表四数字：只有管理员填写理由（--reason）后才能修改")
    for lock in moved:
        session.add(LockedChange(agency_id=actor.agency_id, year=lock.year, case_number="（统计口径）",
                                 action=f"修改表四栏目：{label}", effective_on=today, actor=actor.username,
                                 reason=reason))


def decision_table(db: Database, *, actor_name: str | None, agency: str | None = None) -> list[dict[str, Any]]:
    """Every decision with its label, kind, default column and this agency's effective column."""
    with db.unit_of_work() as session:
        effective = mapping(session, scope(session, actor_name, agency)[1])
    return [{"code": d.code, "label": d.label, "kind": d.kind.value, "kind_label": KIND_LABELS[d.kind],
             "default_column": d.column.value, "default_column_label": COLUMN_LABELS[d.column],
             "column": effective[d.code].value, "column_label": COLUMN_LABELS[effective[d.code]],
             "overridden": effective[d.code] is not d.column} for d in DECISIONS.values()]
