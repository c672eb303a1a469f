"""The email and webhook channels against real servers on 127.0.0.1: aiosmtpd (plain, STARTTLS, SSL) and http.server."""

import asyncio
import base64
import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications.channels import Channel, DeliveryError
from notifications.email import EmailChannel, EmailSettings
from notifications.webhook import Mode, WebhookChannel, WebhookSettings

MESSAGE: dict[str, Any] = {
    "alert_id": 7, "clock": "response", "kind": "reminder", "due_on": "2025-03-14",
    "message": "案件 2025-0001（张三）答复期限将于 2025-03-14 届满，还有 5 个工作日",
    "recipient_email": "zhang.clerk@example.gov.cn", "number": "2025-0001"}
USER, PASSWORD = "ogi-sender", "s3cret-pass word"
SENDER = "区政府办公室 <ogi@example.gov.cn>"
FAST = 2.0  # seconds: every network call in these tests must finish well within this


# --- SMTP -------------------------------------------------------------------------------------------


@dataclass
class Sink:
    """aiosmtpd handler keeping what arrived: envelope, parsed mail, whether TLS was on, who logged in."""

    mails: list[dict[str, Any]] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append({
            "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
            "mail": message_from_bytes(envelope.original_content, policy=default_policy),
            "tls": server.transport.get_extra_info("ssl_object") is not None})
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((mechanism, login, password))
        ok = (login, password) == (USER, PASSWORD)
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 235 or 535 itself


