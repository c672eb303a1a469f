"""Errors the engine raises; every message is Chinese and names the problem.

    WorkflowError
    ├── InputError            a field is missing or malformed
    ├── NotFound              no such case, user or agency
    ├── TransitionNotAllowed  wrong state, wrong role or an unmet guard (with the allowed actions)
    ├── StaleCase             the case changed since the version the user saw
    ├── CalendarError         a calendar import or override is invalid
    ├── CalendarRangeError    a date outside the calendar's range
    ├── YearLocked            the action's legal date falls in a year whose report is locked
    ├── LoginRefused          a wrong password, a disabled account, or an account made to wait
    └── SchemaMismatch        the database's schema is behind the code (run `ogi db upgrade`) or ahead of it
"""


class WorkflowError(Exception):
    """Base of every refusal; `str(e)` is the message shown to the user."""


class InputError(WorkflowError):
    """A field is missing or malformed."""


class NotFound(WorkflowError):
    """No such case, user or agency."""


class TransitionNotAllowed(WorkflowError):
    """The action cannot be taken now; the message names the state and the allowed actions."""

    def __init__(self, message: str, *, state: str | None = None, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.state = state
        self.allowed = allowed


class StaleCase(WorkflowError):
    """Someone else changed the case first."""


class CalendarError(WorkflowError):
    """A calendar import or override is invalid."""


class CalendarRangeError(WorkflowError):
    """A date outside 2000–2100."""


class YearLocked(WorkflowError):
    """The year's annual report is locked; only an admin with a recorded reason may change it."""


class LoginRefused(WorkflowError):
    """A login that does not succeed; the message never tells which of username and password was wrong."""


class SchemaMismatch(WorkflowError):
    """The database's schema is not the one this code was written for (older, newer, or unknown)."""
