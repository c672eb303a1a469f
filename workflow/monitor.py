"""What the alert machinery did: the alert list, retries, and the status a duty officer checks."""

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func
from sqlmodel import Session, col, select

from notifications.policy import ALERT_KIND_LABELS
from states.clocks import RULES, ClockKind
from workflow.actors import visible_agencies
from workflow.alerts import expired_periods
from workflow.calendar import local_time
from workflow.calendar_store import load_calendar
from workflow.db import Database
from workflow.errors import InputError, NotFound
from workflow.models import Alert, AlertQueue, AlertRead, Application, Delivery, SweepRun, User, utcnow

DELIVERY_STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}
UNFINISHED = timedelta(hours=1)  # a sweep still unfinished this long after its start was most likely killed


def list_alerts(db: Database, *, pending: bool = False, failed: bool = False, limit: int = 500,
                actor_name: str | None = None, agency: str | None = None,
                all_agencies: bool = False, unread: bool = False) -> list[dict[str, Any]]:
    """Alerts of the agency in scope (or, for the supervising office, of every agency), newest first, each with
    its case, clock, kind, due date, raised day, recipients and deliveries (`queued`: raised but not fanned out
    into deliveries yet; the next delivery run does that), and whether the acting user has read it (`read`;
    `unread`: only those they have not)."""
    with db.unit_of_work() as session:
        actor, visible = visible_agencies(session, actor_name, agency, all_agencies)
        reader = actor.user_id if actor is not None else None
        if unread and reader is None:
            raise InputError("--unread 需要用 --as（或环境变量 OGI_USER）指定你是谁：每个用户标记自己读过的提醒")
        codes = {a.id: a.code for a in visible}
        through = _read_through(session, reader)
        query = (select(Alert, col(Application.number), col(Alert.agency_id))
                 .join(Application, col(Application.id) == col(Alert.application_id))
                 .order_by(col(Alert.id).desc()).limit(limit))
        if not all_agencies:  # along ix_alert_agency (agency, id), newest first
            query = query.where(col(Alert.agency_id).in_(list(codes)))
        if pending or failed:
            states = (["pending", "sending"] if pending else []) + (["failed"] if failed else [])
            wanted: ColumnElement[bool] = col(Alert.id).in_(
                select(Delivery.alert_id).where(col(Delivery.status).in_(states)))
            if pending:  # an alert not fanned out yet is pending on every channel
                wanted = wanted | col(Alert.id).in_(select(AlertQueue.alert_id))
            query = query.where(wanted)
        if unread:  # newer than the user's 「全部标为已读」 and not read one by one since
            query = query.where(col(Alert.id) > through, ~exists().where(
                col(AlertRead.alert_id) == col(Alert.id), col(AlertRead.user_id) == reader))
        rows = session.exec(query).all()
        ids = [a.id for a, _, _ in rows]
        read = set(session.exec(select(AlertRead.alert_id).where(
            AlertRead.user_id == reader, col(AlertRead.alert_id).in_(ids))).all()) if reader is not None else set()
        read |= {i for i in ids if i is not None and i <= through} if reader is not None else set()
        queued = set(session.exec(select(AlertQueue.alert_id).where(col(AlertQueue.alert_id).in_(ids))).all())
        deliveries: dict[int, list[dict[str, Any]]] = {}
        for d in session.exec(select(Delivery).where(col(Delivery.alert_id).in_(ids)).order_by(col(Delivery.id))):
            deliveries.setdefault(d.alert_id, []).append({
                "channel": d.channel, "recipient": d.recipient, "status": d.status,
                "status_label": DELIVERY_STATUS_LABELS[d.status], "attempts": d.attempts,
                "last_error": d.last_error, "sent_at": d.sent_at.isoformat() if d.sent_at else None})
        return [{"id": a.id, "agency": codes.get(agency_id), "number": number, "clock": a.clock,
                 "clock_label": RULES[ClockKind(a.clock)].label,
                 "kind": a.kind, "kind_label": ALERT_KIND_LABELS[a.kind], "due_on": a.due_on.isoformat(),
                 "fire_on": a.fire_on.isoformat(), "raised_on": a.raised_on.isoformat(), "recipients": a.recipients,
                 "message": a.message, "queued": a.id in queued, "read": a.id in read,
                 "deliveries": deliveries.get(a.id or 0, [])} for a, number, agency_id in rows]


