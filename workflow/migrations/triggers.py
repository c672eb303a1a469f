"""The append-only triggers of the event tables, as migrations create and (to seal old rows) drop them."""

from alembic import op

from workflow.db import append_only_statements

_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS event_no_update", "DROP TRIGGER IF EXISTS event_no_delete",
               "DROP TRIGGER IF EXISTS appeal_event_no_update", "DROP TRIGGER IF EXISTS appeal_event_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS event_append_only ON event",
                   "DROP TRIGGER IF EXISTS appeal_event_append_only ON appeal_event"],
}


def create_append_only() -> None:
    """Refuse every UPDATE and DELETE of an event (cases and appeals), as `ogi init` does."""
    for statement in append_only_statements(op.get_bind().dialect.name):
        op.execute(statement)


def drop_append_only() -> None:
    """Let a migration write to the event tables (it recreates the triggers before it ends)."""
    for statement in _DROP[op.get_bind().dialect.name]:
        op.execute(statement)
