"""What every alert channel shares: the Channel protocol, DeliveryError, the network timeout cap, settings tables."""

import socket
import ssl
from collections.abc import Mapping
from typing import Any, Protocol

# The longest a channel may wait for the network, per wait (seconds). An SMTP send waits up to about ten
# times (connect, greeting, STARTTLS, login, each command), so at most five minutes: with the claim
# restamped every 2½ minutes, that stays inside workflow.alerts.outbox.STALE_CLAIM (10 minutes), and a slow
# send is never taken over and repeated by another process.
MAX_TIMEOUT = 30


def network_problem(exc: BaseException | str) -> str:
    """Why a connection failed, in Chinese first, the system's own words kept for whoever fixes it."""
    if isinstance(exc, str):
        return exc
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"连接被拒绝，服务未启动或端口不对（{detail}）"
    if isinstance(exc, TimeoutError):
        return f"连接或等待答复超时（{detail}）"
    if isinstance(exc, socket.gaierror):
        return f"无法解析主机名，检查地址是否正确（{detail}）"
    if isinstance(exc, ConnectionError):
        return f"连接中断（{detail}）"
    if isinstance(exc, ssl.SSLError):
        return f"TLS 加密连接失败（{detail}）"
    if isinstance(exc, OSError):
        return f"网络或系统错误（{detail}）"
    return f"出错（{detail}）"


def checked_timeout(name: str, value: Any) -> float:
    """A channel's `timeout` setting: a number of seconds in (0, MAX_TIMEOUT]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_TIMEOUT:
        raise ValueError(f"[{name}] timeout 应为不超过 {MAX_TIMEOUT} 的正数（秒），而不是 {value!r}")
    return float(value)


class DeliveryError(Exception):
    """A channel could not deliver; the outbox records the error and retries later."""


class Channel(Protocol):
    """Something that delivers one alert message to one recipient."""

    def send(self, recipient: str, message: Mapping[str, Any]) -> None:
        """Deliver, or raise DeliveryError (any exception counts as a failed attempt)."""


def config_table(raw: Mapping[str, Any], name: str, keys: set[str], env_names: Mapping[str, str],
                 env: Mapping[str, str]) -> dict[str, Any]:
    """A channel's `[name]` table from the settings file, checked for unknown keys, with env overrides."""
    table = raw.get(name, {})
    if not isinstance(table, Mapping):
        raise ValueError(f"[{name}] 应为一个表（table）")
    unknown = set(table) - keys
    if unknown:
        raise ValueError(f"[{name}] 中有未知的设置项：{'、'.join(sorted(unknown))}（可用：{'、'.join(sorted(keys))}）")
    values: dict[str, Any] = dict(table)
    values.update({key: env[var] for key, var in env_names.items() if env.get(var)})
    return values
