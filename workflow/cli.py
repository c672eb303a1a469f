"""The `ogi` command line: parse input, call one use case, render the result (in Chinese)."""

import sys
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from states.clocks import RULES, ClockKind
from states.fees import quote_data
from workflow import admin, cases, queries, users
from workflow.cli_base import (
    G,
    app,
    database,
    fail,
    out,
    parse_date,
    print_json,
    run,
    sqlite_path,
    text_input,
    write_output,
)
from workflow.db import resolve_url, shown_url
from workflow.errors import WorkflowError
from workflow.inputs import ActionInput, ApplicationCreate, validate

user_app = typer.Typer(help="用户管理", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日日历（节假日与调休）", no_args_is_help=True)
fee_app = typer.Typer(help="信息处理费", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(calendar_app, name="calendar")
app.add_typer(fee_app, name="fee")


@app.command()
def init(agency: str = typer.Option(..., "--agency", help="机关名称")) -> None:
    """建库并创建机关与 admin 用户。"""
    db = database(create=True)
    run(lambda: admin.init(db, agency=agency))
    out.print(f"已初始化：{agency}（数据库 {shown_url(db.url)}）。管理员用户：admin", highlight=False)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Option(..., "--role", help="clerk（承办人）| head（负责人）| admin（管理员），代码或中文均可"),
    display_name: str | None = typer.Option(None, "--name", help="姓名"),
    email: str | None = typer.Option(None, "--email", help="电子邮箱（接收邮件提醒）"),
) -> None:
    """添加用户。"""
    run(lambda: admin.add_user(database(), actor_name=G.user, username=name, role=role, display_name=display_name,
                               email=email))
    out.print(f"已添加用户 {name}（{role}）", highlight=False)


@user_app.command("list")
def user_list(as_json: bool = typer.Option(False, "--json", help="以 JSON 输出")) -> None:
    """列出本机关的用户：角色、状态和名下未办结的案件数。"""
    rows = run(lambda: users.list_users(database(), actor_name=G.user))
    if as_json:
        print_json([r.as_data() for r in rows])
        return
    table = Table(title=f"用户（共 {len(rows)} 人）")
    for column in ("用户名", "姓名", "角色", "电子邮箱", "状态", "名下未办结案件"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.username, r.display_name, r.role_label, r.email or "", "启用" if r.active else "[red]已停用[/]",
                      str(r.open_cases))
    out.print(table)


def _user_changed(row: users.UserRow, what: str) -> None:
    out.print(f"已{what}：{row.username}（{row.role_label}，{'启用' if row.active else '已停用'}）", highlight=False)
    if not row.active and row.open_cases:
        out.print(f"注意：{row.username} 名下还有 {row.open_cases} 件未办结的案件，提醒将无人接收；"
                  "请负责人用 ogi assign 改派", highlight=False)


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="用户名")) -> None:
    """停用用户：此后该用户的任何操作都被拒绝，其已有的办理记录保留。"""
    _user_changed(run(lambda: users.set_active(database(), actor_name=G.user, username=name, active=False)), "停用")


@user_app.command("enable")
def user_enable(name: str = typer.Argument(..., help="用户名")) -> None:
    """重新启用已停用的用户。"""
    _user_changed(run(lambda: users.set_active(database(), actor_name=G.user, username=name, active=True)), "启用")


@user_app.command("role")
def user_role(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Argument(..., help="clerk（承办人）| head（负责人）| admin（管理员），代码或中文"),
) -> None:
    """修改用户的角色。"""
    _user_changed(run(lambda: users.set_role(database(), actor_name=G.user, username=name, role=role)), "修改角色")


