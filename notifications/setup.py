"""The alert policy and delivery channels an operator configured: the TOML file (`--config` or OGI_ALERTS) and
the environment (channel secrets, OGI_ALERT_LOG), read the same way by `ogi scheduler`, `ogi alerts` and `ogi serve`."""

from collections.abc import Mapping
from pathlib import Path

from notifications.channels import build_channels
from notifications.delivery import Channel
from notifications.policy import AlertPolicy, load_policy, read_config


def configured(config: Path | None, env: Mapping[str, str]) -> tuple[AlertPolicy, dict[str, Channel]]:
    """The policy and channels; ValueError (in Chinese) when the file or a channel's settings are wrong."""
    path = config or (Path(env["OGI_ALERTS"]) if env.get("OGI_ALERTS") else None)
    policy = load_policy(path)
    log_path = env.get("OGI_ALERT_LOG")
    channels = build_channels(policy.channels, log_path=Path(log_path) if log_path else None,
                              config=read_config(path) if path else {}, env=env)
    return policy, channels
