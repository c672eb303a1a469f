"""Letters (SPEC §10): every kind and every response outcome renders to HTML and DOCX with the facts of the case."""

from datetime import date
from io import BytesIO
from pathlib import Path

import docx
import pytest

from tests.integration.conftest import AGENCY, World
from workflow import admin, letters
from workflow.calendar import WorkingCalendar
from workflow.errors import InputError, WorkflowError

CAL = WorkingCalendar()
RECEIVED = date(2025, 4, 1)
OLD_LAW = date(2023, 6, 1)  # before the revised 行政复议法 (2024-01-01)
REASON = "该信息已在本机关门户网站“政府信息公开”栏目公布。"


def wd(n: int, start: date = RECEIVED) -> date:
    return CAL.add_working_days(start, n)


def cn(day: date | str) -> str:
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.year}年{d.month}月{d.day}日"


def render_both(world: World, number: str, kind: str, today: date, template_dir: Path | None = None) -> list[str]:
    """The letter as HTML, and as the text read back from its DOCX (paragraphs, then table cells)."""
    def render(fmt: str) -> bytes:
        return letters.render(world.db, number=number, kind=kind, fmt=fmt, actor_name="clerk", today=today,
                              template_dir=template_dir)

    html = render("html").decode("utf-8")
    document = docx.Document(BytesIO(render("docx")))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return [html, "\n".join([p.text for p in document.paragraphs] + cells)]


def assert_facts(texts: list[str], *facts: str) -> None:
    for text, fmt in zip(texts, ("html", "docx"), strict=True):
        missing = [f for f in facts if f not in text]
        assert missing == [], f"{fmt} letter lacks {missing}"


def header(number: str, issued: date | str) -> tuple[str, ...]:
    return (AGENCY, f"〔{number}〕", "张三：", cn(issued), "（印章）")


def test_receipt_states_the_receipt_date_and_the_deadlines(world: World) -> None:
    number = world.receive(RECEIVED)
    texts = render_both(world, number, "receipt", RECEIVED)
    assert_facts(texts, *header(number, RECEIVED), "政府信息公开申请登记回执", "某项目的环境影响评价批复",
                 "互联网渠道", "以双方确认之日为收到申请之日", f"即最迟于{cn(wd(20))}作出答复",
                 f"即最迟于{cn(wd(7))}一次性告知", "第三十三条")


