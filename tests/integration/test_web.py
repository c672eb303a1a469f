"""The web workbench as a browser without JavaScript uses it (FastAPI's TestClient over a real database):
logins, sessions, CSRF, agency scoping, refusals with nothing changed, escaping, stale forms."""

import hashlib
import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from notifications.channels import InboxChannel
from notifications.policy import DEFAULT_POLICY
from tests.integration.conftest import World
from tests.integration.test_calendar_cli import NOTICE_2027
from workflow import accounts, admin, agencies, alerts, annual, case_files, monitor, users
from workflow.cli import app as cli
from workflow.web import create_app

DAY = date(2026, 3, 2)  # a Monday
PASSWORD = "correct-horse-1"


@pytest.fixture
def web(world: World) -> Iterator[World]:
    """The world with passwords for `clerk`, `clerk2`, `head`, `admin`, and a second agency `east` with its
    `east_clerk`."""
    yield _with_users(world)


def _with_users(world: World) -> World:
    agencies.add_agency(world.db, actor_name="admin", code="east", name="测试市东区人民政府办公室")
    admin.add_user(world.db, actor_name="admin", username="east_clerk", role="clerk", agency="east")
    admin.add_user(world.db, actor_name="admin", username="clerk2", role="clerk", agency="main")
    for name in ("clerk", "clerk2", "head", "admin", "east_clerk"):
        accounts.set_password(world.db, actor_name="admin", username=name, password=PASSWORD)
    return world


def client(world: World, today: date = DAY) -> TestClient:
    return TestClient(create_app(world.db, secret_key="k" * 40, today=lambda: today), follow_redirects=False)


def token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found[1]


def logged_in(world: World, username: str, password: str = PASSWORD, today: date = DAY) -> TestClient:
    browser = client(world, today)
    response = browser.post("/login", data={"username": username, "password": password,
                                            "csrf_token": token(browser.get("/login").text), "next": "/"})
    assert response.status_code == 303, response.text
    return browser


def register(browser: TestClient, name: str = "张三") -> str:
    form = {"applicant_name": name, "applicant_type": "natural", "channel": "online",
            "received_on": DAY.isoformat(), "request": "某项目的环境影响评价批复",
            "csrf_token": token(browser.get("/cases/new").text)}
    response = browser.post("/cases", data=form)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def act(browser: TestClient, number: str, trigger: str, **fields: str) -> tuple[int, str]:
    page = browser.get(f"/cases/{number}").text
    version = re.search(r'name="version" value="(\d+)"', page)
    form = {"trigger": trigger, "csrf_token": token(page), "version": version[1] if version else "", **fields}
    response = browser.post(f"/cases/{number}/act", data=form)
    return response.status_code, response.text


def test_health_needs_no_login_and_every_page_does(web: World) -> None:
    browser = client(web)
    health = browser.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    for path in ("/", "/cases", "/cases/new", "/cases/2026-0001", "/password"):
        response = browser.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    assert browser.get("/cases?state=received").headers["location"] == "/login?next=/cases?state=received"
    login = browser.get("/login")
    assert login.status_code == 200 and 'name="username"' in login.text and 'name="password"' in login.text
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    assert login.headers["x-frame-options"] == "DENY"


def test_after_login_only_a_path_of_this_site_is_followed(web: World) -> None:
    for target, landing in (("/cases?state=received", "/cases?state=received"), ("//evil.example/", "/"),
                            ("https://evil.example/", "/"), ("/\\evil.example", "/")):
        browser = client(web)
        response = browser.post("/login", data={"username": "clerk", "password": PASSWORD, "next": target,
                                                "csrf_token": token(browser.get("/login").text)})
        assert response.headers["location"] == landing, target


def test_a_session_cookie_is_signed_httponly_and_samesite(web: World) -> None:
    browser = client(web)
    browser.get("/login")
    response = browser.post("/login", data={"username": "clerk", "password": PASSWORD,
                                            "csrf_token": token(browser.get("/login").text)})
    cookie = response.headers["set-cookie"]
    assert "ogi_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "max-age=28800" in cookie.lower()  # expires after a working day
    forged = client(web)
    forged.cookies.set("ogi_session", "eyJ1c2VyIjogImFkbWluIn0=.forged.signature")
    assert forged.get("/").status_code == 303


