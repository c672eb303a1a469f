"""The main journeys of a clerk (承办人) and a head of office (负责人) in a real browser, page by page."""

import hashlib
import re
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from notifications.policy import DEFAULT_POLICY
from tests.e2e.conftest import PASSWORD, TODAY, Shots, Site
from tests.integration.test_calendar_cli import NOTICE_2027
from workflow import alerts


def log_in(browser: Browser, site: Site, username: str, shots: Shots | None = None) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(site.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    if shots:
        shots.take(page, "login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    expect(page.locator("h1")).to_contain_text("工作台")
    return page


def take_action(page: Page, label: str, **fields: str) -> None:
    """Open an action's form on the case page, fill it and submit it; the page then says it was done."""
    form = page.locator("details.action", has=page.locator(f"summary:text-is('{label}')"))
    form.locator("summary").click()
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("已办理")


def test_a_case_from_receipt_to_a_signed_off_response(browser: Browser, site: Site, shots: Shots,
                                                      tmp_path: Path) -> None:
    clerk = log_in(browser, site, "clerk", shots)
    shots.take(clerk, "workbench-empty")
    clerk.click("nav >> text=登记")
    clerk.fill("input[name=applicant_name]", "张三")
    clerk.select_option("select[name=applicant_type]", "natural")
    clerk.check("input[name=channel][value=online]")
    expect(clerk.locator("label.choice").first).to_contain_text("为收到申请之日")  # the receipt-date rule
    clerk.fill("textarea[name=request]", "某项目的环境影响评价批复")
    shots.take(clerk, "register")
    clerk.click("button:has-text('登记')")
    expect(clerk.locator(".flash")).to_contain_text("已登记")
    number = clerk.locator("h1").inner_text().split()[1]
    expect(clerk.locator(".clocks")).to_contain_text("答复期限")
    expect(clerk.locator("table.days").first).to_contain_text("起算日（不计入期限）")
    shots.take(clerk, "case-registered")

    scan = tmp_path / "申请书扫描件.pdf"
    scan.write_bytes(b"%PDF-1.4\n% a scanned application\n%%EOF\n")
    clerk.select_option("select[name=kind]", "application")
    clerk.set_input_files("input[name=file]", str(scan))
    clerk.click("button:has-text('上传归档')")
    expect(clerk.locator(".flash")).to_contain_text("归入案卷")
    expect(clerk.locator("section.documents")).to_contain_text("申请书扫描件.pdf")
    expect(clerk.locator("section.documents .hash")).to_contain_text(hashlib.sha256(scan.read_bytes()).hexdigest())

    clerk.click("nav >> text=申请列表")
    clerk.select_option("select[name=applicant_type]", "natural")
    clerk.select_option("select[name=sort]", "newest")
    clerk.click("button:has-text('筛选')")
    expect(clerk.locator("table.cases")).to_contain_text(number)
    shots.take(clerk, "cases")
    clerk.goto(f"{site.url}/cases/{number}")

    take_action(clerk, "一次性告知补正", text="请补充申请人身份证明", days="15")
    expect(clerk.locator("h1")).to_contain_text("待补正")
    take_action(clerk, "收到补正")
    take_action(clerk, "征求意见", party="third_party", party_name="某科技有限公司")
    expect(clerk.locator("h1")).to_contain_text("征求意见中")
    take_action(clerk, "收到意见（或期满无意见）", reply="consent")
    take_action(clerk, "申请延期答复", text="涉及第三方，需进一步核实")
    shots.take(clerk, "case-extension-requested")

    alerts.raise_alerts(site.world.db, today=date(2026, 6, 1), policy=DEFAULT_POLICY)  # a later day's sweep
    clerk.click("nav >> text=提醒")
    expect(clerk.locator("table.cases")).to_contain_text(number)
    expect(clerk.locator("tr.unread").first).to_contain_text("未读")
    shots.take(clerk, "alerts")
    clerk.click("button:has-text('全部标为已读')")
    expect(clerk.locator(".flash")).to_contain_text("条提醒标为已读")
    expect(clerk.locator("tr.unread")).to_have_count(0)
    clerk.goto(f"{site.url}/cases/{number}")

    head = log_in(browser, site, "head")
    expect(head.locator("#approvals")).to_contain_text(number)
    shots.take(head, "workbench-head")
    head.click("nav >> text=审批")
    expect(head.locator("table.cases")).to_contain_text("延期答复")
    shots.take(head, "approvals")
    head.click(f"text={number}")
    take_action(head, "同意延期")
    expect(head.locator(".clocks")).to_contain_text("延长")

    clerk.reload()
    take_action(clerk, "提交答复送审", outcome="1", text="经审查，予以公开。")
    head.reload()
    shots.take(head, "case-under-review")
    blocked = clerk.locator("ul.blocked")
    clerk.reload()
    expect(blocked).to_contain_text("只能由负责人")  # the clerk sees why they cannot sign off
    take_action(head, "退回修改", text="请写明公开方式")
    clerk.reload()
    expect(clerk.locator(".timeline")).to_contain_text("请写明公开方式")
    take_action(clerk, "提交答复送审", outcome="1", text="经审查，予以公开，以电子邮件方式提供。")
    head.reload()
    take_action(head, "审核同意，出具答复")
    expect(head.locator("h1")).to_contain_text("已办结")
    shots.take(head, "case-concluded")

    clerk.reload()
    with clerk.expect_download() as download:
        clerk.locator(".letters a[href$='/letters/response?format=docx']").click()
    saved = tmp_path / "response.docx"
    download.value.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK" and number in download.value.suggested_filename
    clerk.click("text=修改密码")
    expect(clerk.locator("input[name=new]")).to_be_visible()
    shots.take(clerk, "password")
    clerk.goto(f"{site.url}/cases/{number}/letters/response")
    expect(clerk.locator("body")).to_contain_text("测试市人民政府")  # the body named in the agency's settings
    shots.take(clerk, "letter-response")


def test_the_annual_report_with_a_drill_down_and_an_xlsx(browser: Browser, site: Site, shots: Shots,
                                                         tmp_path: Path) -> None:
    for name in ("甲", "乙"):
        number = site.world.receive(TODAY, name=name)
        site.world.act(number, "submit_response", TODAY, outcome="1", text="予以公开")
        site.world.act(number, "approve_response", TODAY, as_="head")
    head = log_in(browser, site, "head", shots)
    head.click("nav >> text=年报")
    head.goto(f"{site.url}/reports/{TODAY.year}")
    expect(head.locator("h1")).to_contain_text(f"{TODAY.year}年政府信息公开工作年度报告")
    expect(head.locator(".flash")).to_contain_text("勾稽关系全部成立")
    shots.take(head, "report")
    head.locator("table.report a[href$='/cells/1/natural']").click()
    expect(head.locator("table.cases")).to_contain_text("甲")
    shots.take(head, "report-cell")
    head.goto(f"{site.url}/reports/{TODAY.year}")
    with head.expect_download() as download:
        head.click("text=XLSX")
    saved = tmp_path / "report.xlsx"
    download.value.save_as(saved)
    book = load_workbook(saved)
    section3 = next(ws for ws in book.worksheets if ws.title.startswith("三"))
    assert str(section3.cell(row=1, column=1).value).endswith(f"{TODAY.year}年政府信息公开工作年度报告")
    assert any(c.value == 2 for row in section3.iter_rows() for c in row)  # the two applications


def test_a_calendar_import_with_its_preview(browser: Browser, site: Site, shots: Shots, tmp_path: Path) -> None:
    notice = tmp_path / "2027.toml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    platform = log_in(browser, site, "admin", shots)
    platform.click("nav >> text=日历")
    platform.goto(f"{site.url}/calendar?year=2027")
    expect(platform.locator("body")).to_contain_text("尚未发布或尚未导入")
    shots.take(platform, "calendar-2027-unknown")
    platform.set_input_files("input[name=notice]", str(notice))
    platform.click("button:has-text('预览')")
    expect(platform.locator("h1")).to_contain_text("预览：导入 2027 年放假安排")
    shots.take(platform, "calendar-preview")
    platform.click("button:has-text('确认导入')")
    expect(platform.locator(".flash")).to_contain_text("已导入 2027 年放假安排")
    expect(platform.locator("body")).to_contain_text("测试用通知（虚构）")
    shots.take(platform, "calendar-2027")
    platform.click("nav >> text=管理")
    shots.take(platform, "admin")
    platform.click("nav >> text=督办")
    expect(platform.locator("h1")).to_contain_text("督办")
    shots.take(platform, "supervise")