def test_an_issued_letter_keeps_the_facts_of_its_day(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_correction", wd(2), text="请明确信息名称", days=5)
    world.act(number, "receive_correction", wd(4))  # the response clock restarts: the receipt still says wd(20)
    assert world.due(number) != wd(20)
    assert_facts(render_both(world, number, "receipt", wd(4)), f"即最迟于{cn(wd(20))}作出答复")


def test_correction_notice_lists_items_period_restart_and_consequence(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_correction", wd(3), text="1.请明确所需信息的名称或文号\n2.请说明信息的形成时间",
              days=10, served_on=wd(4).isoformat(), today=wd(4))
    due = world.due(number, "correction")
    assert due == wd(14)
    texts = render_both(world, number, "correction_notice", wd(4))
    assert_facts(texts, *header(number, wd(3)), "政府信息公开申请补正告知书", "1.请明确所需信息的名称或文号",
                 "2.请说明信息的形成时间", f"10个工作日内，即最迟于{cn(due)}", f"本告知书送达之日为{cn(wd(4))}",
                 "答复期限自本机关收到补正后的申请之日起重新计算", "视为放弃申请", "第三十条")


def test_reasons_notice_cites_article_35_and_the_date(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_reasons", wd(2), until=wd(12), text="请说明本月申请100件的用途")
    texts = render_both(world, number, "reasons_notice", wd(2))
    assert_facts(texts, *header(number, wd(2)), "说明理由告知书", "第三十五条", "请说明本月申请100件的用途",
                 f"最迟于{cn(wd(12))}", "不计算在答复期限内")


def test_extension_notice_names_the_head_approval_and_the_new_due_date(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_extension", wd(15), text="需协调多个部门")
    with pytest.raises(WorkflowError, match="正待负责人审批"):
        letters.letter(world.db, number=number, kind="extension_notice", actor_name="clerk", today=wd(15))
    world.act(number, "approve_extension", wd(16), as_="head")
    world.act(number, "start_consultation", wd(17), party="third_party")  # a later pause does not rewrite it
    texts = render_both(world, number, "extension_notice", wd(18))
    assert_facts(texts, *header(number, wd(16)), "延期答复告知书", "因需协调多个部门", "第三十三条第二款",
                 f"负责人于{cn(wd(16))}同意", f"原答复期限至{cn(wd(20))}届满", f"最迟于{cn(wd(40))}作出答复")


def test_a_rejected_extension_has_no_notice(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "request_extension", wd(10))
    world.act(number, "reject_extension", wd(11), as_="head", text="理由不充分")
    with pytest.raises(WorkflowError, match="已被负责人驳回"):
        letters.letter(world.db, number=number, kind="extension_notice", actor_name="clerk", today=wd(11))


@pytest.mark.parametrize(("party", "title", "silence"), [
    ("third_party", "征求第三方意见书", "由本机关依照《中华人民共和国政府信息公开条例》的规定决定是否公开"),
    ("other_agency", "征求共同制作机关意见书", "逾期未提出意见的，视为同意公开"),
])
def test_consultation_letter_gives_15_working_days_and_the_effect_of_silence(
        world: World, party: str, title: str, silence: str) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "start_consultation", wd(2), party=party, served_on=wd(3).isoformat(), today=wd(3))
    due = world.due(number, "consultation")
    assert due == wd(18)
    texts = render_both(world, number, "consultation_letter", wd(3))
    assert_facts(texts, AGENCY, f"〔{number}〕", cn(wd(2)), title, "15个工作日", f"最迟于{cn(due)}", silence,
                 f"本意见书送达之日为{cn(wd(3))}", "某项目的环境影响评价批复")


def test_fee_notice_shows_basis_bands_amount_and_deadline(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "issue_fee_notice", wd(2), method="per_page", pages=150)
    due = world.due(number, "fee_payment")
    assert due == wd(22)
    texts = render_both(world, number, "fee_notice", wd(2))
    assert_facts(texts, *header(number, wd(2)), "收费通知书", "《政府信息公开信息处理费管理办法》",
                 "按量计收：共 150 页", "第 31–100 页", "第 101–200 页", "700", "1000", "人民币1700元",
                 "20个工作日", f"最迟于{cn(due)}", "视为放弃申请", "缴费方式")


def test_fee_notice_with_a_reasoned_amount_shows_both(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "issue_fee_notice", wd(2), method="per_page", pages=100, amount="500", reason="部分页面重复")
    assert_facts(render_both(world, number, "fee_notice", wd(2)), "应收700元", "部分页面重复", "人民币500元")


# outcome → (letter title, facts its letter must state: reason and legal basis)
RESPONSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "1": ("予以公开", ("第三十六条第（一）项、第（二）项", "予以公开", REASON)),
    "2": ("部分公开", ("第三十七条", "对不予公开的内容说明理由", REASON, "第三方于")),
    "3.1": ("不予公开", ("国家秘密", "第十四条", "决定不予公开")),
    "3.2": ("不予公开", ("法律、行政法规禁止公开", "第十四条")),
    "3.3": ("不予公开", ("国家安全、公共安全、经济安全、社会稳定", "第十四条")),
    "3.4": ("不予公开", ("第三方合法权益", "第十五条", "征求第三方意见")),
    "3.5": ("不予公开", ("内部事务信息", "第十六条第一款")),
    "3.6": ("不予公开", ("过程性信息", "第十六条第二款")),
    "3.7": ("不予公开", ("行政执法案卷", "第十六条第二款")),
    "3.8": ("不予公开", ("特别规定", "第三十六条第（七）项")),
    "4.1": ("无法提供", ("不掌握", "第三十六条第（四）项")),
    "4.2": ("无法提供", ("另行制作", "第三十八条")),
    "4.3": ("无法提供", ("补正后的申请内容仍不明确", "第三十条", "收到补正后的申请")),
    "5.1": ("不予处理", ("信访、投诉、举报", "第三十九条第一款")),
    "5.2": ("不予处理", ("重复申请", "第三十六条第（六）项", "不予重复处理")),
    "5.3": ("不予处理", ("公开出版物", "第三十九条第二款")),
    "5.4": ("不予处理", ("明显超过合理范围", "第三十五条")),
    "5.5": ("不予处理", ("确认或者重新出具", "第三十八条")),
    "6.1": ("办理结果告知书", ("逾期未补正", "第三十条", "不再处理")),
    "6.2": ("办理结果告知书", ("逾期未缴纳", "信息处理费100元", "《政府信息公开信息处理费管理办法》")),
    "6.3": ("办理结果告知书", ("撤回该申请", "终止办理")),
}


def conclude(world: World, code: str, received: date = RECEIVED) -> str:
    """A case concluded with `code` the way it happens: by a signed-off response, a lapse or a withdrawal."""
    number = world.receive(received)
    if code == "4.3":
        world.act(number, "request_correction", wd(1, received), text="请明确信息名称", days=5)
        world.act(number, "receive_correction", wd(3, received))
    if code in ("2", "3.4"):
        world.act(number, "start_consultation", wd(1, received), party="third_party")
        world.act(number, "end_consultation", wd(3, received), reply="objection", text="涉及商业秘密")
    if code == "6.1":
        world.act(number, "request_correction", wd(1, received), text="请明确信息名称", days=5)
        world.act(number, "lapse_correction", wd(7, received), as_="system")
    elif code == "6.2":
        world.act(number, "issue_fee_notice", wd(1, received), method="per_page", pages=40)
        world.act(number, "lapse_fee", wd(22, received), as_="system")
    elif code == "6.3":
        world.act(number, "withdraw", wd(2, received), text="申请人来电撤回")
    else:
        world.act(number, "submit_response", wd(5, received), outcome=code, text=REASON)
        world.act(number, "approve_response", wd(6, received), as_="head")
    return number


def assert_remedy(texts: list[str], code: str, *, reconsideration_first: bool) -> None:
    for text in texts:
        assert "六十日" in text
        if reconsideration_first:
            assert "第二十三条第一款第（四）项" in text and "应当先" in text and "十五日内" in text
            assert ("六个月" in text) is (code == "2")  # the rest of a partial disclosure keeps the either/or
        else:
            assert "六个月" in text and "第二十三条" not in text and "应当先" not in text


@pytest.mark.parametrize("code", list(RESPONSES))
def test_the_response_letter_follows_the_outcome(world: World, code: str) -> None:
    number = conclude(world, code)
    case = world.show(number, wd(30))
    assert case["outcome"] == code
    context = letters.letter(world.db, number=number, kind="response", actor_name="clerk", today=wd(30))
    assert context["letter"]["template"] == f"response_{code.split('.')[0]}.html"
    title, facts = RESPONSES[code]
    texts = render_both(world, number, "response", wd(30))
    assert_facts(texts, *header(number, case["concluded_on"]), title, *facts)
    if code == "6.1":
        assert_facts(texts, f"最迟于{cn(case['clocks']['correction']['due_on'])}补正")
    if code == "6.2":
        assert_facts(texts, f"最迟于{cn(case['clocks']['fee_payment']['due_on'])}缴纳")
    assert_remedy(texts, code, reconsideration_first=code == "2" or code.startswith("3."))


@pytest.mark.parametrize("code", ["2", "3.1", "3.6"])
def test_refusals_before_2024_use_the_either_or_clause(world: World, code: str) -> None:
    number = conclude(world, code, received=OLD_LAW)
    texts = render_both(world, number, "response", wd(30, OLD_LAW))
    assert_facts(texts, "《中华人民共和国行政复议法》第九条")
    assert_remedy(texts, code, reconsideration_first=False)


def test_a_response_awaiting_sign_off_renders_as_a_dated_draft(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "submit_response", wd(5), outcome="3.5", text="属于人事管理信息")
    texts = render_both(world, number, "response", wd(6))
    assert_facts(texts, "送审稿", cn(wd(6)), "内部事务信息", "属于人事管理信息")
    world.act(number, "return_response", wd(6), as_="head", text="请补充依据")
    with pytest.raises(WorkflowError, match="尚无答复"):
        letters.letter(world.db, number=number, kind="response", actor_name="clerk", today=wd(6))


def test_a_letter_that_does_not_apply_is_refused_with_the_kinds_that_do(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "issue_fee_notice", wd(2), method="per_page", pages=40)
    before = world.snapshot()
    with pytest.raises(WorkflowError, match="尚未告知补正") as refused:
        letters.render(world.db, number=number, kind="correction_notice", actor_name="clerk", today=wd(2))
    assert "可出具的文书：receipt（登记回执）、fee_notice（收费通知书）" in str(refused.value)
    with pytest.raises(InputError, match="未知的文书类型"):
        letters.render(world.db, number=number, kind="letter", actor_name="clerk", today=wd(2))
    with pytest.raises(InputError, match="未知的格式"):
        letters.render(world.db, number=number, kind="receipt", fmt="pdf", actor_name="clerk", today=wd(2))
    assert world.snapshot() == before  # rendering letters changes nothing


def test_a_missing_variable_fails_instead_of_printing_blank(world: World, tmp_path: Path) -> None:
    number = world.receive(RECEIVED)
    (tmp_path / "receipt.html").write_text(
        '{% extends "base.html" %}{% block body %}<p>身份证号：{{ case.id_card_number }}</p>{% endblock %}',
        encoding="utf-8")
    for fmt in ("html", "docx"):
        with pytest.raises(WorkflowError, match="使用了文书数据中没有的字段「id_card_number」"):
            letters.render(world.db, number=number, kind="receipt", fmt=fmt, actor_name="clerk", today=RECEIVED,
                           template_dir=tmp_path)
    (tmp_path / "receipt.html").write_text("{% if fax %}<p>{{ fax }}</p>{% endif %}", encoding="utf-8")
    with pytest.raises(WorkflowError, match="使用了文书数据中没有的变量「fax」"):
        letters.render(world.db, number=number, kind="receipt", actor_name="clerk", today=RECEIVED,
                       template_dir=tmp_path)


def test_an_agency_template_replaces_the_default(world: World, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "issue_fee_notice", wd(2), method="per_page", pages=40)
    (tmp_path / "fee_notice.html").write_text(
        "<html><body><h1>{{ agency.name }}收费通知</h1><p>编号{{ case.number }}，请于{{ fee.due_cn }}前缴纳"
        "{{ fee.amount }}元，缴入财政专户 6222 0000。</p></body></html>", encoding="utf-8")
    (tmp_path / "receipt.html").write_text(
        '{% extends "default/receipt.html" %}{% block contact %}<p>联系电话：010-12345678</p>{% endblock %}',
        encoding="utf-8")
    (tmp_path / "base.html").write_text(
        '{% extends "default/base.html" %}{% block signature %}{{ agency.name }}（政务公开办）{% endblock %}',
        encoding="utf-8")
    fee = render_both(world, number, "fee_notice", wd(2), template_dir=tmp_path)
    assert_facts(fee, "财政专户 6222 0000", f"编号{number}", "100元", cn(world.due(number, "fee_payment")))
    assert all("《政府信息公开信息处理费管理办法》" not in text for text in fee)
    monkeypatch.setenv("OGI_TEMPLATES", str(tmp_path))  # the CLI's default when --templates is not given
    receipt = render_both(world, number, "receipt", wd(2))
    assert_facts(receipt, "联系电话：010-12345678", f"{AGENCY}（政务公开办）", "登记回执", cn(wd(20)))
    with pytest.raises(WorkflowError, match="模板目录"):
        letters.render(world.db, number=number, kind="receipt", actor_name="clerk", today=wd(2),
                       template_dir=tmp_path / "missing")


def test_an_override_can_change_one_block_of_the_default(world: World, tmp_path: Path) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "issue_fee_notice", wd(2), method="per_page", pages=40)
    (tmp_path / "fee_notice.html").write_text(
        '{% extends "default/fee_notice.html" %}'
        "{% block payment %}<p>缴费方式：通过省非税收入缴款平台缴纳，执收单位编码 123456。</p>{% endblock %}",
        encoding="utf-8")
    texts = render_both(world, number, "fee_notice", wd(2), template_dir=tmp_path)
    due = cn(world.due(number, "fee_payment"))
    assert_facts(texts, "执收单位编码 123456", "按量计收：共 40 页", "人民币100元", due)
    assert all("非税收入缴款渠道" not in text for text in texts)


