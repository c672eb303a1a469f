"""The email channel: one alert, one UTF-8 mail through SMTP (plain, STARTTLS or implicit TLS), with optional login."""

import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any, Literal, TypeVar

from notifications.delivery import DeliveryError, checked_timeout, config_table, network_problem
from states.clocks import RULES, ClockKind

_N = TypeVar("_N", int, float)
Security = Literal["none", "starttls", "ssl"]
SECURITY: tuple[Security, ...] = ("none", "starttls", "ssl")
DEFAULT_PORTS: dict[Security, int] = {"none": 25, "starttls": 587, "ssl": 465}
SUBJECT_PREFIX = "政府信息公开办理提醒"
KIND_LABELS = {"reminder": "即将届满", "overdue": "已逾期", "escalation": "逾期督办"}

_KEYS = {"host", "port", "security", "username", "password", "sender", "timeout", "ca_file"}
_ENV = {"host": "OGI_SMTP_HOST", "port": "OGI_SMTP_PORT", "username": "OGI_SMTP_USER",
        "password": "OGI_SMTP_PASSWORD", "security": "OGI_SMTP_SECURITY", "sender": "OGI_SMTP_SENDER",
        "ca_file": "OGI_SMTP_CA_FILE"}


@dataclass(frozen=True)
class EmailSettings:
    """Where and how to send mail; the password is kept out of repr()."""

    host: str
    sender: str
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    ca_file: str | None = None  # a private CA bundle (PEM) to trust instead of the system store

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], env: Mapping[str, str]) -> "EmailSettings":
        """Settings from the `[email]` table of a TOML document, overridden by the OGI_SMTP_* variables."""
        values = config_table(raw, "email", _KEYS, _ENV, env)
        host = _text(values, "host")
        if not host:
            raise ValueError("未配置邮件服务器：请在 [email] 中设置 host，或设置环境变量 OGI_SMTP_HOST")
        security = _text(values, "security") or "starttls"
        if security not in SECURITY:
            raise ValueError(f"[email] security 只能是 {'、'.join(SECURITY)}，而不是 {security!r}")
        username, password = _text(values, "username"), _text(values, "password")
        if username and not password:
            raise ValueError("设置了 SMTP 用户名但没有密码：请设置环境变量 OGI_SMTP_PASSWORD")
        if password and not username:
            raise ValueError("设置了 SMTP 密码但没有用户名：请在 [email] 中设置 username 或设置 OGI_SMTP_USER")
        if not (username or "").isascii() or not (password or "").isascii():
            raise ValueError("SMTP 用户名和密码只能包含 ASCII 字符（Python smtplib 的限制）")
        sender = _text(values, "sender") or (username if username and "@" in username else None)
        if not sender or "@" not in parseaddr(sender)[1]:
            raise ValueError("未配置有效的发件人地址：请在 [email] 中设置 sender，或设置环境变量 OGI_SMTP_SENDER")
        port = _number(values, "port", int, DEFAULT_PORTS[security])
        if port > 65535:
            raise ValueError(f"[email] port 应为 1–65535 的端口号，而不是 {port}")
        ca_file = _text(values, "ca_file")
        if ca_file is not None and not Path(ca_file).is_file():
            raise ValueError(f"[email] ca_file 指向的证书文件不存在：{ca_file}")
        return cls(host=host, sender=sender, port=port,
                   security=security, username=username, password=password,
                   timeout=checked_timeout("email", _number(values, "timeout", float, 10.0)),
                   ca_file=ca_file)


def _text(values: Mapping[str, Any], key: str) -> str | None:
    value = values.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"[email] {key} 应为字符串，而不是 {value!r}")
    return value


def _number(values: Mapping[str, Any], key: str, kind: type[_N], default: _N) -> _N:
    value = values.get(key, default)
    try:
        if isinstance(value, bool) or (kind is int and isinstance(value, float)):
            raise ValueError
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"[email] {key} 应为正数，而不是 {value!r}") from None
    if number <= 0:
        raise ValueError(f"[email] {key} 应为正数，而不是 {value!r}")
    return number


