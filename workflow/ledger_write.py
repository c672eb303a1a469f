"""Bulk writes for ledger imports: one Core `insert()` compiled once, run as the driver's executemany."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlmodel import SQLModel


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
                constants: Mapping[str, Any] | None = None, chunk: int = 20_000) -> None:
    """INSERT many rows (identical keys; `constants` the same in every row) in one compiled statement.

    Each value goes through its column type's own bind processor, so stored formats are exactly SQLAlchemy's,
    column by column; the driver's executemany does the rest (SQLAlchemy's per-row parameter handling was most
    of an import's time).
    """
    if not rows:
        return
    fixed = dict(constants or {})
    names = [*rows[0], *fixed]
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=names)
    process = {n: table.c[n].type._cached_bind_processor(conn.dialect) for n in names}
    fixed = {n: (p(v) if (p := process[n]) is not None else v) for n, v in fixed.items()}
    order = list(compiled.positiontup) if compiled.positiontup is not None else names
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        columns = []
        for n in order:
            p = process[n]
            if n in fixed:
                columns.append([fixed[n]] * len(part))
            elif p is None:
                columns.append([r[n] for r in part])
            else:
                columns.append([p(r[n]) for r in part])
        params: list[Any] = list(zip(*columns, strict=True))
        if compiled.positiontup is None:  # named / pyformat paramstyles (psycopg)
            params = [dict(zip(order, values, strict=True)) for values in params]
        conn.exec_driver_sql(compiled.string, params)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table
