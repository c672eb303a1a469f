"""Bulk writes (ledger imports, the sweep's alerts): one Core `insert()` compiled once, run by executemany."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Insert, Table, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import SQLModel


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
                constants: Mapping[str, Any] | None = None, chunk: int = 20_000, *,
                skip_existing: bool = False) -> int:
    """INSERT many rows (identical keys; `constants` the same in every row) in one compiled statement.

    Each value goes through its column type's own bind processor, so stored formats are exactly SQLAlchemy's,
    column by column; the driver's executemany does the rest (SQLAlchemy's per-row parameter handling was most
    of an import's time). With `skip_existing`, a row that would break a unique constraint is skipped
    (SQLite `INSERT OR IGNORE`, PostgreSQL `ON CONFLICT DO NOTHING`). Returns the number of rows inserted.
    """
    if not rows:
        return 0
    fixed = dict(constants or {})
    names = [*rows[0], *fixed]
    statement: Insert = insert(table)
    if skip_existing:
        statement = (statement.prefix_with("OR IGNORE") if conn.dialect.name == "sqlite"
                     else pg_insert(table).on_conflict_do_nothing())
    compiled = statement.compile(dialect=conn.dialect, column_keys=names)
    process: dict[str, Callable[[Any], Any] | None] = {
        n: _memo(bind) if (bind := table.c[n].type._cached_bind_processor(conn.dialect)) else None for n in names}
    fixed = {n: (convert(v) if (convert := process[n]) is not None else v) for n, v in fixed.items()}
    order = list(compiled.positiontup) if compiled.positiontup is not None else names
    inserted = 0
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        columns = []
        for n in order:
            convert = process[n]
            if n in fixed:
                columns.append([fixed[n]] * len(part))
            elif convert is None:
                columns.append([r[n] for r in part])
            else:
                columns.append([convert(r[n]) for r in part])
        params: list[Any] = list(zip(*columns, strict=True))
        if compiled.positiontup is None:  # named / pyformat paramstyles (psycopg)
            params = [dict(zip(order, values, strict=True)) for values in params]
        inserted += conn.exec_driver_sql(compiled.string, params).rowcount
    return inserted


def _memo(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A bind processor that converts each distinct hashable value once (dates and lists repeat across rows)."""
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = done = process(value)
            return done
        except TypeError:  # unhashable (a list, a dict): convert every time
            return process(value)
    return convert


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table