def test_a_wrong_password_is_refused_and_five_make_the_account_wait(web: World) -> None:
    browser = client(web)
    for attempt in range(1, 6):
        response = browser.post("/login", data={"username": "clerk", "password": "wrong-password",
                                                "csrf_token": token(browser.get("/login").text)})
        assert response.status_code == 401 and "用户名或密码不正确" in response.text
        assert ("后再试" in response.text) == (attempt == 5)
    right = browser.post("/login", data={"username": "clerk", "password": PASSWORD,
                                         "csrf_token": token(browser.get("/login").text)})
    assert right.status_code == 401 and "登录失败次数过多" in right.text  # even the right password must wait
    unknown = browser.post("/login", data={"username": "nobody", "password": PASSWORD,
                                           "csrf_token": token(browser.get("/login").text)})
    assert unknown.status_code == 401 and "用户名或密码不正确" in unknown.text  # no hint which one was wrong


def test_a_disabled_user_cannot_log_in_and_loses_the_open_session(web: World) -> None:
    browser = logged_in(web, "clerk")
    assert browser.get("/").status_code == 200
    users.set_active(web.db, actor_name="admin", username="clerk", active=False)
    assert browser.get("/").status_code == 303
    again = client(web)
    response = again.post("/login", data={"username": "clerk", "password": PASSWORD,
                                          "csrf_token": token(again.get("/login").text)})
    assert response.status_code == 401 and "已停用" in response.text


def test_a_post_without_the_csrf_token_is_refused_with_nothing_done(web: World) -> None:
    browser = logged_in(web, "clerk")
    before = web.snapshot()
    form = {"applicant_name": "张三", "applicant_type": "natural", "channel": "online",
            "received_on": DAY.isoformat(), "request": "某文件"}
    assert browser.post("/cases", data=form).status_code == 403
    assert browser.post("/cases", data={**form, "csrf_token": "forged"}).status_code == 403
    assert web.snapshot() == before
    anonymous = client(web)
    assert anonymous.post("/login", data={"username": "clerk", "password": PASSWORD}).status_code == 403


def test_a_clerk_registers_and_acts_and_a_head_signs_off(web: World) -> None:
    clerk = logged_in(web, "clerk")
    number = register(clerk)
    page = clerk.get(f"/cases/{number}").text
    assert "办理中" in page and "答复期限" in page and "起算日（不计入期限）" in page  # the day-by-day explanation
    status, _ = act(clerk, number, "submit_response", outcome="1", text="予以公开")
    assert status == 303
    before = web.snapshot()
    status, text = act(clerk, number, "approve_response")
    assert status == 403 and "负责人" in text  # a clerk cannot approve; the page says who may
    assert web.snapshot() == before
    head = logged_in(web, "head")
    workbench = head.get("/").text
    assert number in workbench and "答复签发" in workbench  # waiting for the head
    listed = head.get("/approvals").text
    assert number in listed and "答复签发" in listed and "予以公开" in listed
    assert clerk.get("/approvals").status_code == 200 and "/approvals" not in clerk.get("/").text  # no 审批 menu
    status, text = act(head, number, "return_response", text="请补充依据")
    assert status == 303
    assert "请补充依据" in clerk.get(f"/cases/{number}").text
    assert act(clerk, number, "submit_response", outcome="1", text="予以公开，附件已补充")[0] == 303
    assert act(head, number, "approve_response")[0] == 303
    assert "已办结" in clerk.get(f"/cases/{number}").text


def test_another_agencys_case_is_not_found(web: World) -> None:
    clerk = logged_in(web, "clerk")
    register(clerk)
    number = register(clerk, "李四")  # main's second case: east has no such number
    east = logged_in(web, "east_clerk")
    assert east.get(f"/cases/{number}").status_code == 404
    before = web.snapshot()
    page = east.get("/").text
    assert east.post(f"/cases/{number}/act", data={"trigger": "withdraw", "csrf_token": token(page)}).status_code == 404
    assert web.snapshot() == before
    assert number not in east.get("/cases?closed=true").text


