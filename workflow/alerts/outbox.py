"""The outbox: fan raised alerts out into deliveries, claim them safely across processes, send, record, retry."""

import os
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from uuid import uuid4

from sqlalchemy import ColumnElement, and_, bindparam, delete, text, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from notifications.delivery import Channel, DeliveryError
from workflow.bulk import bulk_insert, table_of
from workflow.db import Database
from workflow.models import OPEN_DELIVERY, Alert, AlertQueue, Application, Delivery, User, utcnow

MAX_ATTEMPTS = 5
STALE_CLAIM = timedelta(minutes=10)  # a 'sending' row older than this was left by a dead process
RENEW_CLAIM = STALE_CLAIM / 4  # a live process restamps its claim this often: only a send stalled for
# minutes (channels cap each network wait at notifications.delivery.MAX_TIMEOUT seconds) can lose it


def process_name() -> str:
    """host:pid, to tell sweeps and claims of different processes apart."""
    return f"{socket.gethostname()}:{os.getpid()}"

def dispatch(db: Database, *, fan_out: Sequence[str], now: datetime, batch: int = 1000) -> int:
    """Fan queued alerts out into deliveries: one per channel and recipient; returns how many alerts.

    When another channel (the inbox) reaches everyone, an email delivery is made only for a recipient
    with an address (looked up now, so an address added after the alert was raised is used). When email
    is the only channel, a recipient without an address still gets an email delivery, which fails
    visibly (「没有登记电子邮箱」) instead of the alert vanishing. The deliveries' unique key
    (alert, channel, recipient) makes a fan-out that two processes race on create each row once; on
    PostgreSQL the queue rows are taken `FOR UPDATE SKIP LOCKED` so they do not race at all.
    """
    done = 0
    elsewhere = any(channel != "email" for channel in fan_out)  # another channel reaches everyone
    while True:
        with db.unit_of_work() as session:
            taken = select(AlertQueue.alert_id).order_by(col(AlertQueue.alert_id)).limit(batch)
            if not db.is_sqlite:
                taken = taken.with_for_update(skip_locked=True)
            ids = list(session.exec(taken).all())
            if not ids:
                return done
            emails = dict(session.exec(select(User.username, User.email)).all())
            found = session.exec(select(Alert.id, Alert.recipients).where(col(Alert.id).in_(ids))).all()
            bulk_insert(session.connection(), table_of(Delivery), [
                {"alert_id": alert_id, "channel": channel, "recipient": recipient, "status": "pending",
                 "attempts": 0, "next_attempt_at": now}
                for alert_id, recipients in found for channel in fan_out for recipient in recipients
                if channel != "email" or emails.get(recipient) or not elsewhere], skip_existing=True)
            session.exec(delete(AlertQueue).where(col(AlertQueue.alert_id).in_(ids)))
            done += len(ids)


def deliver(db: Database, *, channels: dict[str, Channel], process: str, now: datetime | None = None,
            batch: int = 500, fan_out: Sequence[str] | None = None) -> tuple[int, int]:
    """Fan out queued alerts (through `fan_out`, by default the given channels), then send pending
    deliveries; returns (sent, failed).

    Rows are claimed a batch at a time by compare-and-set (pending → sending, stamped with this claim's
    token and time; on PostgreSQL the batch is picked `FOR UPDATE SKIP LOCKED`), so two processes never
    take the same row. The batch's results are recorded together, in one short transaction when the batch
    is sent (and whenever the claim is renewed), so a process killed mid-batch leaves at most one batch of
    sent-but-unrecorded rows; rows it left in 'sending' are reclaimed after STALE_CLAIM and sent again.
    A live process renews its claim while it works through a slow batch, and skips any row another
    process took over after a stall, so a slow channel never makes a row go out twice.
    `now` (tests, replays) shifts the clock; time still runs from it.
    """
    shift = (now - utcnow()) if now else timedelta(0)

    def clock() -> datetime:
        return utcnow() + shift

    dispatch(db, fan_out=tuple(channels) if fan_out is None else fan_out, now=clock())
    sent = failed = 0
    while True:
        token, claimed_at = f"{process}:{uuid4().hex[:12]}", clock()
        with db.unit_of_work() as session:
            claimable = _claimable(claimed_at)
            ids = select(Delivery.id).where(claimable).order_by(col(Delivery.id)).limit(batch)
            if db.is_sqlite:
                taken: Any = ids.scalar_subquery()
            else:  # PostgreSQL: rows another process is claiming are skipped, not waited for; the ids are read
                # first (an IN subquery with LIMIT and SKIP LOCKED may be rescanned and claim more than a batch)
                taken = list(session.exec(ids.with_for_update(skip_locked=True)).all())
            claimed = session.exec(update(Delivery).where(col(Delivery.id).in_(taken), claimable)
                                   .values(status="sending", claimed_by=token, next_attempt_at=claimed_at)).rowcount
        if not claimed:
            return sent, failed
        rows = _claimed(db, token)
        mine, renewed = {row[0] for row in rows}, claimed_at
        results: list[_Result] = []
        for delivery_id, attempts, channel_name, recipient, message in rows:
            if clock() - renewed >= RENEW_CLAIM:
                sent, failed = _tally(_record(db, token, results), sent, failed)
                results, renewed = [], clock()
                mine = _renew(db, token, renewed)
            if delivery_id not in mine:
                continue  # this process stalled past STALE_CLAIM and another one took the row over
            error = _send(channels, channel_name, recipient, message)
            tries = attempts + 1
            results.append(_Result(delivery_id, tries, error, utcnow() if error is None else None,
                                   None if error is None else clock() + timedelta(minutes=2 ** tries)))
        sent, failed = _tally(_record(db, token, results), sent, failed)