@app.command()
def receive(
    applicant: str = typer.Option(..., "--applicant", help="申请人姓名或名称"),
    type_: str = typer.Option(..., "--type", help="natural|commercial|research|public_interest|legal_service|other"),
    channel: str = typer.Option(..., "--channel", help="in_person|post_signed|post_ordinary|online|fax|email"),
    received_on: str = typer.Option(..., "--received-on", help="收到申请之日 YYYY-MM-DD（条例第三十一条）"),
    request: str | None = typer.Option(None, "--request", help="申请公开的政府信息内容"),
    request_file: Path | None = typer.Option(None, "--request-file", help="从文件读取申请内容（- 表示标准输入）"),
    contact: str | None = typer.Option(None, "--contact", help="联系方式"),
    reason: str | None = typer.Option(None, "--reason", help="理由（收到日期在已锁定的报告年度时，管理员必填）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """登记一件政府信息公开申请，输出案件编号。"""
    request = text_input(request, request_file, "--request")
    data = run(lambda: validate(ApplicationCreate, applicant_name=applicant, applicant_type=type_, channel=channel,
                                received_on=received_on, request=request, applicant_contact=contact, reason=reason))
    result = run(lambda: cases.register(database(), actor_name=G.user, data=data, today=G.today))
    if as_json:
        print_json({"number": result.number})  # a contract of scripts: the number alone
    else:
        out.print(result.message, highlight=False)


@app.command()
def act(
    number: str = typer.Argument(..., help="案件编号"),
    trigger: str = typer.Argument(..., help="操作名（见 ogi show 列出的可执行操作）"),
    on: str | None = typer.Option(None, "--on", help="办理的法律日期 YYYY-MM-DD（默认今天）"),
    outcome: str | None = typer.Option(None, "--outcome", help="办理结果代码，如 1、2、3.1 … 6.3"),
    until: str | None = typer.Option(None, "--until", help="行政机关确定的期限（日期）"),
    days: int | None = typer.Option(None, "--days", help="行政机关确定的期限（工作日数）"),
    reason: str | None = typer.Option(None, "--reason", help="理由（逾期办理时必填，记入案卷）"),
    party: str | None = typer.Option(None, "--party", help="third_party|other_agency"),
    party_name: str | None = typer.Option(None, "--party-name", help="征求对象名称，写入征求意见书"),
    reply: str | None = typer.Option(None, "--reply", help="consent|objection|none"),
    method: str | None = typer.Option(None, "--method", help="per_item（按件）|per_page（按量）"),
    amount: str | None = typer.Option(None, "--amount", help="金额（元）"),
    text: str | None = typer.Option(None, "--text", help="内容：补正事项、答复内容、意见等"),
    text_file: Path | None = typer.Option(None, "--text-file", help="从文件读取 --text 的内容（- 表示标准输入）"),
    served_on: str | None = typer.Option(None, "--served-on", help="对方收到文书之日（默认同 --on）"),
    pages: int | None = typer.Option(None, "--pages", help="按量计收的页数"),
    expect_version: int | None = typer.Option(None, "--expect-version", help="仅当案件仍为该版本时执行"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出办理结果"),
) -> None:
    """对案件执行一项操作（SPEC §5 的触发器名称）。"""
    text = text_input(text, text_file, "--text")
    if amount is not None:
        try:
            Decimal(amount)
        except ArithmeticError:
            fail(f"--amount 的值 {amount!r} 不是有效金额")
    try:
        data = validate(ActionInput, on=on or G.today.isoformat(), outcome=outcome, until=until, days=days,
                        reason=reason, party=party, party_name=party_name, reply=reply, method=method, amount=amount,
                        text=text, served_on=served_on, pages=pages)
    except WorkflowError as exc:
        context = cases.where_it_stands(database(), actor_name=G.user, number=number, today=G.today)
        fail(f"{exc}\n{context}".strip())
    result = run(lambda: cases.act(database(), actor_name=G.user, number=number, trigger=trigger, data=data,
                                   today=G.today, expected_version=expect_version))
    if as_json:
        print_json(result.as_data())
    else:
        out.print(result.message, highlight=False)


@app.command()
def assign(
    number: str = typer.Argument(..., help="案件编号"),
    user: str = typer.Argument(..., help="新的承办人（用户名）"),
    on: str | None = typer.Option(None, "--on", help="指派日期 YYYY-MM-DD（默认今天）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出办理结果"),
) -> None:
    """负责人指派案件的承办人（记入办理记录；此后提醒发给新的承办人）。"""
    day = parse_date(on, "--on")
    result = run(lambda: cases.assign(database(), actor_name=G.user, number=number, assignee=user, today=G.today,
                                      on=day))
    if as_json:
        print_json(result.as_data())
    else:
        out.print(f"{result.message}；承办人：{user}", highlight=False)


@app.command()
def show(
    number: str = typer.Argument(..., help="案件编号"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    explain: str | None = typer.Option(None, "--explain", help="逐日说明某一期限的计算，如 response"),
) -> None:
    """查看案件：状态、期限、办理记录和当前可执行的操作。"""
    detail = run(lambda: queries.show_case(database(), number=number, actor_name=G.user, today=G.today,
                                           explain=explain))
    if as_json:
        print_json(detail)
        return
    from workflow.appeal_render import render_case_appeals
    from workflow.render import render_case

    render_case(out, detail)
    render_case_appeals(out, detail["appeals"])


@app.command("cases")
def list_cases(
    state: str | None = typer.Option(None, "--state", help="只看某一状态（concluded：已办结）"),
    overdue: bool = typer.Option(False, "--overdue", help="只看已逾期的"),
    due_within: int | None = typer.Option(None, "--due-within", help="只看 N 个工作日内到期的"),
    lapsed: bool = typer.Option(False, "--lapsed", help="只看系统自动办结（逾期不补正、逾期未缴费）且仍可撤销的"),
    mine: bool = typer.Option(False, "--mine", help="只看我承办的"),
    search: str | None = typer.Option(None, "--search", help="按编号、申请人或申请内容查找"),
    all_: bool = typer.Option(False, "--all", help="包括已办结的案件"),
    limit: int = typer.Option(50, "--limit", help="最多列出 N 件（默认 50）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """案件列表，按紧急程度排序；默认只列未办结的案件。"""
    page = run(lambda: queries.case_page(database(), actor_name=G.user, today=G.today, state=state, overdue=overdue,
                                         due_within=due_within, lapsed=lapsed, limit=limit, closed=all_, mine=mine,
                                         search=search))
    if as_json:
        print_json(page.rows)
        return
    from workflow.render import render_cases, render_lapses

    if lapsed:
        render_lapses(out, page.rows)
    else:
        render_cases(out, page.rows, G.today, total=page.total)


@app.command()
def settings(
    pause_on_fee: bool | None = typer.Option(None, "--pause-on-fee/--no-pause-on-fee",
                                             help="待缴费期间答复期限是否暂停（默认暂停）"),
    pause_on_reasons: bool | None = typer.Option(None, "--pause-on-reasons/--no-pause-on-reasons",
                                                 help="待说明理由期间答复期限是否暂停（默认暂停）"),
    body: str | None = typer.Option(None, "--reconsideration-body", help="告知书中的行政复议机关（'' 恢复通用表述）"),
    court: str | None = typer.Option(None, "--court", help="告知书中的人民法院（空字符串恢复通用表述）"),
    payment: str | None = typer.Option(None, "--payment", help="收费通知书中的缴费方式（空字符串恢复通用表述）"),
) -> None:
    """查看或修改本机关的计时规则和告知书中的救济机关、缴费方式（修改须管理员）。"""
    named = {"reconsideration_body": body, "court": court, "payment": payment}
    current = run(lambda: admin.agency_settings(database(), actor_name=G.user, pause_on_fee=pause_on_fee,
                                                pause_on_reasons=pause_on_reasons, named=named))
    yes = {True: "暂停", False: "不暂停"}
    out.print(f"{current['agency']}：待缴费期间答复期限{yes[current['pause_on_fee']]}；"
              f"待说明理由期间答复期限{yes[current['pause_on_reasons']]}", highlight=False)
    generic = "（未设置，告知书使用通用表述）"
    out.print(f"行政复议机关：{current['reconsideration_body'] or generic}\n人民法院：{current['court'] or generic}\n"
              f"缴费方式：{current['payment'] or generic}", highlight=False)
    if pause_on_fee is not None or pause_on_reasons is not None:
        out.print("已修改：只适用于此后发出的收费通知和说明理由要求，已发生的暂停不受影响。")


@fee_app.command("quote")
def fee_quote(
    applicant: str | None = typer.Option(None, "--applicant", help="按件：申请人姓名或名称"),
    contact: str | None = typer.Option(None, "--contact", help="按件：登记时的联系方式（与姓名一起识别申请人）"),
    month: str | None = typer.Option(None, "--month", help="按件：月份 YYYY-MM"),
    pages: int | None = typer.Option(None, "--pages", help="按量：页数"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """按《政府信息公开信息处理费管理办法》计算收费：按件（--applicant --month）或按量（--pages）。"""
    from states.fees import quote_per_page
    from workflow import fees

    if pages is not None and (applicant or month or contact):
        fail("按量（--pages）与按件（--applicant、--month）只能选一种")
    if pages is not None:
        if pages < 1:
            fail(f"--pages 应为正整数（页数），而不是 {pages}")
        data = quote_data(quote_per_page(pages))
    elif applicant and month:
        data = run(lambda: fees.month_quote(database(), actor_name=G.user, applicant=applicant, contact=contact,
                                            month=month))
    else:
        fail("请给出 --pages N（按量），或 --applicant 与 --month（按件）")
    if as_json:
        print_json(data)
        return
    from workflow.render import render_fee_quote

    render_fee_quote(out, data)


@calendar_app.command("show")
def calendar_show(year: int = typer.Argument(..., help="年份"),
                  as_json: bool = typer.Option(False, "--json", help="以 JSON 输出")) -> None:
    """显示某年的节假日、调休上班日及其来源。"""
    data = run(lambda: admin.calendar_show(database(), year=year))
    if as_json:
        print_json(data)
        return
    from workflow.render import render_calendar

    render_calendar(out, data)


def _print_moves(moves: list[admin.DueChange]) -> None:
    if not moves:
        out.print("在办案件的期限均未变化。")
        return
    table = Table(title=f"期限发生变化的在办案件（{len(moves)} 项）")
    for column in ("案件编号", "期限", "原到期日", "新到期日"):
        table.add_column(column)
    for m in moves:
        table.add_row(m.number, RULES[ClockKind(m.clock)].label, m.old.isoformat(), m.new.isoformat())
    out.print(table)


@calendar_app.command("set")
def calendar_set(
    day: str = typer.Argument(..., help="日期 YYYY-MM-DD"),
    kind: str = typer.Argument(..., help="workday（上班）| restday（休息）"),
    source: str = typer.Option(..., "--source", help="依据，如国务院办公厅通知文号"),
) -> None:
    """更正某一天为上班日或休息日，并重算在办案件的期限。"""
    if kind not in ("workday", "restday"):
        fail(f"类型 {kind!r} 无效，可选：workday（上班）、restday（休息）")
    d = parse_date(day, "日期")
    assert d is not None
    moves = run(lambda: admin.calendar_set(database(), actor_name=G.user, day=d, working=kind == "workday",
                                           source=source, today=G.today))
    out.print(f"已将 {d} 设为{'上班日' if kind == 'workday' else '休息日'}（依据：{source}）", highlight=False)
    _print_moves(moves)


@calendar_app.command("import")
def calendar_import(file: Path = typer.Argument(..., help="TOML 文件：year、source、rest_days、working_days")) -> None:
    """导入一整年的放假安排，并重算在办案件的期限。"""
    year, moves = run(lambda: admin.calendar_import(database(), actor_name=G.user, path=file, today=G.today))
    out.print(f"已导入 {year} 年放假安排（{file}）", highlight=False)
    _print_moves(moves)


@app.command()
def letter(
    number: str = typer.Argument(..., help="案件编号"),
    kind: str = typer.Argument(..., help="receipt|correction_notice|reasons_notice|extension_notice|"
                                         "consultation_letter|fee_notice|response"),
    fmt: str = typer.Option("html", "--format", help="html | docx"),
    out_file: Path | None = typer.Option(None, "--out", help="输出文件（默认：html 输出到屏幕，docx 须指定）"),
    templates: Path | None = typer.Option(None, "--templates", help="本机关的模板目录（或环境变量 OGI_TEMPLATES）"),
) -> None:
    """生成告知书：文书中的日期、期限、金额、编号和机关名称均取自案件。"""
    from workflow import letters

    if fmt == "docx" and out_file is None:
        fail("DOCX 格式须用 --out 指定输出文件")
    data = run(lambda: letters.render(database(), number=number, kind=kind, fmt=fmt, actor_name=G.user,
                                      today=G.today, template_dir=templates))
    if out_file is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    write_output(out_file, data)
    out.print(f"已生成：{out_file}", highlight=False)


@app.command()
def demo(
    out_db: str | None = typer.Option(None, "--db-file", help="演示数据库文件（默认 ./ogi-demo.db，每次重建）"),
) -> None:
    """生成一个含一年真实办理情形的演示数据库，并显示承办人首先要看的内容。"""
    from workflow.demo import build_demo

    if out_db:
        path = Path(out_db)
    elif G.db:
        found = sqlite_path(resolve_url(G.db))
        if found is None:
            fail("演示数据库只能是 SQLite 文件：请用 --db-file 指定文件名")
        path = found
    else:
        path = Path("ogi-demo.db")
    run(lambda: build_demo(path, today=G.today, console=out))


# The faces of later features register their command groups on the same root app.
from workflow import cli_alerts, cli_appeal, cli_import, cli_report  # noqa: E402, F401


def entrypoint() -> None:
    """Console script entry point."""
    app()