def mark_read(db: Database, *, actor_name: str | None, alert_ids: Collection[int] | None = None,
              agency: str | None = None, all_agencies: bool = False) -> int:
    """Mark alerts read for the acting user only (`alert_ids`; None: every alert they can see); returns how many
    were newly marked. An id the user cannot see (another agency's alert, or none at all) is refused, and then
    nothing is marked."""
    with db.unit_of_work() as session:
        actor, visible = visible_agencies(session, actor_name, agency, all_agencies)
        if actor is None or actor.user_id is None:
            raise InputError("标记已读需要用 --as（或环境变量 OGI_USER）指定你是谁：每个用户标记自己读过的提醒")
        user = session.get(User, actor.user_id)
        assert user is not None
        through = user.alerts_read_through or 0
        seen = select(Alert.id)
        if not all_agencies:
            seen = seen.where(col(Alert.agency_id).in_([a.id for a in visible]))
        unmarked = seen.where(col(Alert.id) > through, ~exists().where(
            col(AlertRead.alert_id) == col(Alert.id), col(AlertRead.user_id) == actor.user_id))
        if alert_ids is None:  # 「全部标为已读」: one mark on the user, however many alerts it covers
            count = session.exec(select(func.count()).select_from(unmarked.subquery())).one()
            newest = session.exec(select(func.max(Alert.id))).one()
            if newest is not None and newest > through:
                user.alerts_read_through = newest
                session.add(user)
            return int(count)
        wanted = set(alert_ids)
        found = set(session.exec(seen.where(col(Alert.id).in_(wanted))).all())
        missing = sorted(wanted - found)
        if missing:
            raise NotFound(f"没有编号为 {'、'.join(map(str, missing))} 的提醒（或不属于你所在的机关）")
        fresh = sorted(i for i in session.exec(unmarked.where(col(Alert.id).in_(wanted))).all() if i is not None)
        session.add_all(AlertRead(alert_id=i, user_id=actor.user_id) for i in fresh)
        return len(fresh)


def _read_through(session: Session, user_id: int | None) -> int:
    """The id up to which the user has marked every alert read (0: none)."""
    if user_id is None:
        return 0
    user = session.get(User, user_id)
    return (user.alerts_read_through or 0) if user is not None else 0


def retry_failed(db: Database) -> int:
    """Put every failed delivery back in the queue; returns how many."""
    with db.unit_of_work() as session:
        rows = session.exec(select(Delivery).where(Delivery.status == "failed")).all()
        for row in rows:
            row.status, row.attempts, row.next_attempt_at = "pending", 0, utcnow()
        return len(rows)


def status(db: Database, *, today: date, max_age: timedelta, now: datetime | None = None) -> dict[str, Any]:
    """The last sweep, the outbox, and warnings: no recent sweep; next year's calendar unknown from 1 November."""
    now = now or utcnow()
    with db.unit_of_work() as session:
        last = session.exec(select(SweepRun).order_by(col(SweepRun.id).desc()).limit(1)).first()
        counts = dict(session.exec(select(Delivery.status, func.count()).group_by(col(Delivery.status))).all())
        queued = session.exec(select(func.count()).select_from(AlertQueue)).one()
        cal = load_calendar(session)
    warnings = []
    if last is None:
        warnings.append("从未运行过提醒扫描：请运行 ogi scheduler（或定时执行 ogi alerts sweep）")
    elif now - last.started_at > max_age:
        hours = int((now - last.started_at).total_seconds() // 3600)
        warnings.append(f"已有 {hours} 小时没有运行提醒扫描（上次：北京时间 {local_time(last.started_at)}）："
                        "提醒和自动办结可能未执行")
    if last is not None and last.error:
        warnings.append(f"上次扫描出错：{last.error}")
    elif last is not None and last.finished_at is None and now - last.started_at > UNFINISHED:
        hours = int((now - last.started_at).total_seconds() // 3600)
        warnings.append(f"上次扫描（北京时间 {local_time(last.started_at)} 开始）已过 {hours} 小时仍未完成："
                        "运行它的进程可能已被强行终止（或仍卡在发送中）；再运行一次 ogi alerts sweep 即可补做")
    if counts.get("failed"):
        warnings.append(f"{counts['failed']} 条提醒发送失败：查看 ogi alerts list --failed，"
                        "修复后运行 ogi alerts retry")
    stuck = expired_periods(db, today=today - timedelta(days=1))  # the sweep lapses them the day after
    if stuck:
        listed = "、".join(n for n, *_ in stuck[:10]) + ("等" if len(stuck) > 10 else "")
        warnings.append(f"{len(stuck)} 件案件的补正或缴费期限已届满但尚未自动办结（{listed}）：请运行扫描；"
                        "若涉及已锁定年度，须由管理员填写理由（--reason）后办结")
    if today >= date(today.year, 11, 1) and not cal.known(today.year + 1):
        warnings.append(f"{today.year + 1} 年放假安排尚未导入：跨年期限均为暂定，"
                        "请在国务院通知发布后运行 ogi calendar import")
    return {
        "last_sweep": None if last is None else {
            "started_at": last.started_at.isoformat(), "started_at_local": local_time(last.started_at),
            "finished_at": last.finished_at.isoformat()
            if last.finished_at else None, "as_of": last.as_of.isoformat(), "process": last.process,
            "raised": last.raised, "lapsed": last.lapsed, "delivered": last.delivered, "failed": last.failed,
            "error": last.error},
        "deliveries": {k: counts.get(k, 0) for k in ("pending", "sending", "sent", "failed")},
        "queued_alerts": queued,
        "warnings": warnings,
    }
