"""A scratch PostgreSQL database on a test server: made for one test or bench run, dropped afterwards."""

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

from sqlalchemy import create_engine, text


@contextmanager
def scratch_database(server_url: str, prefix: str = "ogi_test") -> Iterator[str]:
    """A new, empty database on the server at `server_url` (dropped afterwards, open sessions and all); its URL."""
    name = f"{prefix}_{uuid4().hex[:12]}"
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