def test_consultation_letter_is_addressed_to_the_named_party(world: World) -> None:
    number = world.receive(RECEIVED)
    world.act(number, "start_consultation", wd(2), party="third_party", party_name="示例建设工程有限公司")
    texts = render_both(world, number, "consultation_letter", wd(2))
    assert_facts(texts, "示例建设工程有限公司：", "征求第三方意见书")
    assert all("__________" not in text for text in texts)


def test_letters_name_the_agencys_reconsideration_body_court_and_payment(world: World) -> None:
    generic = conclude(world, "3.4")
    texts = render_both(world, generic, "response", wd(30))
    assert_facts(texts, "向行政复议机关申请行政复议", "向人民法院提起行政诉讼")
    admin.agency_settings(world.db, actor_name="admin", named={
        "reconsideration_body": "示例市人民政府", "court": "示例区人民法院",
        "payment": "通过“非税收入一网通缴”平台或到本机关政务服务窗口缴纳"})
    texts = render_both(world, conclude(world, "2"), "response", wd(30))
    assert_facts(texts, "向示例市人民政府申请行政复议", "向示例区人民法院提起行政诉讼")
    assert all("向行政复议机关" not in t and "向人民法院" not in t for t in texts)
    fee = world.receive(RECEIVED)
    world.act(fee, "issue_fee_notice", wd(2), method="per_page", pages=150)
    notice = render_both(world, fee, "fee_notice", wd(2))
    assert_facts(notice, "缴费方式：通过“非税收入一网通缴”平台或到本机关政务服务窗口缴纳")
    with pytest.raises(WorkflowError, match="管理员"):
        admin.agency_settings(world.db, actor_name="clerk", named={"court": "别的法院"})
    admin.agency_settings(world.db, actor_name="admin", named={"court": ""})  # back to the generic wording
    assert admin.agency_settings(world.db, actor_name="clerk")["court"] is None


def test_a_sent_letter_keeps_the_bodies_named_when_its_event_was_recorded(world: World) -> None:
    """The 2024 行政复议法 moved reconsideration to the government: a new setting must not rewrite old letters."""
    admin.agency_settings(world.db, actor_name="admin", named={"reconsideration_body": "示例区人民政府办公室上级部门",
                                                            "payment": "到本机关窗口缴纳"})
    concluded = conclude(world, "3.4")
    fee = world.receive(RECEIVED)
    world.act(fee, "issue_fee_notice", wd(2), method="per_page", pages=150)
    admin.agency_settings(world.db, actor_name="admin", named={"reconsideration_body": "示例市人民政府",
                                                            "payment": "通过“非税收入一网通缴”平台缴纳"})
    assert_facts(render_both(world, concluded, "response", wd(30)), "向示例区人民政府办公室上级部门申请行政复议")
    assert_facts(render_both(world, fee, "fee_notice", wd(2)), "缴费方式：到本机关窗口缴纳")
    draft = world.receive(RECEIVED)  # not concluded yet: a draft names today's body
    world.act(draft, "submit_response", wd(5), outcome="3.4", text="不予公开")
    assert_facts(render_both(world, draft, "response", wd(5)), "向示例市人民政府申请行政复议")
