"""The hash chain of a case's (and an appeal's) events: what makes the log tamper-evident (ARCHITECTURE decision 13).

Each event stores the sha256 of its canonical content and of the previous event's hash of the same case; the case
row keeps the chain's head (the last hash and the number of events), written in the same transaction as the
event. Changing, deleting, reordering or moving an event, or cutting the log short, breaks the chain where it
happened, whether or not the append-only triggers are still there; `ogi verify` finds it.

This module is the one place a hash is computed: every writer (the use cases, the ledger imports) and the
checker call it.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow.bulk import table_of
from workflow.models import Appeal, AppealEvent, Application, Event

__all__ = ["APPEAL_EVENT", "EVENT", "canonical_time", "event_hash", "quick_seal", "seal", "seal_rows", "set_head",
           "set_heads"]

EVENT, APPEAL_EVENT = "event", "appeal_event"  # which log: a case's, or an appeal's
_OWNER = {EVENT: "application_id", APPEAL_EVENT: "appeal_id"}
_HEADED: dict[str, type[Application] | type[Appeal]] = {EVENT: Application, APPEAL_EVENT: Appeal}


def canonical_time(moment: datetime) -> str:
    """A timestamp as the database gives it back: UTC wall time to the microsecond (the columns hold no zone)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ", timespec="microseconds")


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))  # one, not one per call
_SCALARS = (str, int, float, bool, type(None))


def _plain(data: Mapping[str, Any]) -> Any:
    """The data as the JSON column gives it back (tuples become lists, keys become strings)."""
    if all(type(k) is str and type(v) in _SCALARS for k, v in data.items()):
        return data  # already as it comes back (most events: flat text and numbers)
    return json.loads(json.dumps(data))


def event_hash(log: str, owner: int, seq: int, trigger: str, actor: str, role: str, effective_on: date,
               from_state: str | None, to_state: str, data: Any, recorded_at: datetime, previous: str | None) -> str:
    """sha256 (hex) of one event's canonical content and the hash of the event before it (None for the first).

    `data` must be what the JSON column holds (as read back): its keys are sorted here, so the order it was
    written in does not matter.
    """
    return _digest(log, owner, seq, trigger, actor, role, effective_on.isoformat(), from_state, to_state, data,
                   canonical_time(recorded_at), previous)


def _digest(log: str, owner: int, seq: int, trigger: str, actor: str, role: str, effective_on: str,
            from_state: str | None, to_state: str, data: Any, recorded_at: str, previous: str | None) -> str:
    content = [log, owner, seq, trigger, actor, role, effective_on, from_state, to_state, data, recorded_at,
               previous or ""]
    return hashlib.sha256(_CANONICAL.encode(content).encode("utf-8")).hexdigest()


class _IsoDays(dict[date, str]):
    """Each date's ISO text, worked out once per process (a database holds few distinct days; every event hashed
    by `quick_seal` or `seal_rows` names one)."""

    def __missing__(self, day: date) -> str:
        text = self[day] = day.isoformat()
        return text


_iso = _IsoDays().__getitem__
_dumps, _SORT_KEYS, _sha256 = orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256  # read once per event hashed


def quick_seal(log: str, owner: int, e: Any, previous: str | None) -> str:
    """`event_hash` of an event read quickly (`ogi verify`): its day a `date`, its time as the driver gives it
    (SQLite's stored text, or a datetime from PostgreSQL's driver), its data as orjson read it; encoded by
    orjson instead of the standard library. Empty where that reading may not be the standard library's (an
    exponent in the content: orjson reads an integer beyond 64 bits as a float, and writes such a float with
    one), which no stored hash equals.

    orjson writes the same bytes as the canonical encoder for what events hold (text, integers, booleans, null,
    nested objects and lists: sorted keys, no spaces, UTF-8, the same escapes), so a stored hash equal to this
    one proves the content as surely as `event_hash`. The converse does not hold (a float, a time not stored in
    canonical form): a hash that differs from this one proves nothing until `event_hash` says so.
    """
    moment = e.recorded_at
    encoded = _dumps((log, owner, e.seq, e.trigger, e.actor, e.role, _iso(e.effective_on), e.from_state, e.to_state,
                      e.data, moment if type(moment) is str else canonical_time(moment), previous or ""),
                     option=_SORT_KEYS)
    return "" if b"+" in encoded and b"e+" in encoded else _sha256(encoded).hexdigest()


def seal(event: Event | AppealEvent, previous: str | None) -> str:
    """Give a new event row its hash, chained to `previous` (the hash of the case's last event); returns it."""
    log, owner = (EVENT, event.application_id) if isinstance(event, Event) else (APPEAL_EVENT, event.appeal_id)
    event.hash = event_hash(log, owner, event.seq, event.trigger, event.actor, event.role, event.effective_on,
                            event.from_state, event.to_state, _plain(event.data), event.recorded_at, previous)
    return event.hash


def set_head(session: Session, row: Application | Appeal, event: Event | AppealEvent) -> None:
    """Record the chain's head on the case (or appeal) row, after `event` was flushed.

    A plain UPDATE, not a change of the mapped object: the application row's version counts the case's
    actions (its optimistic lock), and registering must not count twice because the row was inserted first.
    """
    assert event.hash is not None and row.id is not None, "a sealed event of a stored case"
    model = type(row)
    session.execute(update(table_of(model)).where(table_of(model).c.id == row.id)
                    .values(chain_head=event.hash, chain_length=event.seq))
    set_committed_value(row, "chain_head", event.hash)
    set_committed_value(row, "chain_length", event.seq)


def seal_rows(log: str, rows: Iterable[MutableMapping[str, Any]],
              constants: Mapping[str, Any]) -> dict[int, tuple[str, int]]:
    """Hash bulk event rows (dicts, each case's in seq order, every case new) in place; returns each case's head.

    `constants` are the values the bulk insert gives every row (`actor`, `role`, `recorded_at`…).
    """
    heads: dict[int, tuple[str, int]] = {}
    owner_key = _OWNER[log]
    times: dict[datetime, str] = {}  # an import's times repeat (its dates too: `_iso` writes each out once)

    def value(row: Mapping[str, Any], name: str) -> Any:
        return row[name] if name in row else constants[name]

    for row in rows:
        owner, seq, on, moment = row[owner_key], row["seq"], value(row, "effective_on"), value(row, "recorded_at")
        day = _iso(on)
        stamp = times.get(moment) or times.setdefault(moment, canonical_time(moment))
        previous = heads[owner][0] if owner in heads else None
        row["hash"] = digest = _digest(log, owner, seq, value(row, "trigger"), value(row, "actor"), value(row, "role"),
                                       day, value(row, "from_state"), value(row, "to_state"), _plain(row["data"]),
                                       stamp, previous)
        heads[owner] = (digest, seq)
    return heads


def set_heads(session: Session, log: str, heads: Mapping[int, tuple[str, int]]) -> None:
    """Record many chain heads (after a bulk insert of events) with one executemany UPDATE."""
    if not heads:
        return
    table = table_of(_HEADED[log])
    statement = (update(table).where(table.c.id == bindparam("owner"))
                 .values(chain_head=bindparam("head"), chain_length=bindparam("length")))
    session.connection().execute(statement, [{"owner": owner, "head": head, "length": length}
                                             for owner, (head, length) in heads.items()])