class _Controller(Controller):
    """aiosmtpd's Controller, listening on a free port chosen by the OS (port=0)."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextmanager
def smtp_server(sink: Sink, **kwargs: Any) -> Iterator[_Controller]:
    controller = _Controller(sink, hostname="127.0.0.1", port=0, authenticator=sink.authenticate, **kwargs)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("需要 openssl 命令来生成测试证书")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,digitalSignature,keyCertSign"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


@pytest.fixture
def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def settings(port: int, **overrides: Any) -> EmailSettings:
    values: dict[str, Any] = {"host": "127.0.0.1", "port": port, "security": "none", "sender": SENDER,
                              "timeout": FAST, **overrides}
    return EmailSettings(**values)


def check_mail(got: dict[str, Any]) -> EmailMessage:
    mail: EmailMessage = got["mail"]
    assert got["mail_from"] == "ogi@example.gov.cn"
    assert got["rcpt_tos"] == ["zhang.clerk@example.gov.cn"]
    assert mail["To"] == "zhang.clerk@example.gov.cn"
    assert str(mail["From"]) == SENDER
    assert mail["Subject"] == "政府信息公开办理提醒：案件 2025-0001 答复期限即将届满"
    assert mail["Message-ID"] == "<ogi-alert-7-clerk@example.gov.cn>"
    assert mail.get_content_charset() == "utf-8"
    text = mail.get_content()
    assert text.startswith("clerk：")
    assert MESSAGE["message"] in text
    assert "案件编号：2025-0001" in text
    assert "期限：答复期限" in text
    assert "届满日期：2025-03-14" in text
    return mail


def test_plain_smtp_delivers_a_chinese_mail_to_the_registered_address() -> None:
    sink = Sink()
    with smtp_server(sink) as server:
        channel: Channel = EmailChannel(settings(server.port))
        channel.send("clerk", MESSAGE)
    [got] = sink.mails
    check_mail(got)
    assert got["tls"] is False
    assert sink.logins == []


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_starttls_with_login(server_tls: ssl.SSLContext, certificate: tuple[Path, Path], mechanism: str) -> None:
    sink = Sink()
    other = {"PLAIN": ["LOGIN"], "LOGIN": ["PLAIN"]}[mechanism]
    with smtp_server(sink, tls_context=server_tls, require_starttls=True, auth_required=True,
                     auth_exclude_mechanism=other) as server:
        EmailChannel(settings(server.port, security="starttls", username=USER, password=PASSWORD,
                              ca_file=str(certificate[0]))).send("clerk", MESSAGE)
    [got] = sink.mails
    check_mail(got)
    assert got["tls"] is True
    assert sink.logins == [(mechanism, USER, PASSWORD)]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_ssl_with_login(server_tls: ssl.SSLContext, certificate: tuple[Path, Path]) -> None:
    sink = Sink()
    # aiosmtpd does not know an implicit-TLS connection is encrypted, so it must be told AUTH is allowed.
    with smtp_server(sink, ssl_context=server_tls, auth_required=True, auth_require_tls=False) as server:
        EmailChannel(settings(server.port, security="ssl", username=USER, password=PASSWORD,
                              ca_file=str(certificate[0]))).send("clerk", MESSAGE)
    [got] = sink.mails
    check_mail(got)
    assert got["tls"] is True
    assert [login[1:] for login in sink.logins] == [(USER, PASSWORD)]


def test_a_wrong_password_is_a_delivery_error(server_tls: ssl.SSLContext, certificate: tuple[Path, Path]) -> None:
    sink = Sink()
    with smtp_server(sink, tls_context=server_tls, require_starttls=True, auth_required=True) as server:
        channel = EmailChannel(settings(server.port, security="starttls", username=USER, password="wrong",
                                        ca_file=str(certificate[0])))
        with pytest.raises(DeliveryError, match=r"拒绝了登录.*535"):
            channel.send("clerk", MESSAGE)
    assert sink.mails == []


def test_an_untrusted_certificate_is_refused(server_tls: ssl.SSLContext) -> None:
    sink = Sink()
    with smtp_server(sink, tls_context=server_tls, require_starttls=True) as server:
        channel = EmailChannel(settings(server.port, security="starttls", username=USER, password=PASSWORD))
        with pytest.raises(DeliveryError, match="证书未通过验证"):
            channel.send("clerk", MESSAGE)
    assert sink.mails == [] and sink.logins == []


def test_starttls_is_required_when_configured() -> None:
    # A server (or a man in the middle) that does not offer STARTTLS gets no mail and no password.
    sink = Sink()
    with smtp_server(sink) as server:
        channel = EmailChannel(settings(server.port, security="starttls", username=USER, password=PASSWORD))
        with pytest.raises(DeliveryError, match="不支持"):
            channel.send("clerk", MESSAGE)
    assert sink.mails == [] and sink.logins == []


def test_a_user_without_an_email_address_is_a_delivery_error() -> None:
    channel = EmailChannel(settings(1))  # never connects
    message = {k: v for k, v in MESSAGE.items() if k != "recipient_email"}
    with pytest.raises(DeliveryError, match="用户 clerk 没有登记电子邮箱"):
        channel.send("clerk", message)
    with pytest.raises(DeliveryError, match="电子邮箱无效"):
        channel.send("clerk", {**MESSAGE, "recipient_email": "x@y.cn\r\nBcc: z@w.cn"})


def test_a_mail_without_a_case_number_still_has_a_subject() -> None:
    sink = Sink()
    with smtp_server(sink) as server:
        EmailChannel(settings(server.port)).send("head", {**MESSAGE, "number": None, "kind": "escalation"})
    assert sink.mails[0]["mail"]["Subject"] == "政府信息公开办理提醒：答复期限逾期督办"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections (into the backlog) and never says a word."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


def test_smtp_refused_connection_fails_fast() -> None:
    start = time.monotonic()
    with pytest.raises(DeliveryError, match=r"无法通过邮件服务器.*：连接被拒绝，服务未启动或端口不对"):
        EmailChannel(settings(closed_port())).send("clerk", MESSAGE)
    assert time.monotonic() - start < FAST


def test_smtp_silent_server_times_out() -> None:
    with silent_server() as port:
        start = time.monotonic()
        with pytest.raises(DeliveryError, match=r"邮件服务器 .* 断开了连接或没有答复"):
            EmailChannel(settings(port, timeout=0.3)).send("clerk", MESSAGE)
    assert time.monotonic() - start < FAST


def test_email_settings_from_toml_and_env() -> None:
    raw = {"email": {"host": "smtp.example.gov.cn", "security": "ssl", "username": "ogi@example.gov.cn",
                     "timeout": 5}}
    got = EmailSettings.from_config(raw, {"OGI_SMTP_PASSWORD": "from-env"})
    assert got == EmailSettings(host="smtp.example.gov.cn", sender="ogi@example.gov.cn", port=465, security="ssl",
                                username="ogi@example.gov.cn", password="from-env", timeout=5.0)
    assert "from-env" not in repr(got)
    env = {"OGI_SMTP_HOST": "relay.local", "OGI_SMTP_PORT": "2525", "OGI_SMTP_SECURITY": "none",
           "OGI_SMTP_SENDER": "alerts@example.gov.cn", "OGI_SMTP_USER": "", "OGI_SMTP_PASSWORD": ""}
    got = EmailSettings.from_config({}, env)
    assert (got.host, got.port, got.security, got.sender, got.username) == (
        "relay.local", 2525, "none", "alerts@example.gov.cn", None)
    assert EmailSettings.from_config({"email": {"host": "h", "sender": "a@b.cn"}}, {}).port == 587


@pytest.mark.parametrize(("table", "env", "error"), [
    ({}, {}, "未配置邮件服务器"),
    ({"host": "h", "sender": "a@b.cn", "tls": True}, {}, "未知的设置项：tls"),
    ({"host": "h", "sender": "a@b.cn", "security": "tls"}, {}, "security 只能是"),
    ({"host": "h", "sender": "a@b.cn", "port": "abc"}, {}, "port 应为正数"),
    ({"host": "h", "sender": "a@b.cn"}, {"OGI_SMTP_PORT": "0"}, "port 应为正数"),
    ({"host": "h", "sender": "a@b.cn", "username": "u"}, {}, "没有密码"),
    ({"host": "h", "sender": "a@b.cn", "timeout": 300}, {}, "timeout 应为不超过 30 的正数"),
    ({"host": "h", "sender": "a@b.cn", "port": 70000}, {}, "port 应为 1–65535 的端口号"),
    ({"host": "h", "sender": "a@b.cn", "ca_file": "/nonexistent/ca.pem"}, {}, "ca_file 指向的证书文件不存在"),
    ({"host": "h"}, {}, "发件人"),
    ({"host": "h", "sender": "a@b.cn", "username": "u"}, {"OGI_SMTP_PASSWORD": "口令"}, "ASCII"),
])
def test_email_settings_refuse_bad_configuration(table: dict[str, Any], env: dict[str, str], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        EmailSettings.from_config({"email": table}, env)


# --- Webhook ----------------------------------------------------------------------------------------


class Hook(ThreadingHTTPServer):
    """A local HTTP server recording each POST and answering with the next queued (status, body, headers)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.received: list[dict[str, Any]] = []
        self.replies: list[tuple[int, bytes, dict[str, str]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/robot/send"

    def reply(self, status: int, body: Any = b"", **headers: str) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.replies.append((status, data, headers))


class _HookHandler(BaseHTTPRequestHandler):
    server: Hook

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"path": self.path, "content_type": self.headers["Content-Type"],
                                     "json": json.loads(data.decode("utf-8"))})
        status, body, headers = self.server.replies.pop(0) if self.server.replies else (200, b"", {})
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hook]:
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)  # 127.0.0.1 must be reached directly
    server = Hook()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_json_mode_posts_the_message_with_its_recipient(hook: Hook) -> None:
    channel: Channel = WebhookChannel(WebhookSettings(url=hook.url, timeout=FAST))
    channel.send("clerk", MESSAGE)
    [got] = hook.received
    assert got["content_type"] == "application/json; charset=utf-8"
    assert got["json"] == {"recipient": "clerk", **MESSAGE}


