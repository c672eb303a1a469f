"""The alert policy: which reminders and overdue alerts each clock raises, when, and for whom (TOML-configurable)."""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from workflow.inputs import toml_problem

ALERT_KIND_LABELS = {"reminder": "到期提醒", "overdue": "逾期预警", "escalation": "逾期督办"}


class Calendar(Protocol):
    """The working-day arithmetic the policy needs (provided by workflow.calendar)."""

    def is_workday(self, d: date) -> bool: ...
    def add_working_days(self, start: date, n: int) -> date: ...
    def working_days_before(self, end: date, n: int) -> date: ...
    def count_working_days(self, after: date, through: date) -> int: ...


@dataclass(frozen=True)
class ClockAlerts:
    """Alerts for one clock: reminders N working days before the due date, overdue, escalation."""

    reminders: tuple[int, ...] = ()
    overdue: bool = False
    escalate_every: int | None = None  # working days between repeated overdue alerts to the head
    recipients: tuple[str, ...] = ("assignee",)
    escalation_recipients: tuple[str, ...] = ("head",)


@dataclass(frozen=True)
class AlertPolicy:
    """Per clock, the alerts to raise; channels to deliver them through."""

    clocks: Mapping[str, ClockAlerts] = field(default_factory=dict)
    channels: tuple[str, ...] = ("inbox", "log")


DEFAULT_POLICY = AlertPolicy(clocks={
    "response": ClockAlerts(reminders=(5, 1, 0), overdue=True, escalate_every=5,
                            recipients=("assignee",), escalation_recipients=("head",)),
    "correction_notice": ClockAlerts(reminders=(1,)),
    "consultation": ClockAlerts(reminders=(1,), overdue=True),
    "reasons": ClockAlerts(overdue=True),
    # An appeal's reply or defence is the agency's own duty to a reviewing body or court: tell the head too.
    "reconsideration_reply": ClockAlerts(reminders=(3, 1, 0), overdue=True, recipients=("assignee", "head")),
    "litigation_defence": ClockAlerts(reminders=(3, 1, 0), overdue=True, recipients=("assignee", "head")),
})


@dataclass(frozen=True)
class DueAlert:
    """One alert that is due: its kind, the day it should go out, and its idempotency key parts."""

    clock: str
    kind: str
    due_on: date
    fire_on: date
    step: int  # working days before the due date (reminders) or escalation round (overdue/escalation)
    recipients: tuple[str, ...]

    @property
    def key(self) -> str:
        """Unique per case: (clock, kind, due date, step) — the same alert is never raised twice."""
        return f"{self.clock}:{self.kind}:{self.due_on.isoformat()}:{self.step}"


def due_alerts(clock: str, due_on: date, today: date, policy: AlertPolicy, cal: Calendar) -> list[DueAlert]:
    """The alerts of one running clock that should have gone out by `today`, latest of each kind only.

    Reminders fall on working days by construction (counted back from a working due date); nothing
    goes out on a rest day: a sweep on a rest day raises nothing, and the next working day catches up.
    After downtime only the most recent reminder and escalation are raised, not every missed one.
    """
    rules = policy.clocks.get(clock)
    if rules is None or not cal.is_workday(today):
        return []
    out: list[DueAlert] = []
    reminders = [(cal.working_days_before(due_on, n), n) for n in sorted(rules.reminders, reverse=True)]
    past = [(fire, n) for fire, n in reminders if fire <= today and today <= due_on]
    if past:
        fire, n = past[-1]
        out.append(DueAlert(clock, "reminder", due_on, fire, n, rules.recipients))
    if rules.overdue and today > due_on:
        first = cal.add_working_days(due_on, 1)
        if today >= first:
            out.append(DueAlert(clock, "overdue", due_on, first, 0, tuple(dict.fromkeys(
                (*rules.recipients, *rules.escalation_recipients)))))
        if rules.escalate_every:
            rounds = cal.count_working_days(first, today) // rules.escalate_every
            if rounds >= 1:
                fire = cal.add_working_days(first, rounds * rules.escalate_every)
                out.append(DueAlert(clock, "escalation", due_on, fire, rounds, rules.escalation_recipients))
    return out


def horizon(policy: AlertPolicy) -> int:
    """How many working days ahead of a due date the earliest reminder goes out."""
    return max((max(r.reminders, default=0) for r in policy.clocks.values()), default=0)


def _clock_alerts(raw: Mapping[str, Any], base: ClockAlerts) -> ClockAlerts:
    allowed = {"reminders", "overdue", "escalate_every", "recipients", "escalation_recipients"}
    unknown = set(raw) - allowed
    if unknown:
        raise ValueError(f"未知的设置项：{'、'.join(sorted(unknown))}（可用：{'、'.join(sorted(allowed))}）")
    values: dict[str, Any] = dict(raw)
    for key in ("reminders", "recipients", "escalation_recipients"):
        if key in values:
            values[key] = tuple(values[key])
    if any(not isinstance(n, int) or n < 0 for n in values.get("reminders", ())):
        raise ValueError("reminders 应为非负整数（到期前的工作日数）列表")
    for key in ("recipients", "escalation_recipients"):
        bad = [r for r in values.get(key, ()) if r not in ("assignee", "head")]
        if bad:
            raise ValueError(f"{key} 只能包含 assignee（承办人）和 head（负责人），而不是 {bad}")
    return replace(base, **values)


def read_config(path: Path) -> dict[str, Any]:
    """The alert settings file as a dict (policy, `[email]`, `[webhook]`)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValueError(f"提醒设置文件不存在：{path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} {toml_problem(exc)}") from exc


def load_policy(path: Path | None) -> AlertPolicy:
    """The default policy, overlaid by a TOML file: `[clocks.response] reminders = [5, 1, 0]`, `channels = [...]`."""
    if path is None:
        return DEFAULT_POLICY
    raw = read_config(path)
    clocks = dict(DEFAULT_POLICY.clocks)
    for name, rules in raw.get("clocks", {}).items():
        clocks[name] = _clock_alerts(rules, clocks.get(name, ClockAlerts()))
    channels = tuple(raw.get("channels", DEFAULT_POLICY.channels))
    return AlertPolicy(clocks=clocks, channels=channels)
