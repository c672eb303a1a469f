"""`ogi receive`, `act`, `assign`, `show`, `cases`, `letter`: registering and handling applications."""

import sys
from decimal import Decimal
from pathlib import Path

import typer

from workflow import cases, queries
from workflow.cli.base import (
    G,
    check_output,
    database,
    fail,
    out,
    parse_date,
    print_json,
    run,
    text_input,
    write_output,
)
from workflow.errors import WorkflowError
from workflow.inputs import ActionInput, ApplicationCreate, validate

commands = typer.Typer()


@commands.command()
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
    result = run(lambda: cases.register(database(), actor_name=G.user, agency=G.agency, data=data, today=G.today))
    if as_json:
        print_json({"number": result.number})  # a contract of scripts: the number alone
    else:
        out.print(result.message, highlight=False)


@commands.command()
def act(
    number: str = typer.Argument(..., help="案件编号"),
    trigger: str = typer.Argument(..., help="操作：代码或中文名称，如 submit_response 或 提交答复送审"),
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
    """对案件执行一项操作（操作可写代码或中文名称）。"""
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
        context = cases.where_it_stands(database(), actor_name=G.user, agency=G.agency, number=number, today=G.today)
        fail(f"{exc}\n{context}".strip())
    result = run(lambda: cases.act(database(), actor_name=G.user, agency=G.agency,
                                               number=number, trigger=trigger, data=data,
                                   today=G.today, expected_version=expect_version))
    if as_json:
        print_json(result.as_data())
    else:
        out.print(result.message, highlight=False)


@commands.command()
def assign(
    number: str = typer.Argument(..., help="案件编号"),
    user: str = typer.Argument(..., help="新的承办人（用户名）"),
    on: str | None = typer.Option(None, "--on", help="指派日期 YYYY-MM-DD（默认今天）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出办理结果"),
) -> None:
    """负责人指派案件的承办人（记入办理记录；此后提醒发给新的承办人）。"""
    day = parse_date(on, "--on")
    result = run(lambda: cases.assign(database(), actor_name=G.user, agency=G.agency,
                                                  number=number, assignee=user, today=G.today,
                                      on=day))
    if as_json:
        print_json(result.as_data())
    else:
        out.print(f"{result.message}；承办人：{user}", highlight=False)


@commands.command()
def show(
    number: str = typer.Argument(..., help="案件编号"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    explain: str | None = typer.Option(None, "--explain", help="逐日说明某一期限的计算，如 response"),
) -> None:
    """查看案件：状态、期限、办理记录和当前可执行的操作。"""
    detail = run(lambda: queries.show_case(database(), number=number, actor_name=G.user, agency=G.agency, today=G.today,
                                           explain=explain))
    if as_json:
        print_json(detail)
        return
    from workflow.cli.appeal_render import render_case_appeals
    from workflow.cli.render import render_case

    render_case(out, detail)
    render_case_appeals(out, detail["appeals"])


@commands.command("cases")
def list_cases(
    state: str | None = typer.Option(None, "--state", help="只看某一状态（concluded：已办结）"),
    overdue: bool = typer.Option(False, "--overdue", help="只看已逾期的"),
    due_within: int | None = typer.Option(None, "--due-within", help="只看 N 个工作日内到期的"),
    lapsed: bool = typer.Option(False, "--lapsed", help="只看系统自动办结（逾期不补正、逾期未缴费）且仍可撤销的"),
    mine: bool = typer.Option(False, "--mine", help="只看我承办的"),
    search: str | None = typer.Option(None, "--search", help="按编号、申请人或申请内容查找"),
    applicant_type: str | None = typer.Option(None, "--applicant-type",
                                              help="只看某类申请人：natural|commercial|research|public_interest|legal_service|other"),
    year: int | None = typer.Option(None, "--year", help="只看这一年收到的申请"),
    assignee: str | None = typer.Option(None, "--assignee", help="只看这位承办人（用户名）承办的"),
    sort: str = typer.Option("urgency", "--sort", help="排序：urgency（紧急程度，默认）|newest|oldest（收到日期）"),
    all_: bool = typer.Option(False, "--all", help="包括已办结的案件"),
    limit: int = typer.Option(50, "--limit", help="每页最多列出 N 件（默认 50）"),
    after: str | None = typer.Option(None, "--after", help="从这一位置之后接着列出（上一页末尾给出的翻页位置）"),
    all_agencies: bool = typer.Option(False, "--all-agencies",
                                      help="列出所有机关的案件（主管部门督办；每行注明机关）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """案件列表，按紧急程度排序（或按 --sort）；默认只列未办结的案件。

    每页默认 50 件；还有下一页时，末尾给出 --after 的值。
    """
    page = run(lambda: queries.case_page(database(), actor_name=G.user, agency=G.agency, today=G.today, state=state,
                                         overdue=overdue, due_within=due_within, lapsed=lapsed, limit=limit,
                                         closed=all_, mine=mine, search=search, all_agencies=all_agencies,
                                         after=after, applicant_type=applicant_type, year=year,
                                         assignee=assignee, sort=sort))
    if as_json:
        print_json(page.rows)  # a list, as always; each row's next_cursor continues after it (None on the last)
        return
    from workflow.cli.render import render_cases, render_lapses, render_next_page

    if lapsed:
        render_lapses(out, page.rows)
    else:
        render_cases(out, page.rows, G.today, total=page.total, continued=after is not None)
    render_next_page(out, page.next_cursor)


@commands.command()
def letter(
    number: str = typer.Argument(..., help="案件编号"),
    kind: str = typer.Argument(..., help="receipt|correction_notice|reasons_notice|extension_notice|"
                                         "consultation_letter|fee_notice|response"),
    fmt: str = typer.Option("html", "--format", help="html | docx"),
    out_file: Path | None = typer.Option(None, "--out", help="输出文件（默认：html 输出到屏幕，docx 须指定）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖（正在使用的数据库不会被覆盖）"),
    templates: Path | None = typer.Option(None, "--templates", help="本机关的模板目录（或环境变量 OGI_TEMPLATES）"),
) -> None:
    """生成告知书：文书中的日期、期限、金额、编号和机关名称均取自案件。"""
    from workflow import letters

    if fmt == "docx" and out_file is None:
        fail("DOCX 格式须用 --out 指定输出文件")
    if out_file is not None:
        check_output(out_file, force=force)
    data = run(lambda: letters.render(database(), number=number, kind=kind, fmt=fmt, actor_name=G.user,
                                      agency=G.agency,
                                      today=G.today, template_dir=templates))
    if out_file is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    write_output(out_file, data, force=force)
    out.print(f"已生成：{out_file}", highlight=False)
