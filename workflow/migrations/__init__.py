"""The versions of the database schema: Alembic revisions in versions/, run by runner.py (`ogi db upgrade`).

Named here without importing Alembic, so that every command can check its database cheaply on connecting
(workflow/db.py). A new revision is added to versions/ and its id appended to REVISIONS (a test compares them).
"""

# Oldest first; "0001" is the schema of ogi 0.1.0, which had no version table.
REVISIONS = ("0001", "0002", "0003", "0004")
HEAD = REVISIONS[-1]
RELEASE_0_1_0 = "0001"

__all__ = ["HEAD", "RELEASE_0_1_0", "REVISIONS"]
