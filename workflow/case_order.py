"""The case list's urgency order as one stored sort key, and the cursor that pages through it by key.

Urgency: open cases first, by next due date (so the overdue ones lead), open cases without a due date after
them, then concluded cases the same way; ties by case number. `urgency_key` folds the state and the next due
date into one string (`Application.urgency`), written by the one place that saves a case
(`workflow.cases.refresh_clocks`, and the ledger import alike), so that an index on (agency, urgency, number, id)
serves the order and a page is found by key instead of by sorting every case.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, literal, or_

from states.lifecycle import OPEN_STATES
from workflow.errors import InputError

# The orders a case list may be asked for (`ogi cases --sort`, the web's 排序), each paged by key along an index:
# urgency along (agency, urgency, number, id); receipt along (agency, received_on), whose entries SQLite keeps
# in rowid (id) order within a day.
SORTS: dict[str, str] = {"urgency": "紧急程度", "newest": "收到日期（新的在前）", "oldest": "收到日期（早的在前）"}

OPEN_BELOW = "2"  # every open case's key sorts below this, every concluded case's at or above it
_OPEN = frozenset(s.value for s in OPEN_STATES)


def urgency_key(state: str, next_due_on: date | None) -> str:
    """The stored sort key: rank (0 open with a due date, 1 open without, 2 and 3 likewise concluded), then the
    due date: '02025-03-04', '1', '22025-01-10', '3'."""
    rank = 0 if state in _OPEN else 2
    return f"{rank + 1}" if next_due_on is None else f"{rank}{next_due_on.isoformat()}"


def urgency_sql(state: ColumnElement[Any], next_due_on: ColumnElement[Any]) -> ColumnElement[str]:
    """`urgency_key` in SQL, to fill the column of rows written before it existed (a migration's backfill)."""
    is_open = state.in_(sorted(_OPEN))
    due = next_due_on.cast(String(10))
    return case((and_(is_open, next_due_on.is_(None)), literal("1")), (is_open, literal("0") + due),
                (next_due_on.is_(None), literal("3")), else_=literal("2") + due)


def encode(values: Sequence[Any]) -> str:
    """An opaque cursor: the sort values of the last row shown (dates as ISO strings)."""
    plain = [v.isoformat() if isinstance(v, date) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).rstrip(b"=").decode()


def decode(cursor: str, kinds: Sequence[type]) -> list[Any]:
    """The sort values a cursor holds, checked against the kinds the list sorts by (InputError if foreign)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode())
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError(cursor)
        return [_value(v, kind) for v, kind in zip(values, kinds, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InputError(f"--after 的值 {cursor!r} 不是有效的翻页位置：请使用上一页末尾给出的值") from None


def _value(value: Any, kind: type) -> Any:
    if kind is date:
        return date.fromisoformat(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(value)
    return value


def after(order: Sequence[tuple[ColumnElement[Any], bool]], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in `order` ((column, descending) pairs of NOT NULL columns): the keyset
    condition, led by a range on the first column so that an index on the order is entered at the cursor
    instead of scanned from its start."""
    column, descending = order[-1]
    condition = column < values[-1] if descending else column > values[-1]
    for (column, descending), value in zip(reversed(order[:-1]), reversed(values[:-1]), strict=True):
        beyond = column < value if descending else column > value
        condition = or_(beyond, and_(column == value, condition))
    first, descending = order[0]
    return and_(first <= values[0] if descending else first >= values[0], condition)
