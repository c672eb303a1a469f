"""The alert policy: which reminders and overdue alerts each clock raises, when, and for whom (TOML-configurable)."""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from notifications.toml_errors import toml_problem
from states.clocks import RULES, ClockKind

CHANNELS = ("inbox", "log", "email", "webhook")
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
            # A clock that escalates tells its escalation recipients (the head) from the first day overdue.
            told = (*rules.recipients, *rules.escalation_recipients) if rules.escalate_every else rules.recipients
            out.append(DueAlert(clock, "overdue", due_on, first, 0, tuple(dict.fromkeys(told))))
        if rules.escalate_every:
            rounds = cal.count_working_days(first, today) // rules.escalate_every
            if rounds >= 1:
                fire = cal.add_working_days(first, rounds * rules.escalate_every)
                out.append(DueAlert(clock, "escalation", due_on, fire, rounds, rules.escalation_recipients))
    return out


def horizon(policy: AlertPolicy) -> int:
    """How many working days ahead of a due date the earliest reminder goes out."""
    return max((max(r.reminders, default=0) for r in policy.clocks.values()), default=0)


_CLOCK_KEYS = ("reminders", "overdue", "escalate_every", "recipients", "escalation_recipients")
_TOP_KEYS = ("clocks", "channels", "email", "webhook")
_ROLES = {"assignee": "承办人", "head": "负责人"}


def _unknown(where: str, found: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(found) - set(allowed))
    if unknown:
        raise ValueError(f"{where}中有未知的设置项：{'、'.join(unknown)}（可用：{'、'.join(allowed)}）")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _names(where: str, value: Any, allowed: Mapping[str, str] | tuple[str, ...]) -> tuple[str, ...]:
    """A non-empty list of names from `allowed` (a lone string is refused: it is not a list)."""
    choices = "、".join(f"{k}（{v}）" for k, v in allowed.items()) if isinstance(allowed, Mapping) else "、".join(
        allowed)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} 应为非空列表，如 [\"{next(iter(allowed))}\"]（可选：{choices}），而不是 {value!r}")
    bad = [v for v in value if v not in allowed]
    if bad:
        raise ValueError(f"{where} 中有无效的值：{'、'.join(bad)}（可选：{choices}）")
    return tuple(dict.fromkeys(value))


def _clock_alerts(name: str, raw: Any, base: ClockAlerts) -> ClockAlerts:
    where = f"[clocks.{name}]"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} 应为一个表（table），如 [clocks.{name}] 下写 reminders = [5, 1, 0]")
    _unknown(where, raw, _CLOCK_KEYS)
    values: dict[str, Any] = {}
    if "reminders" in raw:
        reminders = raw["reminders"]
        if not isinstance(reminders, list) or not all(_whole(n) and 0 <= n <= 60 for n in reminders):
            raise ValueError(f"{where} reminders 应为 0–60 的整数列表（到期前的工作日数，0 为到期当天；"
                             f"[] 为不提醒），而不是 {reminders!r}")
        values["reminders"] = tuple(sorted(set(reminders), reverse=True))
    if "overdue" in raw:
        if not isinstance(raw["overdue"], bool):
            raise ValueError(f"{where} overdue 应为 true 或 false，而不是 {raw['overdue']!r}")
        values["overdue"] = raw["overdue"]
    if "escalate_every" in raw:
        every = raw["escalate_every"]
        if not _whole(every) or not 0 <= every <= 60:
            raise ValueError(f"{where} escalate_every 应为 1–60 的整数（逾期后每隔几个工作日督办一次；0 为不督办），"
                             f"而不是 {every!r}")
        values["escalate_every"] = every or None
    for key in ("recipients", "escalation_recipients"):
        if key in raw:
            values[key] = _names(f"{where} {key}", raw[key], _ROLES)
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
    _unknown(f"{path} ", raw, _TOP_KEYS)
    clocks = dict(DEFAULT_POLICY.clocks)
    configured = raw.get("clocks", {})
    if not isinstance(configured, Mapping):
        raise ValueError("clocks 应为一组表，如 [clocks.response]")
    kinds = {k.value: RULES[k].label for k in ClockKind}
    for name, rules in configured.items():
        if name not in kinds:
            known = "、".join(f"{k}（{v}）" for k, v in kinds.items())
            raise ValueError(f"[clocks.{name}] 不是已知的期限（可用：{known}）")
        clocks[name] = _clock_alerts(name, rules, clocks.get(name, ClockAlerts()))
    channels = DEFAULT_POLICY.channels
    if "channels" in raw:
        channels = _names("channels", raw["channels"], CHANNELS)
    return AlertPolicy(clocks=clocks, channels=channels)
