"""`ogi appeal …`: reconsiderations and lawsuits against an application's handling (SPEC §7)."""

import typer

from states.appeals import COLUMN_LABELS, DECISIONS, Column
from workflow import appeals
from workflow.cli.appeal_render import render_appeal, render_appeal_list, render_decisions
from workflow.cli.base import G, database, out, parse_date, print_json, run

appeal_app = typer.Typer(help="行政复议与行政诉讼", no_args_is_help=True)
commands = typer.Typer()
commands.add_typer(appeal_app, name="appeal")

_JSON = typer.Option(False, "--json", help="以 JSON 输出")
_REASON = typer.Option(None, "--reason", help="理由（在已锁定年度办理时，管理员必填，记入记录）")


@appeal_app.command("file")
def file(
    number: str = typer.Argument(..., help="被复议、被起诉的申请案件编号"),
    kind: str = typer.Option(..., "--kind", help="reconsideration（行政复议）| litigation（行政诉讼）"),
    route: str | None = typer.Option(None, "--route",
                                     help="行政诉讼的起诉方式：direct（未经复议直接起诉）| "
                                          "after_reconsideration（复议后起诉）"),
    received_on: str = typer.Option(..., "--received-on", help="本机关收到复议申请书副本或起诉状副本之日 YYYY-MM-DD"),
    body: str | None = typer.Option(None, "--body", help="复议机关或法院"),
    reason: str | None = _REASON,
    as_json: bool = _JSON,
) -> None:
    """登记一件行政复议或行政诉讼，输出其编号和答复（答辩）期限。"""
    on = parse_date(received_on, "--received-on")
    assert on is not None
    appeal_id = run(lambda: appeals.file_appeal(database(), actor_name=G.user, agency=G.agency,
                                                            number=number, kind=kind,
                                                route=route, received_on=on, body=body, today=G.today,
                                                reason=reason))
    detail = run(lambda: appeals.show_appeal(database(), actor_name=G.user, agency=G.agency,
                                                         appeal_id=appeal_id, today=G.today))
    if as_json:
        print_json({"id": appeal_id, "due_on": detail["due_on"], "clock": detail["clock"]["kind"]})
        return
    out.print(f"已登记：{detail['kind_label']} #{appeal_id}（申请案件 {number}），"
              f"{detail['clock']['label']}至 {detail['due_on']}", highlight=False)


@appeal_app.command("act")
def act(
    appeal_id: int = typer.Argument(..., help="复议、诉讼案件编号（ogi appeal list 中的 #）"),
    trigger: str = typer.Argument(..., help="submit_reply（提交答复/答辩状）| decide（登记结果）| withdraw（撤回）"),
    on: str = typer.Option(..., "--on", help="办理的法律日期 YYYY-MM-DD"),
    decision: str | None = typer.Option(None, "--decision", help="decide 时必填：决定代码或中文名称，如 维持"),
    reason: str | None = _REASON,
) -> None:
    """对复议、诉讼案件执行一项操作。"""
    day = parse_date(on, "--on")
    assert day is not None
    detail = run(lambda: appeals.act_appeal(database(), actor_name=G.user, agency=G.agency,
                                                        appeal_id=appeal_id, trigger=trigger,
                                            on=day, decision=decision, reason=reason, today=G.today))
    result = f"，结果：{detail['decision_label']}（统计栏目：{detail['column_label']}）" if detail["decision"] else ""
    out.print(f"已办理：#{appeal_id} {detail['label']}，当前状态：{detail['state_label']}{result}", highlight=False)


@appeal_app.command("show")
def show(appeal_id: int = typer.Argument(..., help="复议、诉讼案件编号"), as_json: bool = _JSON) -> None:
    """查看复议、诉讼案件：状态、期限（逐日计算）、办理记录和可执行的操作。"""
    detail = run(lambda: appeals.show_appeal(database(), actor_name=G.user, agency=G.agency,
                                                         appeal_id=appeal_id, today=G.today))
    if as_json:
        print_json(detail)
    else:
        render_appeal(out, detail)


@appeal_app.command("list")
def list_(
    open_only: bool = typer.Option(False, "--open", help="只看尚未审结的"),
    as_json: bool = _JSON,
) -> None:
    """本机关的复议、诉讼案件列表。"""
    rows = run(lambda: appeals.list_appeals(database(), actor_name=G.user, agency=G.agency,
                                                        today=G.today, open_only=open_only))
    if as_json:
        print_json(rows)
    else:
        render_appeal_list(out, rows)


@appeal_app.command("decisions")
def decisions(as_json: bool = _JSON) -> None:
    """全部复议决定、裁判结果的代码、名称，以及计入年度报告表四的栏目（默认与本机关）。"""
    rows = run(lambda: appeals.decision_table(database(), actor_name=G.user, agency=G.agency))
    if as_json:
        print_json(rows)
    else:
        render_decisions(out, rows)


@appeal_app.command("mapping")
def set_column(
    code: str = typer.Argument(..., help="决定代码（见 ogi appeal decisions）"),
    column: str = typer.Argument(..., help="upheld（结果维持）| corrected（结果纠正）| other（其他结果）"),
    reason: str | None = typer.Option(None, "--reason", help="会改变已锁定年度表四时必填（仅管理员）"),
) -> None:
    """修改本机关某一决定计入表四的栏目（负责人或管理员）。"""
    run(lambda: appeals.set_mapping(database(), actor_name=G.user, agency=G.agency,
                                                decision=code, column=column, today=G.today,
                                    reason=reason))
    target = next(c for c in Column if column.strip() in (c.value, COLUMN_LABELS[c]))
    out.print(f"已修改：「{DECISIONS[code.strip()].label}」（{code.strip()}）计入「{COLUMN_LABELS[target]}」",
              highlight=False)