def test_what_a_user_typed_is_shown_as_text(web: World) -> None:
    clerk = logged_in(web, "clerk")
    number = register(clerk, name="<script>alert(1)</script>")
    for page in (clerk.get(f"/cases/{number}").text, clerk.get("/cases").text):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_form_opened_on_an_older_version_is_refused(web: World) -> None:
    clerk = logged_in(web, "clerk")
    number = register(clerk)
    stale = clerk.get(f"/cases/{number}").text
    colleague = logged_in(web, "clerk2")
    assert act(colleague, number, "request_correction", text="请补充身份证明", days="15")[0] == 303
    before = web.snapshot()
    response = clerk.post(f"/cases/{number}/act", data={
        "trigger": "request_extension", "csrf_token": token(stale), "version": "1", "text": "需要征求意见"})
    assert response.status_code == 409
    assert "clerk2" in response.text  # who changed it (and when)
    assert web.snapshot() == before


def test_a_user_changes_their_password_and_other_sessions_end(web: World) -> None:
    first, second = logged_in(web, "clerk"), logged_in(web, "clerk")
    page = first.get("/password").text
    wrong = first.post("/password", data={"current": "not-it", "new": "another-secret-2", "confirm": "another-secret-2",
                                          "csrf_token": token(page)})
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    short = first.post("/password", data={"current": PASSWORD, "new": "short", "confirm": "short",
                                          "csrf_token": token(page)})
    assert short.status_code == 400 and "至少 8 个字符" in short.text
    done = first.post("/password", data={"current": PASSWORD, "new": "another-secret-2",
                                         "confirm": "another-secret-2", "csrf_token": token(page)})
    assert done.status_code == 303
    assert first.get("/").status_code == 200  # this session goes on
    assert second.get("/").status_code == 303  # the other one ended
    logged_in(web, "clerk", "another-secret-2")


def test_logout_ends_the_session(web: World) -> None:
    browser = logged_in(web, "clerk")
    page = browser.get("/").text
    assert browser.post("/logout", data={"csrf_token": token(page)}).status_code == 303
    assert browser.get("/").status_code == 303


