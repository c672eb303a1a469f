"""The webhook channel: one alert, one JSON POST (plain JSON, or the text format of 企业微信/钉钉 group robots)."""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import IO, Any, Literal

from notifications.delivery import DeliveryError, checked_timeout, config_table, network_problem

Mode = Literal["json", "robot"]
MODES: tuple[Mode, ...] = ("json", "robot")
ROBOT_TITLE = "【政府信息公开办理提醒】"
ROBOT_MAX_BYTES = 2000  # 企业微信 text content: at most 2048 bytes

_KEYS = {"url", "mode", "timeout", "secret"}
_ENV = {"url": "OGI_WEBHOOK_URL", "secret": "OGI_WEBHOOK_SECRET"}


@dataclass(frozen=True)
class WebhookSettings:
    """Where to POST and in which format; the URL (it carries the robot's token) and secret stay out of repr()."""

    url: str = field(repr=False)
    mode: Mode = "json"
    timeout: float = 10.0
    secret: str | None = field(default=None, repr=False)  # 钉钉 加签 secret (SEC…), signs each request

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], env: Mapping[str, str]) -> "WebhookSettings":
        """Settings from the `[webhook]` table of a TOML document; OGI_WEBHOOK_URL / OGI_WEBHOOK_SECRET override."""
        values = config_table(raw, "webhook", _KEYS, _ENV, env)
        url = values.get("url")
        if not url:
            raise ValueError("未配置 webhook 地址：请在 [webhook] 中设置 url，或设置环境变量 OGI_WEBHOOK_URL")
        if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in ("http", "https") \
                or not urllib.parse.urlsplit(url).netloc:
            raise ValueError("[webhook] url 应为 http:// 或 https:// 开头的完整地址")
        mode = values.get("mode", "json")
        if mode not in MODES:
            raise ValueError(f"[webhook] mode 只能是 {'、'.join(MODES)}，而不是 {mode!r}")
        timeout = checked_timeout("webhook", values.get("timeout", 10.0))
        secret = values.get("secret") or None
        if secret is not None and not isinstance(secret, str):
            raise ValueError("[webhook] secret 应为字符串")
        return cls(url=url, mode=mode, timeout=timeout, secret=secret)


def robot_text(recipient: str, message: Mapping[str, Any]) -> str:
    """The robot's text: title, recipient, the alert's sentence, case number and due date (cut to the byte limit)."""
    lines = [ROBOT_TITLE, f"提醒对象：{recipient}", str(message.get("message", ""))]
    if message.get("number"):
        lines.append(f"案件编号：{message['number']}")
    if message.get("due_on"):
        lines.append(f"届满日期：{message['due_on']}")
    text = "\n".join(lines)
    data = text.encode("utf-8")
    if len(data) <= ROBOT_MAX_BYTES:
        return text
    return data[:ROBOT_MAX_BYTES - 3].decode("utf-8", "ignore") + "…"


def payload(mode: Mode, recipient: str, message: Mapping[str, Any]) -> dict[str, Any]:
    """What is posted: the message with its recipient (json), or a robot text message (robot)."""
    if mode == "robot":
        return {"msgtype": "text", "text": {"content": robot_text(recipient, message)}}
    return {"recipient": recipient, **message}


def signed_url(url: str, secret: str, now: Callable[[], float] = time.time) -> str:
    """钉钉 加签: append timestamp (ms) and sign = base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}"))."""
    timestamp = str(round(now() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    query = urllib.parse.urlencode({"timestamp": timestamp, "sign": base64.b64encode(digest).decode("ascii")})
    return f"{url}{'&' if urllib.parse.urlsplit(url).query else '?'}{query}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a GET and drop the alert: treat it as an error instead."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: Message, newurl: str) -> urllib.request.Request | None:
        return None


def _where(url: str) -> str:
    """The URL without its query (robot tokens live there), for error messages that end up in the database."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class WebhookChannel:
    """POSTs each alert as JSON; in robot mode a non-zero errcode in the reply counts as a failure."""

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings

    def send(self, recipient: str, message: Mapping[str, Any]) -> None:
        """POST one alert, or raise DeliveryError with the HTTP status or the robot's errmsg (in Chinese)."""
        s = self.settings
        where = _where(s.url)
        data = json.dumps(payload(s.mode, recipient, message), ensure_ascii=False, default=str).encode("utf-8")
        url = signed_url(s.url, s.secret) if s.secret else s.url
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "ogi-workflow"})
        try:
            opener = urllib.request.build_opener(_NoRedirect)  # per call: proxy settings are read from the env
            with opener.open(request, timeout=s.timeout) as response:
                status, reply = response.status, response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace").strip()
            raise DeliveryError(f"webhook {where} 返回 HTTP {exc.code} {exc.reason}"
                                + (f"：{detail}" if detail else "")) from exc
        except urllib.error.URLError as exc:
            raise DeliveryError(f"无法连接 webhook {where}：{network_problem(exc.reason)}") from exc
        except (OSError, ValueError) as exc:  # timeouts while reading, malformed replies
            raise DeliveryError(f"webhook {where} 请求失败：{network_problem(exc)}") from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"webhook {where} 返回 HTTP {status}")
        if s.mode == "robot":
            _check_robot_reply(where, reply)


def _check_robot_reply(where: str, reply: bytes) -> None:
    """企业微信 and 钉钉 answer {"errcode": 0, "errmsg": "ok"}; anything else means the message was not posted."""
    try:
        body = json.loads(reply.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DeliveryError(f"群机器人 {where} 的答复不是 JSON，消息可能未送达（地址是否正确？）："
                            f"{reply[:200].decode('utf-8', 'replace')}") from None
    if not isinstance(body, dict):
        raise DeliveryError(f"群机器人 {where} 的答复无法识别：{body!r}")
    errcode = body.get("errcode", 0)
    if errcode not in (0, "0"):
        raise DeliveryError(f"群机器人 {where} 拒绝了消息：errcode {errcode}，{body.get('errmsg', '')}")
