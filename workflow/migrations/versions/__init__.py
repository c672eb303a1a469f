"""The revisions, oldest first (file names start with v and the revision id); Alembic loads them by path."""