def test_robot_mode_posts_the_wecom_dingtalk_text_format(hook: Hook) -> None:
    hook.reply(200, {"errcode": 0, "errmsg": "ok"})
    WebhookChannel(WebhookSettings(url=hook.url + "?key=abc", mode="robot", timeout=FAST)).send("clerk", MESSAGE)
    [got] = hook.received
    assert got["path"] == "/robot/send?key=abc"
    assert set(got["json"]) == {"msgtype", "text"}
    assert got["json"]["msgtype"] == "text"
    content = got["json"]["text"]["content"]
    assert content.splitlines() == ["【政府信息公开办理提醒】", "提醒对象：clerk", MESSAGE["message"],
                                    "案件编号：2025-0001", "届满日期：2025-03-14"]


def test_a_robot_errcode_is_a_delivery_error(hook: Hook) -> None:
    hook.reply(200, {"errcode": 310000, "errmsg": "keywords not in content"})
    channel = WebhookChannel(WebhookSettings(url=hook.url + "?access_token=TOKEN", mode="robot", timeout=FAST))
    with pytest.raises(DeliveryError, match="errcode 310000，keywords not in content") as caught:
        channel.send("clerk", MESSAGE)
    assert "TOKEN" not in str(caught.value)  # the error is stored in the database: no robot token in it


def test_a_robot_reply_that_is_not_json_is_a_delivery_error(hook: Hook) -> None:
    hook.reply(200, b"<html>login</html>", **{"Content-Type": "text/html"})
    with pytest.raises(DeliveryError, match="不是 JSON"):
        WebhookChannel(WebhookSettings(url=hook.url, mode="robot", timeout=FAST)).send("clerk", MESSAGE)


@pytest.mark.parametrize("mode", ["json", "robot"])
def test_a_server_error_is_a_delivery_error(hook: Hook, mode: Mode) -> None:
    hook.reply(500, b"database down")
    channel = WebhookChannel(WebhookSettings(url=hook.url, mode=mode, timeout=FAST))
    with pytest.raises(DeliveryError, match=r"HTTP 500.*database down"):
        channel.send("clerk", MESSAGE)


def test_a_redirect_is_not_followed(hook: Hook) -> None:
    # urllib would re-send a redirected POST as a GET without the alert.
    hook.reply(302, b"", Location="/elsewhere")
    with pytest.raises(DeliveryError, match="HTTP 302"):
        WebhookChannel(WebhookSettings(url=hook.url, timeout=FAST)).send("clerk", MESSAGE)
    assert len(hook.received) == 1


