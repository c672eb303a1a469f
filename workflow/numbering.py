"""Case numbers (编号): per agency and year, `YYYY-NNNN`, handed out without a gap or a repeat.

One counter row per agency and year (`case_number`) holds the last sequence used. A registration takes the
next with `UPDATE … SET last_used = last_used + 1 … RETURNING` inside its own transaction, so:

- concurrent registrations of one agency and year queue on that row (PostgreSQL's row lock, held to the
  commit; on SQLite the UPDATE is the transaction's first write and takes the database's write lock before
  anything is read), and no two get the same number;
- a registration that fails rolls its increment back with everything else: its number is given back;
- other agencies and years have rows of their own and do not wait.

The row is created on first use, starting after the highest number already stored for that agency and
year (a database from before the counter, or cases written directly). A ledger import brings numbers of
its own and raises the counter to the highest of each year in its transaction (`claim`), so numbering
continues after them.
"""

import re
from collections.abc import Iterable

from sqlalchemy import Connection, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from workflow.bulk import table_of
from workflow.models import Application, CaseNumberCounter

__all__ = ["claim", "format_number", "next_number", "sequence_of"]

_ENGINE_FORM = re.compile(r"([0-9]{4})-([0-9]{4,})")
_COUNTER = table_of(CaseNumberCounter)


def format_number(year: int, sequence: int) -> str:
    """The engine's form: the year, a dash and at least four digits (2026-0042; 2026-10000 follows 2026-9999)."""
    return f"{year}-{sequence:04d}"


def sequence_of(number: str) -> tuple[int, int] | None:
    """(year, sequence) of a number in the engine's form, or None for any other (「沪府办依申〔2023〕15号」)."""
    match = _ENGINE_FORM.fullmatch(number)
    if match is None or format_number(int(match[1]), int(match[2])) != number:
        return None  # 2026-15 or 2026-000015: not how the engine writes 2026-0015
    return int(match[1]), int(match[2])


def next_number(session: Session, agency_id: int, year: int) -> str:
    """Take the agency's next number of `year` in the session's transaction (the counter stays taken until it ends)."""
    conn = session.connection()
    sequence = _increment(conn, agency_id, year)
    if sequence is None:
        _create(conn, agency_id, year)
        sequence = _increment(conn, agency_id, year)
        assert sequence is not None, "the counter row was just created"
    return format_number(year, sequence)


def claim(session: Session, agency_id: int, numbers: Iterable[str]) -> None:
    """Raise each year's counter to the highest of `numbers` in the engine's form (the numbers an import brings).

    Every year concerned is taken, lowest first (one order for every writer), even when its counter is already
    higher: the import then holds it, like a registration, until its transaction ends.
    """
    highest: dict[int, int] = {}
    for number in numbers:
        if (parsed := sequence_of(number)) is not None:
            year, sequence = parsed
            highest[year] = max(highest.get(year, 0), sequence)
    conn = session.connection()
    for year, top in sorted(highest.items()):
        _create(conn, agency_id, year)
        used = _COUNTER.c.last_used
        conn.execute(update(_COUNTER).where(_COUNTER.c.agency_id == agency_id, _COUNTER.c.year == year)
                     .values(last_used=case((used < top, top), else_=used)))


def _increment(conn: Connection, agency_id: int, year: int) -> int | None:
    """The counter's next value, now taken; None when the agency has no counter for the year yet."""
    taken = conn.execute(update(_COUNTER).where(_COUNTER.c.agency_id == agency_id, _COUNTER.c.year == year)
                         .values(last_used=_COUNTER.c.last_used + 1).returning(_COUNTER.c.last_used))
    value = taken.scalar_one_or_none()
    return int(value) if value is not None else None


def _create(conn: Connection, agency_id: int, year: int) -> None:
    """The counter row of an agency and year, unless it exists, starting at the highest number stored.

    Two writers creating it at once: PostgreSQL makes the second wait for the first to commit, then skips
    its row (ON CONFLICT DO NOTHING); on SQLite the writer already holds the write lock.
    """
    insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    start = _highest_stored(conn, agency_id, year)
    conn.execute(insert(_COUNTER).values(agency_id=agency_id, year=year, last_used=start).on_conflict_do_nothing())


def _highest_stored(conn: Connection, agency_id: int, year: int) -> int:
    """The highest sequence among the agency's stored numbers of `year` (0 if none)."""
    number = col(Application.number)
    query = (select(number).where(col(Application.agency_id) == agency_id, number.startswith(f"{year}-"))
             .order_by(func.length(number).desc(), number.desc()))  # longest first: 2026-10000 after 2026-9999
    top = conn.execute(query.limit(1)).scalar_one_or_none()
    if top is None:
        return 0
    if (parsed := sequence_of(top)) is not None:
        return parsed[1]
    # Some number of that year is not in the engine's form (written outside the engine): look at them all.
    return max((p[1] for (n,) in conn.execute(query) if (p := sequence_of(n)) is not None), default=0)