class _Result(NamedTuple):
    """What one send did: sent (no error), or the error and when to try again."""

    delivery_id: int
    tries: int
    error: str | None
    sent_at: datetime | None
    retry_at: datetime | None


def _tally(recorded: tuple[int, int], sent: int, failed: int) -> tuple[int, int]:
    return sent + recorded[0], failed + recorded[1]


_SENT = (update(table_of(Delivery))
         .where(table_of(Delivery).c.id == bindparam("b_id"), table_of(Delivery).c.claimed_by == bindparam("b_token"))
         .values(status="sent", attempts=bindparam("b_tries"), sent_at=bindparam("b_at"), last_error=None,
                 claimed_by=None))
_FAILED = (update(table_of(Delivery))
           .where(table_of(Delivery).c.id == bindparam("b_id"),
                  table_of(Delivery).c.claimed_by == bindparam("b_token"))
           .values(status=bindparam("b_status"), attempts=bindparam("b_tries"), last_error=bindparam("b_error"),
                   next_attempt_at=bindparam("b_at"), claimed_by=None))


def _record(db: Database, token: str, results: list[_Result]) -> tuple[int, int]:
    """Record a batch of results in one transaction (two executemany UPDATEs), each only while the claim on
    its row is still ours; returns how many sent and failed results were recorded."""
    if not results:
        return 0, 0
    ok = [{"b_id": r.delivery_id, "b_token": token, "b_tries": r.tries, "b_at": r.sent_at}
          for r in results if r.error is None]
    bad = [{"b_id": r.delivery_id, "b_token": token, "b_tries": r.tries, "b_error": r.error, "b_at": r.retry_at,
            "b_status": "failed" if r.tries >= MAX_ATTEMPTS else "pending"} for r in results if r.error is not None]
    with db.unit_of_work() as session:
        conn = session.connection()
        return (conn.execute(_SENT, ok).rowcount if ok else 0), (conn.execute(_FAILED, bad).rowcount if bad else 0)


def _claimable(at: datetime) -> ColumnElement[bool]:
    """Rows a claim at `at` may take: pending and due, or 'sending' so long that the claimer must be dead (the
    first term, a literal, lets the partial index of unsent rows serve the claim)."""
    return and_(text(f"delivery.{OPEN_DELIVERY}"),
                (col(Delivery.status) == "pending") & (col(Delivery.next_attempt_at) <= at)
                | (col(Delivery.status) == "sending") & (col(Delivery.next_attempt_at) <= at - STALE_CLAIM))


def _renew(db: Database, token: str, at: datetime) -> set[int]:
    """Restamp this claim's rows still in hand; returns their ids (a row taken over is no longer ours)."""
    outbox = table_of(Delivery)
    with db.unit_of_work() as session:
        session.connection().execute(update(outbox).where(outbox.c.claimed_by == token).values(next_attempt_at=at))
        return set(session.exec(select(Delivery.id).where(col(Delivery.claimed_by) == token)).all())  # type: ignore[arg-type]


def _claimed(db: Database, token: str) -> list[tuple[int, int, str, str, dict[str, Any]]]:
    """The rows this claim took, each with the message to send (case, clock, text, recipient's address); read as
    Core rows of the columns it needs (a batch of ORM objects cost more than the sends)."""
    with db.unit_of_work() as session:
        rows = session.connection().execute(
            sa_select(col(Delivery.id), col(Delivery.attempts), col(Delivery.channel), col(Delivery.recipient),
                      col(Alert.id), col(Application.number), col(Alert.clock), col(Alert.kind), col(Alert.due_on),
                      col(Alert.message), col(User.email))
            .join(Alert, col(Alert.id) == col(Delivery.alert_id))
            .join(Application, col(Application.id) == col(Alert.application_id))
            .join(User, col(User.username) == col(Delivery.recipient), isouter=True)
            .where(col(Delivery.claimed_by) == token).order_by(col(Delivery.id))).all()
        return [(d_id or 0, attempts, channel, recipient, {
            "alert_id": alert_id, "number": number, "clock": clock, "kind": kind, "due_on": due_on.isoformat(),
            "message": message, "recipient_email": email})
            for d_id, attempts, channel, recipient, alert_id, number, clock, kind, due_on, message, email in rows]


def _send(channels: dict[str, Channel], name: str, recipient: str, message: dict[str, Any]) -> str | None:
    channel = channels.get(name)
    if channel is None:
        return f"渠道 {name} 未配置"
    try:
        channel.send(recipient, message)
    except DeliveryError as exc:  # the channel's own explanation, in Chinese
        return str(exc)
    except Exception as exc:  # any failure of one channel is recorded, never fatal to the sweep
        return f"发送出错（{type(exc).__name__}: {exc}）"
    return None