def test_dingtalk_signed_webhook(hook: Hook) -> None:
    hook.reply(200, {"errcode": 0, "errmsg": "ok"})
    secret = "SEC0123456789abcdef"
    WebhookChannel(WebhookSettings(url=hook.url + "?access_token=T", mode="robot", timeout=FAST,
                                   secret=secret)).send("clerk", MESSAGE)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(hook.received[0]["path"]).query)
    assert query["access_token"] == ["T"]
    [timestamp], [sign] = query["timestamp"], query["sign"]
    assert abs(int(timestamp) - time.time() * 1000) < 60_000
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest())
    assert sign == expected.decode()


def test_webhook_refused_connection_fails_fast() -> None:
    start = time.monotonic()
    with pytest.raises(DeliveryError, match="无法连接 webhook"):
        WebhookChannel(WebhookSettings(url=f"http://127.0.0.1:{closed_port()}/x", timeout=FAST)).send("c", MESSAGE)
    assert time.monotonic() - start < FAST


def test_webhook_silent_server_times_out() -> None:
    with silent_server() as port:
        start = time.monotonic()
        with pytest.raises(DeliveryError, match="webhook"):
            WebhookChannel(WebhookSettings(url=f"http://127.0.0.1:{port}/x", timeout=0.3)).send("c", MESSAGE)
    assert time.monotonic() - start < FAST


def test_webhook_settings_from_toml_and_env() -> None:
    raw = {"webhook": {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K", "mode": "robot",
                       "timeout": 3}}
    got = WebhookSettings.from_config(raw, {})
    assert (got.url, got.mode, got.timeout, got.secret) == (raw["webhook"]["url"], "robot", 3.0, None)
    assert "key=K" not in repr(got)
    env = {"OGI_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=T", "OGI_WEBHOOK_SECRET": "SEC1"}
    got = WebhookSettings.from_config(raw, env)
    assert (got.url, got.secret) == (env["OGI_WEBHOOK_URL"], "SEC1")
    assert WebhookSettings.from_config({}, {"OGI_WEBHOOK_URL": "http://hooks.local/a"}).mode == "json"


@pytest.mark.parametrize(("table", "error"), [
    ({}, "未配置 webhook 地址"),
    ({"url": "file:///etc/passwd"}, "http:// 或 https://"),
    ({"url": "http://h/a", "mode": "wecom"}, "mode 只能是"),
    ({"url": "http://h/a", "timeout": 0}, "timeout 应为不超过 30 的正数"),
    ({"url": "http://h/a", "timeout": 600}, "timeout 应为不超过 30 的正数"),  # longer than a claim may wait
    ({"url": "http://h/a", "token": "x"}, "未知的设置项：token"),
])
def test_webhook_settings_refuse_bad_configuration(table: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        WebhookSettings.from_config({"webhook": table}, {})


# --- end to end: a sweep mails the clerk through the outbox --------------------------------------


def test_a_sweep_mails_the_reminder_to_the_clerk_and_webhooks_the_group(hook: Hook, tmp_path: Path) -> None:
    from datetime import date

    from notifications.channels import build_channels
    from notifications.policy import DEFAULT_POLICY, AlertPolicy
    from workflow import admin, alerts, cases
    from workflow.db import Database
    from workflow.inputs import ApplicationCreate

    db = Database(f"sqlite:///{tmp_path / 'mail.db'}")
    admin.init(db, agency="测试局")
    admin.add_user(db, actor_name="admin", username="li", role="clerk", email="li@example.org")
    admin.add_user(db, actor_name="admin", username="wang", role="head")  # no address: inbox and webhook only
    data = ApplicationCreate(applicant_name="张三", applicant_type="natural", channel="online",
                             received_on=date(2025, 3, 3), request="x")
    number = cases.register(db, actor_name="li", data=data, today=date(2025, 3, 3)).number
    policy = AlertPolicy(clocks=DEFAULT_POLICY.clocks, channels=("inbox", "email", "webhook"))
    sink = Sink()
    hook.reply(200, {"errcode": 0, "errmsg": "ok"})
    hook.reply(200, {"errcode": 0, "errmsg": "ok"})
    with smtp_server(sink) as server:
        config = {"email": {"host": "127.0.0.1", "port": server.port, "security": "none",
                            "sender": "ogi@example.org"},
                  "webhook": {"url": hook.url, "mode": "robot"}}
        channels = build_channels(policy.channels, config=config, env={})
        result = alerts.sweep(db, today=date(2025, 4, 1), policy=policy, channels=channels)  # overdue since 03-31
    assert (result.delivered, result.failed) == (5, 0)  # inbox ×2, email ×1 (li), webhook ×2
    [mail] = sink.mails
    assert mail["rcpt_tos"] == ["li@example.org"] and number in str(mail["mail"]["Subject"])
    assert len(hook.received) == 2 and all("已逾期" in r["json"]["text"]["content"] for r in hook.received)
    db.dispose()
