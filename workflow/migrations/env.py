"""Alembic's environment, configured from code: the connection comes from runner.py (no alembic.ini)."""

from alembic import context
from sqlmodel import SQLModel

from workflow import models  # noqa: F401 - registers every table on SQLModel.metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
    compare_type=True,
)
with context.begin_transaction():  # the runner's transaction: the whole upgrade commits or none of it
    context.run_migrations()
