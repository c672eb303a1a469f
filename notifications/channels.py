"""The channel registry: the built-in inbox and log channels, and `build_channels`, which names email and webhook."""

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from notifications.delivery import MAX_TIMEOUT, Channel, DeliveryError
from notifications.email import EmailChannel, EmailSettings
from notifications.policy import CHANNELS
from notifications.webhook import WebhookChannel, WebhookSettings

__all__ = ["MAX_TIMEOUT", "Channel", "DeliveryError", "InboxChannel", "LogChannel", "build_channels"]

log = logging.getLogger("ogi.alerts")


class InboxChannel:
    """The alert stays in the database for the recipient's inbox (web UI); delivery is the record itself."""

    def send(self, recipient: str, message: Mapping[str, Any]) -> None:
        """Nothing leaves the system: the delivery row marked sent is the inbox entry."""


class LogChannel:
    """Writes one JSON line per alert to a file (or the `ogi.alerts` logger when no file is set)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def send(self, recipient: str, message: Mapping[str, Any]) -> None:
        """Append the alert as a JSON line."""
        line = json.dumps({"recipient": recipient, **message}, ensure_ascii=False, default=str)
        if self.path is None:
            log.info(line)
            return
        try:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError as exc:
            raise DeliveryError(f"无法写入提醒日志 {self.path}：{exc}") from exc


def build_channels(names: tuple[str, ...], *, log_path: Path | None = None, config: Mapping[str, Any] | None = None,
                   env: Mapping[str, str] | None = None) -> dict[str, Channel]:
    """The configured channels by name (email and webhook read their `[email]`/`[webhook]` tables and env)."""
    unknown = [n for n in names if n not in CHANNELS]
    if unknown:
        raise ValueError(f"未知的提醒渠道：{'、'.join(unknown)}（可用：{'、'.join(CHANNELS)}）")
    raw, environ = config or {}, env or {}
    channels: dict[str, Channel] = {}
    for name in names:
        if name == "inbox":
            channels[name] = InboxChannel()
        elif name == "log":
            channels[name] = LogChannel(log_path)
        elif name == "email":
            channels[name] = EmailChannel(EmailSettings.from_config(raw, environ))
        else:
            channels[name] = WebhookChannel(WebhookSettings.from_config(raw, environ))
    return channels