def _clock_label(message: Mapping[str, Any]) -> str:
    clock = str(message.get("clock", ""))
    try:
        return RULES[ClockKind(clock)].label
    except (ValueError, KeyError):
        return clock


def subject(message: Mapping[str, Any]) -> str:
    """「政府信息公开办理提醒：案件 2025-0001 答复期限即将届满」 (the case number only when known)."""
    label = _clock_label(message)
    kind = KIND_LABELS.get(str(message.get("kind", "")), "")
    case = f"案件 {message['number']} " if message.get("number") else ""
    return f"{SUBJECT_PREFIX}：{case}{label}{kind}".strip()


def body(recipient: str, message: Mapping[str, Any]) -> str:
    """The plain-text mail: the alert's sentence, then the case number, deadline and due date."""
    label = _clock_label(message)
    lines = [f"{recipient}：", "", f"    {message.get('message', '')}", ""]
    if message.get("number"):
        lines.append(f"案件编号：{message['number']}")
    lines += [f"期限：{label}", f"届满日期：{message.get('due_on', '')}"]
    if message.get("kind") in KIND_LABELS:
        lines.append(f"提醒类型：{KIND_LABELS[str(message['kind'])]}")
    lines += ["", "本邮件由政府信息公开办理系统自动发送，请勿直接回复。"]
    return "\n".join(lines) + "\n"


def compose(sender: str, to: str, recipient: str, message: Mapping[str, Any]) -> EmailMessage:
    """The mail for one alert, with a Message-ID fixed per alert and recipient so a resend can be recognised."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject(message)
    mail["Date"] = formatdate(localtime=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "ogi.invalid"
    if message.get("alert_id") is not None:
        local = re.sub(r"[^A-Za-z0-9.-]", "-", f"ogi-alert-{message['alert_id']}-{recipient}")
        mail["Message-ID"] = f"<{local}@{domain}>"
    mail.set_content(body(recipient, message), charset="utf-8")
    return mail


class EmailChannel:
    """Sends each alert to the recipient's registered address (message["recipient_email"])."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls())
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            try:
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            except BaseException:
                smtp.close()
                raise
        return smtp

    def send(self, recipient: str, message: Mapping[str, Any]) -> None:
        """Send one mail, or raise DeliveryError saying what went wrong (in Chinese)."""
        to = message.get("recipient_email")
        if not to:
            raise DeliveryError(f"用户 {recipient} 没有登记电子邮箱")
        if "@" not in parseaddr(str(to))[1] or any(c in str(to) for c in "\r\n"):
            raise DeliveryError(f"用户 {recipient} 登记的电子邮箱无效：{to!r}")
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            mail = compose(s.sender, str(to), recipient, message)
            with self._connect() as smtp:
                if s.username:
                    smtp.login(s.username, s.password or "")
                smtp.send_message(mail, from_addr=parseaddr(s.sender)[1], to_addrs=[str(to)])
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"邮件服务器 {where} 拒绝了登录（用户 {s.username}）：{_reply(exc)}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"邮件服务器 {where} 不支持所需的功能（STARTTLS 或登录）：{exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            reasons = "；".join(f"{addr} {_reply(err)}" for addr, err in exc.recipients.items())
            raise DeliveryError(f"邮件服务器 {where} 拒收收件人：{reasons}") from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"邮件服务器 {where} 拒绝了邮件：{_reply(exc)}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(f"邮件服务器 {where} 的证书未通过验证：{exc.verify_message}") from exc
        except UnicodeEncodeError as exc:
            raise DeliveryError(f"邮件服务器 {where}：SMTP 用户名和密码只能包含 ASCII 字符") from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise DeliveryError(f"邮件服务器 {where} 断开了连接或没有答复（SMTPServerDisconnected: {exc}）") from exc
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise DeliveryError(f"无法通过邮件服务器 {where} 发送邮件：{network_problem(exc)}") from exc


def _reply(err: Any) -> str:
    """An SMTP reply (exception or (code, message) pair) as '535 text'."""
    code, text = (err.smtp_code, err.smtp_error) if isinstance(err, smtplib.SMTPResponseException) else err
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}"
