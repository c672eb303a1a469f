"""Built annual reports kept in memory by a long-running face (the web server), reused while nothing they are
built from has changed: a report of a large agency reads every case of its year, and the 年报 page is opened
again and again while the year's figures stand still.

Whether anything changed is asked of the database on every view, in the view's own transaction, by a
fingerprint that costs a few index lookups: the newest case, event, appeal and appeal event (every change to a
case or appeal is an event, and records are never deleted), the year's inputs and locks, the changes recorded
after a lock, the agencies' appeal mappings and names. A change anywhere on the platform makes every cached
report be built again at its next view: correct first, and cheap while the figures are still.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from workflow.models import (
    Agency,
    Appeal,
    AppealEvent,
    AppealMapping,
    Application,
    Event,
    LockedChange,
    ReportInput,
    ReportLock,
)

T = TypeVar("T")


def fingerprint(session: Session, agency_ids: list[int], year: int) -> tuple[object, ...]:
    """What a report of these agencies' year is built from, summed up: equal fingerprints, equal reports."""
    newest = tuple(session.exec(select(func.max(column))).one() for column in (
        col(Application.id), col(Event.id), col(Appeal.id), col(AppealEvent.id), col(LockedChange.id)))
    inputs = session.exec(select(func.count(), func.max(ReportInput.updated_at))
                          .where(col(ReportInput.agency_id).in_(agency_ids), col(ReportInput.year).in_(
                              (year, year - 1)))).one()
    locks = tuple(session.exec(select(ReportLock.id).where(col(ReportLock.agency_id).in_(agency_ids),
                                                            col(ReportLock.year).in_((year, year - 1)))
                               .order_by(col(ReportLock.id))).all())
    mappings = tuple(tuple(m.model_dump().items()) for m in session.exec(
        select(AppealMapping).where(col(AppealMapping.agency_id).in_(agency_ids))).all())
    names = tuple(session.exec(select(Agency.id, Agency.code, Agency.name)
                               .where(col(Agency.id).in_(agency_ids)).order_by(col(Agency.id))).all())
    return newest, tuple(inputs), locks, tuple(sorted(mappings, key=repr)), names


class ReportCache:
    """The reports last built, by what they are of and the fingerprint they were built at (the oldest dropped
    beyond `size`); safe to share between a server's threads."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The report kept under `key` (which must include the fingerprint), or `build()`'s, then kept."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                self.hits += 1
                return self._kept[key]  # type: ignore[return-value]
        built = build()
        with self._lock:
            self.misses += 1
            self._kept[key] = built
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return built
