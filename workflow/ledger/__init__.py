"""Reading and importing an agency's ledger (台账) of past applications and appeals, all rows or none."""

from workflow.ledger.appeals import import_appeals
from workflow.ledger.applications import ImportResult, import_applications
from workflow.ledger.rows import APPEAL_HEADERS, APPLICATION_HEADERS, ImportRejected

__all__ = ["APPEAL_HEADERS", "APPLICATION_HEADERS", "ImportRejected", "ImportResult", "import_appeals",
           "import_applications"]
