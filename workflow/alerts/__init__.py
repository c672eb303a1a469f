"""Alerts: the sweep (what is due: lapses, alerts raised once) in `due`, their delivery in `outbox` (docs/alerts.md)."""

from workflow.alerts.due import SweepResult, expired_periods, lapse_expired, raise_alerts, sweep
from workflow.alerts.outbox import MAX_ATTEMPTS, RENEW_CLAIM, STALE_CLAIM, deliver, dispatch, process_name

__all__ = ["MAX_ATTEMPTS", "RENEW_CLAIM", "STALE_CLAIM", "SweepResult", "deliver", "dispatch", "expired_periods",
           "lapse_expired", "process_name", "raise_alerts", "sweep"]