def test_user_password_reads_the_new_password_from_standard_input(web: World) -> None:
    def run(actor: str, name: str, text: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--db", web.url, "--as", actor, "user", "password", name], input=text)
        return result.exit_code, result.output

    assert run("admin", "head", "brand-new-pass\n") == (0, "已设置用户 head 的密码；该用户此前的登录会话已失效\n")
    logged_in(web, "head", "brand-new-pass")
    code, output = run("admin", "head", "short\n")
    assert code == 1 and "至少 8 个字符" in output
    code, output = run("clerk", "head", "brand-new-pass\n")
    assert code == 1 and "只能由管理员执行" in output
    code, output = run("admin", "nobody", "brand-new-pass\n")
    assert code == 1 and "用户 nobody 不存在" in output
    code, output = run("admin", "head", "")
    assert code == 1 and "没有从标准输入读到新密码" in output


def test_the_letters_of_a_case_download_as_html_and_docx(web: World) -> None:
    clerk = logged_in(web, "clerk")
    number = register(clerk)
    page = clerk.get(f"/cases/{number}").text
    assert f"/cases/{number}/letters/receipt" in page
    html = clerk.get(f"/cases/{number}/letters/receipt")
    assert html.status_code == 200 and number in html.text and "登记回执" in html.text
    assert "script-src" not in html.headers["content-security-policy"]  # nothing may run in a letter
    docx = clerk.get(f"/cases/{number}/letters/receipt?format=docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert f"{number}-receipt.docx" in docx.headers["content-disposition"]
    refused = clerk.get(f"/cases/{number}/letters/fee_notice")
    assert refused.status_code == 400 and "尚未发出收费通知" in refused.text
    assert logged_in(web, "east_clerk").get("/cases/2026-0002/letters/receipt").status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ogi_serve_serves_the_workbench_and_sweeps(web: World, tmp_path: Path) -> None:
    """The real server process: /healthz, a login over HTTP, the session key file made once with mode 0600,
    and the start-up sweep recorded (the heartbeat `ogi status` reads)."""
    port = _free_port()
    key = tmp_path / "session.key"
    env = {**os.environ, "OGI_DB": web.url}
    env.pop("OGI_SECRET_KEY", None)
    server = subprocess.Popen([str(Path(sys.executable).with_name("ogi")), "serve", "--port", str(port),
                               "--secret-file", str(key)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"ogi serve did not answer: {server.stderr.read() if server.poll() is not None else ''}")
        with httpx.Client(base_url=base, follow_redirects=False) as browser:
            assert browser.get("/").headers["location"] == "/login"
            login = browser.get("/login").text
            response = browser.post("/login", data={"username": "clerk", "password": PASSWORD,
                                                    "csrf_token": token(login)})
            assert response.status_code == 303
            assert "工作台" in browser.get("/").text
        assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) >= 32
        for _ in range(100):
            if monitor.status(web.db, today=DAY, max_age=timedelta(days=1))["last_sweep"]:
                break
            time.sleep(0.2)
        assert monitor.status(web.db, today=DAY, max_age=timedelta(days=1))["last_sweep"]
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in out and "会话密钥来自密钥文件" in out


def test_the_alert_inbox_lists_the_agencys_alerts(web: World) -> None:
    clerk = logged_in(web, "clerk")
    number = register(clerk)
    alerts.sweep(web.db, today=date(2026, 4, 1), policy=DEFAULT_POLICY, channels={"inbox": InboxChannel()})
    page = clerk.get("/alerts").text
    assert number in page and "逾期预警" in page
    assert number not in logged_in(web, "east_clerk").get("/alerts").text


def test_each_user_marks_their_own_alerts_read(web: World) -> None:
    first, second = register(logged_in(web, "clerk"), "甲"), register(logged_in(web, "clerk"), "乙")
    alerts.sweep(web.db, today=date(2026, 4, 1), policy=DEFAULT_POLICY, channels={"inbox": InboxChannel()})
    clerk, other = logged_in(web, "clerk", today=date(2026, 4, 1)), logged_in(web, "clerk2", today=date(2026, 4, 1))
    page = clerk.get("/alerts?unread=true").text
    ids: dict[str, list[str]] = {}
    for i, n in re.findall(r'name="alert" value="(\d+)".*?href="/cases/(\d{4}-\d{4})"', page, re.S):
        ids.setdefault(n, []).append(i)
    assert set(ids) == {first, second}

    def inbox_of_workbench(browser: TestClient) -> str:
        found = re.search(r'<section id="alerts">(.*?)</section>', browser.get("/").text, re.S)
        assert found
        return found[1]

    assert first in inbox_of_workbench(clerk)  # 工作台 lists the unread ones
    done = clerk.post("/alerts/read", data={"alert": ids[first], "unread": "true", "csrf_token": token(page)})
    assert done.status_code == 303 and done.headers["location"] == "/alerts?unread=true"
    after = clerk.get("/alerts?unread=true").text
    assert f"已将 {len(ids[first])} 条提醒标为已读" in after and first not in after and second in after
    assert first in clerk.get("/alerts").text  # still in the inbox, marked 已读
    assert first in other.get("/alerts?unread=true").text  # unread for everyone else
    assert first not in inbox_of_workbench(clerk) and first in inbox_of_workbench(other)

    stranger = logged_in(web, "east_clerk", today=date(2026, 4, 1))
    refused = stranger.post("/alerts/read", data={"alert": ids[second], "csrf_token": token(stranger.get("/").text)})
    assert refused.status_code == 303 and "不属于你所在的机关" in stranger.get("/alerts").text
    assert second in clerk.get("/alerts?unread=true").text  # nothing was marked
    assert clerk.post("/alerts/read", data={"all": "1"}).status_code == 403  # no CSRF token

    clerk.post("/alerts/read", data={"all": "1", "csrf_token": token(after)})
    assert "没有未读的提醒" in clerk.get("/alerts?unread=true").text
    assert not any(a["read"] for a in monitor.list_alerts(web.db, actor_name="clerk2"))


def test_the_case_list_filters_by_applicant_type_year_and_assignee_and_sorts(web: World) -> None:
    natural = web.receive(DAY - timedelta(days=7), name="赵一")
    firm = web.receive(DAY, applicant_type="commercial", name="某某公司")
    web.act(firm, "assign", DAY, as_="head", assignee="clerk2")
    clerk = logged_in(web, "clerk")
    page = clerk.get("/cases").text
    assert '<option value="clerk2">' in page and '<option value="commercial">商业企业</option>' in page

    def shown(query: str) -> list[str]:
        return re.findall(r'href="/cases/(\d{4}-\d{4})"', clerk.get(f"/cases?{query}").text)

    assert shown("applicant_type=commercial") == [firm]
    assert shown("assignee=clerk2") == [firm]
    assert shown(f"year={DAY.year}&applicant_type=natural") == [natural]
    assert shown(f"year={DAY.year - 1}") == []
    assert shown("sort=newest") == [firm, natural] and shown("sort=oldest") == [natural, firm]
    bad = clerk.get("/cases?sort=biggest&applicant_type=firm")
    assert bad.status_code == 400 and "未知的申请人类型 &#39;firm&#39;" in bad.text


def test_the_annual_report_drills_down_exports_and_locks(web: World) -> None:
    clerk = logged_in(web, "clerk")
    number = register(clerk)
    act(clerk, number, "submit_response", outcome="1", text="予以公开")
    head = logged_in(web, "head")
    act(head, number, "approve_response")
    browser = TestClient(create_app(web.db, secret_key="k" * 40, today=lambda: date(2027, 1, 5)),
                         follow_redirects=False)
    browser.cookies = head.cookies
    page = browser.get("/reports/2026").text
    assert "2026年政府信息公开工作年度报告" in page and "勾稽关系全部成立" in page
    drill = "/reports/2026/cells/1/natural"
    assert drill in page  # a non-zero cell links to its cases
    assert number in browser.get(drill).text
    xlsx = browser.get("/reports/2026/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert browser.get("/reports/2026/export?format=pdf").status_code == 400
    as_clerk = TestClient(browser.app, follow_redirects=False)
    as_clerk.cookies = clerk.cookies
    clerk_page = as_clerk.get("/reports/2026").text
    assert "/reports/2026/lock" not in clerk_page
    assert as_clerk.post("/reports/2026/lock", data={"csrf_token": token(clerk_page)}).status_code == 403
    assert browser.post("/reports/2026/lock", data={"csrf_token": token(page)}).status_code == 303
    assert "本报告数据已于 2027-01-05 锁定（锁定人：head）" in browser.get("/reports/2026").text


def test_a_head_enters_section_2_and_the_narrative_in_the_report_page(web: World) -> None:
    head, clerk = logged_in(web, "head"), logged_in(web, "clerk")
    page = head.get("/reports/2025").text
    assert 'name="s2.article20_1.rules.issued"' in page and 'name="narrative.overview"' in page
    assert 'name="s2.' not in clerk.get("/reports/2025").text  # a clerk reads them, the head answers for them
    refused = head.post("/reports/2025/inputs", data={"s2.article20_5.licensing.decisions": "七",
                                                      "csrf_token": token(page)})
    assert refused.status_code == 303
    shown = head.get("/reports/2025").text
    assert "未保存" in shown and "第二十条第（五）项「行政许可」的本年处理决定数量 的值 &#39;七&#39; 无效" in shown
    entered = annual.build_report(web.db, actor_name="head", year=2025, today=DAY).section2
    assert entered["article20_5"]["licensing"]["decisions"] is None  # nothing stored
    form = {"s2.article20_5.licensing.decisions": "128", "s2.article20_8.charges.amount": "12.5",
            "s2.article20_1.rules.issued": "", "narrative.overview": "本年度<b>依法</b>答复全部申请。",
            "narrative.problems": "答复文书格式不统一。", "csrf_token": token(page)}
    assert head.post("/reports/2025/inputs", data=form).status_code == 303
    built = annual.build_report(web.db, actor_name="head", year=2025, today=DAY)
    assert built.section2["article20_5"]["licensing"]["decisions"] == 128
    assert str(built.section2["article20_8"]["charges"]["amount"]) == "12.5"
    assert built.section2["article20_1"]["rules"]["issued"] is None
    assert built.narrative == {"1": "本年度<b>依法</b>答复全部申请。", "5": "答复文书格式不统一。"}
    shown = head.get("/reports/2025").text
    assert "已保存" in shown and 'value="128"' in shown and "本年度&lt;b&gt;依法&lt;/b&gt;" in shown
    assert head.post("/reports/2025/inputs", data={"narrative.other": "x"}).status_code == 403  # no CSRF token
    as_clerk = clerk.post("/reports/2025/inputs", data={"narrative.other": "改",
                                                         "csrf_token": token(clerk.get("/").text)})
    assert as_clerk.status_code == 303 and "只能由负责人" in clerk.get("/reports/2025").text
    assert "6" not in annual.build_report(web.db, actor_name="head", year=2025, today=DAY).narrative


def test_the_report_page_is_reused_until_its_figures_change(web: World) -> None:
    clerk = logged_in(web, "clerk")
    first = register(clerk)
    head = logged_in(web, "head")
    cache = head.app.state.reports  # type: ignore[attr-defined]

    def new_total(page: str) -> str:
        found = re.search(r'/reports/2026/cells/new/total">(\d+)<', page)
        return found[1] if found else "0"

    assert new_total(head.get("/reports/2026").text) == "1" and (cache.hits, cache.misses) == (0, 1)
    assert new_total(head.get("/reports/2026").text) == "1" and (cache.hits, cache.misses) == (1, 1)
    register(clerk, "李四")  # a new case: the figures change, the page says so at once
    assert new_total(head.get("/reports/2026").text) == "2" and cache.misses == 2
    act(clerk, first, "submit_response", outcome="1", text="予以公开")
    act(head, first, "approve_response")
    page = head.get("/reports/2026").text
    assert "/reports/2026/cells/1/total" in page and cache.misses == 3
    head.post("/reports/2026/inputs", data={"narrative.overview": "总体情况", "csrf_token": token(page)})
    assert "总体情况</textarea>" in head.get("/reports/2026").text and cache.misses == 4


def test_the_supervising_office_reads_the_roll_up(web: World) -> None:
    admin.add_user(web.db, actor_name="admin", username="sup", role="supervisor")
    accounts.set_password(web.db, actor_name="admin", username="sup", password=PASSWORD)
    register(logged_in(web, "clerk"))
    register(logged_in(web, "east_clerk"))
    sup = logged_in(web, "sup")
    page = sup.get("/reports/2026").text
    assert "全平台汇总（2 个机关）" in page and "east" in page
    cell = sup.get("/reports/2026/cells/new/total").text
    assert "east（测试市东区人民政府办公室）" in cell and "/cases/2026-0001?agency=east" in cell
    listed = sup.get("/cases").text
    assert "2026-0001?agency=east" in listed and "2026-0001?agency=main" in listed
    case = sup.get("/cases/2026-0001?agency=east").text
    assert "您当前不能对本案执行任何操作" in case
    supervised = sup.get("/supervise?year=2026").text
    assert "测试市东区人民政府办公室" in supervised and "按时办结率" in supervised
    assert logged_in(web, "clerk").get("/supervise").status_code == 403


def test_a_calendar_import_is_previewed_then_confirmed(web: World) -> None:
    late = date(2026, 12, 21)
    clerk = logged_in(web, "clerk", today=late)  # received late in December: its 20 working days run into 2027
    form = {"applicant_name": "张三", "applicant_type": "natural", "channel": "online",
            "received_on": late.isoformat(), "request": "某文件", "csrf_token": token(clerk.get("/cases/new").text)}
    number = clerk.post("/cases", data=form).headers["location"].rsplit("/", 1)[1]
    due_before = web.due(number, today=late)
    page = clerk.get("/calendar?year=2027").text
    assert "尚未发布或尚未导入" in page and "导入放假安排" not in page  # only a platform admin imports
    platform = logged_in(web, "admin", today=late)
    assert platform.get("/").status_code == 200 and number in platform.get("/cases").text  # sees every agency
    page = platform.get("/calendar?year=2027").text
    before = web.snapshot()
    preview = platform.post("/calendar/preview", data={"csrf_token": token(page)},
                            files={"notice": ("2027.toml", NOTICE_2027.encode("utf-8"), "text/plain")})
    assert preview.status_code == 200, preview.text
    assert number in preview.text and "答复期限" in preview.text and "未作任何更改" in preview.text
    assert web.snapshot() == before and web.due(number, today=late) == due_before  # a preview changes nothing
    bad = platform.post("/calendar/preview", data={"csrf_token": token(page)},
                        files={"notice": ("x.toml", b"year = [", "text/plain")})
    assert bad.status_code == 400 and "不是有效的 TOML" in bad.text
    refused = clerk.post("/calendar/import", data={"csrf_token": token(clerk.get("/").text), "notice": NOTICE_2027})
    assert refused.status_code == 403 and "平台管理员" in refused.text
    done = platform.post("/calendar/import", data={"csrf_token": token(preview.text), "notice": NOTICE_2027})
    assert done.status_code == 303
    assert web.due(number, today=late) != due_before
    shown = platform.get("/calendar?year=2027").text
    assert "测试用通知（虚构）" in shown and "2027-02-20" in shown


def test_an_admin_manages_users_and_settings(web: World) -> None:
    agency_admin = "main_admin"
    admin.add_user(web.db, actor_name="admin", username=agency_admin, role="admin", agency="main")
    accounts.set_password(web.db, actor_name="admin", username=agency_admin, password=PASSWORD)
    boss = logged_in(web, agency_admin)
    page = boss.get("/admin").text
    assert "clerk2" in page and "east_clerk" not in page  # the agency's users only
    added = boss.post("/admin/users", data={"csrf_token": token(page), "action": "add", "username": "zhao",
                                            "role": "clerk", "display_name": "赵六", "password": "zhao-secret-1"})
    assert added.status_code == 303
    zhao = logged_in(web, "zhao", "zhao-secret-1")
    assert "赵六" in zhao.get("/").text
    before = web.snapshot()
    refused = zhao.post("/admin/users", data={"csrf_token": token(zhao.get("/").text), "action": "disable",
                                              "username": "clerk2"})
    assert refused.status_code == 403 and "只能由管理员执行" in refused.text
    assert web.snapshot() == before
    reset = boss.post("/admin/users", data={"csrf_token": token(page), "action": "password", "username": "zhao",
                                            "password": "zhao-secret-2"})
    assert reset.status_code == 303 and zhao.get("/").status_code == 303  # the old session ended
    assert boss.post("/admin/users", data={"csrf_token": token(page), "action": "disable",
                                           "username": "zhao"}).status_code == 303
    again = client(web)
    assert "已停用" in again.post("/login", data={"username": "zhao", "password": "zhao-secret-2",
                                                "csrf_token": token(again.get("/login").text)}).text
    saved = boss.post("/admin/settings", data={"csrf_token": token(page), "reconsideration_body": "测试市人民政府",
                                               "court": "", "payment": "", "pause_on_reasons": "on"})
    assert saved.status_code == 303
    shown = admin.agency_settings(web.db, actor_name=agency_admin)
    assert shown["reconsideration_body"] == "测试市人民政府" and shown["pause_on_fee"] is False
    assert shown["pause_on_reasons"] is True
    clerk = logged_in(web, "clerk")
    assert clerk.post("/admin/settings", data={"csrf_token": token(clerk.get("/").text),
                                               "pause_on_fee": "on"}).status_code == 403


SCAN = "%PDF-1.4\n% 送达回证的扫描件\n".encode() + bytes(range(256)) * 40


def test_a_scan_is_filed_with_the_case_by_its_hash(web: World, tmp_path: Path) -> None:
    store = tmp_path / "files"
    app = create_app(web.db, secret_key="k" * 40, today=lambda: DAY, files=case_files.FileStore(store))
    clerk = TestClient(app, follow_redirects=False)
    clerk.cookies = logged_in(web, "clerk").cookies
    number = register(clerk)
    page = clerk.get(f"/cases/{number}").text
    assert "尚无归档材料" in page and "归入案卷" not in page.split("可执行的操作")[1].split("文书")[0]

    def upload(name: str, data: bytes, kind: str = "service") -> Any:
        fresh = clerk.get(f"/cases/{number}").text
        return clerk.post(f"/cases/{number}/documents", data={"csrf_token": token(fresh), "kind": kind},
                          files={"file": (name, data, "application/octet-stream")})

    before = web.snapshot()
    assert upload("回证.exe", b"MZ\x90\x00 not a scan").status_code == 400
    assert "只接受 PDF、JPEG、PNG、TIFF" in upload("回证.pdf", b"<html>").text
    assert "材料类别 &#39;photo&#39; 无效" in upload("回证.pdf", SCAN, kind="photo").text
    assert web.snapshot() == before  # refusals record nothing
    assert upload("../../etc/送达回证.pdf", SCAN).status_code == 303
    sha = hashlib.sha256(SCAN).hexdigest()
    page = clerk.get(f"/cases/{number}").text
    assert "送达回证.pdf" in page and sha in page and "../" not in page
    detail = web.show(number, DAY)
    filed = next(e for e in detail["events"] if e["trigger"] == "file_document")
    assert filed["data"]["document"] == {"sha256": sha, "name": "送达回证.pdf", "kind": "service",
                                         "size": len(SCAN), "media_type": "application/pdf"}
    got = clerk.get(f"/cases/{number}/documents/{filed['seq']}")
    assert got.status_code == 200 and got.content == SCAN and got.headers["content-type"] == "application/pdf"
    kept = store / sha[:2] / sha
    assert kept.read_bytes() == SCAN and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert clerk.get(f"/static/../files/{sha[:2]}/{sha}").status_code == 404  # never served by its path

    east = TestClient(app, follow_redirects=False)
    east.cookies = logged_in(web, "east_clerk").cookies
    assert east.get(f"/cases/{number}/documents/{filed['seq']}").status_code == 404
    (store / sha[:2] / sha).write_bytes(SCAN + b"altered")
    tampered = clerk.get(f"/cases/{number}/documents/{filed['seq']}")
    assert tampered.status_code == 400 and "内容与登记的 SHA-256 不符" in tampered.text


def test_ogi_attach_files_a_document_even_after_the_case_is_concluded(web: World, tmp_path: Path) -> None:
    number = web.receive(DAY)
    web.act(number, "withdraw", DAY)
    scan = tmp_path / "撤回申请书.pdf"
    scan.write_bytes(SCAN)
    files = tmp_path / "store"
    result = CliRunner().invoke(cli, ["--db", web.url, "--as", "clerk", "--today", DAY.isoformat(), "attach", number,
                                      str(scan), "--kind", "application", "--files", str(files)])
    assert result.exit_code == 0, result.output
    assert "已办理" in result.output
    detail = web.show(number, DAY)
    assert detail["state"] == "concluded" and detail["events"][-1]["trigger"] == "file_document"
    assert "file_document" not in {a["trigger"] for a in detail["actions"]}  # not offered as a step of the case
    refused = CliRunner().invoke(cli, ["--db", web.url, "--as", "clerk", "attach", number, str(tmp_path / "none.pdf"),
                                       "--kind", "application"])
    assert refused.exit_code == 1 and "不存在" in refused.output


def test_the_case_list_pages_by_key(web: World) -> None:
    numbers = [web.receive(DAY, name=f"申请人{i:02d}") for i in range(53)]
    clerk = logged_in(web, "clerk")
    first = clerk.get("/cases?q=申请人").text
    assert "共 53 件" in first and "下一页" in first
    shown = set(re.findall(r'href="/cases/(\d{4}-\d{4})"', first))
    assert len(shown) == 50
    link = re.search(r'href="(/cases\?[^"]*after=[^"]+)">下一页', first)
    assert link and "q=" in link[1]  # the filters are kept
    second = clerk.get(link[1].replace("&amp;", "&")).text
    rest = set(re.findall(r'href="/cases/(\d{4}-\d{4})"', second))
    assert shown | rest == set(numbers) and not shown & rest and "下一页" not in second


def test_a_case_with_a_value_no_reading_takes_shows_why_instead_of_failing(sqlite_world: World) -> None:
    """A stored date altered into one that is none (SQLite keeps any text; PostgreSQL's date column refuses it):
    the case page says so, and what to do, in Chinese."""
    web = _with_users(sqlite_world)
    clerk = logged_in(web, "clerk")
    number = register(clerk)
    with web.db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS event_no_update"))
        conn.execute(text("UPDATE event SET effective_on = '2026-3-2' WHERE seq = 1 AND application_id = "
                          "(SELECT id FROM application WHERE number = :n)"), {"n": number})
    page = clerk.get(f"/cases/{number}")
    assert page.status_code == 500
    assert "数据库中有无法读取的值（Invalid isoformat string: &#39;2026-3-2&#39;）" in page.text
    assert "请运行 ogi verify 核对" in page.text
    assert clerk.get("/cases").status_code == 200  # the rest of the workbench still works
