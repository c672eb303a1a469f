"""SQLModel tables (ARCHITECTURE data sketch). States and codes are plain strings checked against `states/`."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from states.appeals import AppealState
from states.clocks import ClockStatus

# The rows the sweep reads, as SQL literals (a partial index is used only when the query says the same thing).
RUNNING_CLOCK = f"status = '{ClockStatus.RUNNING.value}'"
FILED_APPEAL = f"state = '{AppealState.FILED.value}'"
OPEN_DELIVERY = "status IN ('pending', 'sending')"


def utcnow() -> datetime:
    """Timezone-aware now (sqlmodel rejects naive datetimes)."""
    return datetime.now(UTC)


class Agency(SQLModel, table=True):
    """An agency (行政机关) of the platform, and its choices where the law is silent."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)  # how users and scripts name it (`--agency CODE`)
    name: str = Field(max_length=200, unique=True)
    pause_on_fee: bool = True
    pause_on_reasons: bool = True
    created_at: datetime = Field(default_factory=utcnow)


NAMED_IN_LETTERS = ("reconsideration_body", "court", "payment")  # AgencyProfile fields a letter names


class AgencyProfile(SQLModel, table=True):
    """What an agency's letters name: where to apply for reconsideration, which court, how to pay fees."""

    __tablename__ = "agency_profile"

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    reconsideration_body: str | None = Field(default=None, max_length=200)  # 行政复议机关, e.g. 示例市人民政府
    court: str | None = Field(default=None, max_length=200)  # 有管辖权的人民法院
    payment: str | None = Field(default=None, max_length=500)  # 缴费方式 (non-tax revenue account, counter…)
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A clerk (承办人), head of office (负责人) or administrator of one agency; or, with no agency, the
    supervising office (主管部门) or a platform administrator (SPEC §12)."""

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    email: str | None = Field(default=None, max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Web login (workflow/accounts.py): an argon2 hash (None: cannot log in until a password is set), when it
    # was set (sessions issued before are void), and the failed-login counter with the wait it imposes.
    password_hash: str | None = Field(default=None, max_length=255)
    password_set_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    # 提醒: every alert up to this id is read by the user (「全部标为已读」); later ones are marked one by one
    # (alert_read).
    alerts_read_through: int | None = None


_APPLICATION_VERSION = Column("version", Integer, nullable=False)


class Application(SQLModel, table=True):
    """A disclosure application: identity, receipt, current state and cached clock results.

    `version` is SQLAlchemy's version counter: every UPDATE says `WHERE version = <seen>`, so a
    concurrent change makes the flush fail (StaleDataError) instead of overwriting it.
    """

    # The annual statistics (workflow/stats.py) range-scan one agency's cases by receipt and conclusion date;
    # the case list (workflow/queries.py) pages by key along the urgency order, of one agency or of all.
    __table_args__ = (UniqueConstraint("agency_id", "number"),
                      Index("ix_application_agency_received", "agency_id", "received_on"),
                      Index("ix_application_agency_concluded", "agency_id", "concluded_on"),
                      Index("ix_application_agency_urgency", "agency_id", "urgency", "number", "id"),
                      Index("ix_application_urgency", "urgency", "number", "id"))
    __mapper_args__ = {"version_id_col": _APPLICATION_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    number: str = Field(max_length=32)
    applicant_name: str = Field(max_length=200)
    applicant_type: str = Field(max_length=32)
    applicant_contact: str | None = Field(default=None, max_length=200)
    channel: str = Field(max_length=32)
    received_on: date = Field(index=True)
    request: str
    state: str = Field(max_length=32, index=True)
    outcome: str | None = Field(default=None, max_length=8)
    concluded_on: date | None = Field(default=None, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="user.id")
    version: int = Field(default=1, sa_column=_APPLICATION_VERSION)
    next_due_on: date | None = Field(default=None, index=True)
    next_due_clock: str | None = Field(default=None, max_length=32)
    provisional: bool = False
    # The case list's sort key (workflow/case_order.py), from `state` and `next_due_on`, saved with them.
    urgency: str = Field(default="1", max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # The head of the case's hash chain (workflow/chain.py): its last event's hash and how many events it has.
    chain_head: str | None = Field(default=None, max_length=64)
    chain_length: int | None = None


class CaseNumberCounter(SQLModel, table=True):
    """The last case number used in one agency and year (2026-0042 → 42): registrations take the next one.

    Taken by `UPDATE … SET last_used = last_used + 1` in the registering transaction, the row serialises the
    agency's registrations of that year (a row lock on PostgreSQL, the write lock on SQLite), and a rolled-back
    registration gives its number back. An import raises it to the highest number it brings (workflow/numbering.py).
    """

    __tablename__ = "case_number"

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    year: int = Field(primary_key=True)
    last_used: int


class CaseClock(SQLModel, table=True):
    """Cached result of one clock, recomputed in the same transaction as every action."""

    __tablename__ = "case_clock"
    # The sweep (workflow/alerts/due.py) reads running clocks only: a partial index keeps it off the clocks of
    # concluded cases, however many years of them there are. The sweep's query names the status as a literal
    # (`RUNNING_CLOCK`), which both databases need to use a partial index.
    __table_args__ = (UniqueConstraint("application_id", "kind"),
                      Index("ix_case_clock_running", "due_on", "kind", "application_id",
                            sqlite_where=text(RUNNING_CLOCK), postgresql_where=text(RUNNING_CLOCK)))

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    kind: str = Field(max_length=32)
    start_on: date
    due_on: date = Field(index=True)
    status: str = Field(max_length=16)
    provisional: bool = False


class Event(SQLModel, table=True):
    """One immutable entry of a case's history: who, when, the legal date, and what."""

    __table_args__ = (UniqueConstraint("application_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    seq: int
    trigger: str = Field(max_length=32)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    actor: str = Field(max_length=64)
    role: str = Field(max_length=16)
    recorded_at: datetime = Field(default_factory=utcnow)
    effective_on: date
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    hash: str | None = Field(default=None, max_length=64)  # sha256 of the content and the previous hash (chain.py)

    @property
    def on(self) -> date:
        """The legal date, by the name the fold reads it under (`states.deadlines.Recorded`)."""
        return self.effective_on


class Approval(SQLModel, table=True):
    """A decision the head of office must take: an extension, or signing off a response."""

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    kind: str = Field(max_length=16)  # "extension" or "response"
    status: str = Field(max_length=16, default="pending")  # pending, approved, rejected, returned
    requested_by: str = Field(max_length=64)
    requested_on: date
    proposal: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    decided_by: str | None = Field(default=None, max_length=64)
    decided_on: date | None = None
    comment: str | None = None


class CalendarDay(SQLModel, table=True):
    """An agency's ruling on one day (rest or working), with the notice it comes from."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    working: bool
    source: str = Field(max_length=200)
    origin: str = Field(max_length=16)  # "import" (part of a whole year) or "manual"
    entered_by: str = Field(max_length=64)
    entered_at: datetime = Field(default_factory=utcnow)


class CalendarYear(SQLModel, table=True):
    """A year whose whole holiday notice was imported; the library's data is ignored for it."""

    __tablename__ = "calendar_year"

    year: int = Field(primary_key=True)
    source: str = Field(max_length=200)
    entered_by: str = Field(max_length=64)
    entered_at: datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    """A reminder or overdue alert raised by a sweep; the key makes each alert exist once, whoever raises it."""

    # The unique key is also the index for a case's alerts; an agency's inbox (提醒, newest first) is read along
    # (agency, id), so that it costs the same however many other cases and agencies the platform has.
    __table_args__ = (UniqueConstraint("application_id", "key"), Index("ix_alert_agency", "agency_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id")
    agency_id: int = Field(foreign_key="agency.id")  # the case's agency (a case never changes agency)
    key: str = Field(max_length=120)
    clock: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # reminder, overdue, escalation
    due_on: date
    fire_on: date
    raised_on: date  # the sweep's day
    raised_at: datetime = Field(default_factory=utcnow)
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    message: str


class AlertRead(SQLModel, table=True):
    """An alert a user has read in their inbox (提醒): each user marks their own, so that one clerk reading an
    alert leaves it unread for the others it was raised for."""

    __tablename__ = "alert_read"

    alert_id: int = Field(foreign_key="alert.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    read_at: datetime = Field(default_factory=utcnow)


class AlertQueue(SQLModel, table=True):
    """New alerts not yet fanned out into deliveries: the sweep adds one row per alert, `deliver` takes it away.

    Kept apart from `alert` so that finding the work left is a scan of a table that stays small, and so
    that the sweep writes one narrow row per alert instead of one delivery per channel and recipient.
    """

    __tablename__ = "alert_queue"

    alert_id: int = Field(foreign_key="alert.id", primary_key=True)


class Delivery(SQLModel, table=True):
    """One alert to one recipient through one channel, with its attempts (created by `deliver`'s fan-out)."""

    # Delivery claims the rows still to send in id order, and reads back the rows of its claim: two partial
    # indexes hold just those, however many sent rows the table keeps (`OPEN_DELIVERY` is said as a literal).
    __table_args__ = (UniqueConstraint("alert_id", "channel", "recipient"),
                      Index("ix_delivery_open", "id", sqlite_where=text(OPEN_DELIVERY),
                            postgresql_where=text(OPEN_DELIVERY)),
                      Index("ix_delivery_claimed", "claimed_by", sqlite_where=text("claimed_by IS NOT NULL"),
                            postgresql_where=text("claimed_by IS NOT NULL")))

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id")  # indexed by the unique constraint, which leads with it
    channel: str = Field(max_length=16)
    recipient: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)  # pending, sending, sent, failed (see ix_delivery_open)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_by: str | None = Field(default=None, max_length=80)
    last_error: str | None = None
    sent_at: datetime | None = None


class SweepRun(SQLModel, table=True):
    """The heartbeat: when a sweep ran, for which day, and what it did."""

    __tablename__ = "sweep_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    as_of: date
    process: str = Field(max_length=80)
    raised: int = 0
    lapsed: int = 0
    delivered: int = 0
    failed: int = 0
    error: str | None = None


class Appeal(SQLModel, table=True):
    """A reconsideration or lawsuit against one application's handling (SPEC §7), with its raw decision."""

    # The sweep reads appeals still waiting for the agency's reply or defence (`FILED_APPEAL`), not decided ones.
    __table_args__ = (Index("ix_appeal_filed", "due_on", sqlite_where=text(FILED_APPEAL),
                            postgresql_where=text(FILED_APPEAL)),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    kind: str = Field(max_length=16)  # states.appeals.AppealKind
    route: str | None = Field(default=None, max_length=32)  # states.appeals.Route, litigation only
    received_on: date = Field(index=True)  # the day the agency received the copy
    body: str | None = Field(default=None, max_length=200)  # reconsideration body or court
    state: str = Field(max_length=16)  # states.appeals.AppealState
    replied_on: date | None = None
    decision: str | None = Field(default=None, max_length=40)  # states.appeals.DECISIONS code
    decided_on: date | None = None
    due_on: date | None = None  # the reply/defence clock's due date, cached
    source: str = Field(default="manual", max_length=16)  # manual or import
    created_at: datetime = Field(default_factory=utcnow)
    chain_head: str | None = Field(default=None, max_length=64)  # as on `application` (workflow/chain.py)
    chain_length: int | None = None


class AppealEvent(SQLModel, table=True):
    """One immutable entry of an appeal's history."""

    __tablename__ = "appeal_event"
    __table_args__ = (UniqueConstraint("appeal_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    appeal_id: int = Field(foreign_key="appeal.id", index=True)
    seq: int
    trigger: str = Field(max_length=32)
    actor: str = Field(max_length=64)
    role: str = Field(max_length=16)
    recorded_at: datetime = Field(default_factory=utcnow)
    effective_on: date
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str = Field(max_length=16)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    hash: str | None = Field(default=None, max_length=64)  # as on `event` (workflow/chain.py)


class AppealMapping(SQLModel, table=True):
    """An agency's own report column for one raw decision, overriding the default of SPEC §7."""

    __tablename__ = "appeal_mapping"

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    decision: str = Field(max_length=40, primary_key=True)
    column: str = Field(max_length=16)  # states.appeals.Column
    set_by: str = Field(max_length=64)
    set_at: datetime = Field(default_factory=utcnow)


class ReportInput(SQLModel, table=True):
    """What the engine cannot know: section 2 figures and the section 1/5/6 narrative of one year."""

    __tablename__ = "report_input"
    __table_args__ = (UniqueConstraint("agency_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    year: int
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class ReportLock(SQLModel, table=True):
    """A year whose report is frozen (FOIAXpress' lock date): later changes need an admin and a reason."""

    __tablename__ = "report_lock"
    __table_args__ = (UniqueConstraint("agency_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    year: int
    locked_at: datetime = Field(default_factory=utcnow)
    locked_on: date  # the agency's day of locking
    locked_by: str = Field(max_length=64)
    # The report's JSON (SPEC §8) as published at locking: next year's carried-in is checked against it.
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class LockedChange(SQLModel, table=True):
    """A change an admin made, with a reason, to a case or appeal in a locked year; the report lists them."""

    __tablename__ = "locked_change"

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    year: int = Field(index=True)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    appeal_id: int | None = Field(default=None, foreign_key="appeal.id")
    case_number: str = Field(max_length=32)
    action: str = Field(max_length=64)
    effective_on: date
    actor: str = Field(max_length=64)
    reason: str
    recorded_at: datetime = Field(default_factory=utcnow)
