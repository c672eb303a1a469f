"""Terminal views of appeals: one appeal with its clock, the agency's list, the decision table (Chinese labels)."""

from typing import Any

from rich.console import Console
from rich.table import Table

from states.appeals import APPEAL_STATE_LABELS, AppealState
from workflow.cli.render import status_markup

_EXPLAIN_STYLES = {"rest": "dim", "due": "bold", "note": "cyan"}


def _kind(a: dict[str, Any]) -> str:
    return str(a["kind_label"]) + (f"（{a['route_label']}）" if a["route_label"] else "")


def _decision(a: dict[str, Any]) -> str:
    return f"{a['decision_label']}（{a['decided_on']}）" if a["decision"] else "—"


def render_case_appeals(out: Console, rows: list[dict[str, Any]]) -> None:
    """The appeals section of `ogi show`: kind/route, receipt, state, due date, decision."""
    if not rows:
        return
    table = Table(title="行政复议、行政诉讼")
    for column in ("编号", "类型", "收到副本", "状态", "答复/答辩期限", "期限状态", "结果"):
        table.add_column(column)
    for a in rows:
        status = status_markup(a["clock_status"]) + ("（逾期完成）" if a.get("late") else "")
        table.add_row(f"#{a['id']}", _kind(a), a["received_on"], a["state_label"], a["due_on"], status,
                      _decision(a))
    out.print(table)


def render_appeal_list(out: Console, rows: list[dict[str, Any]]) -> None:
    """The agency's appeals with case number, kind, state, due date, decision and report column."""
    if not rows:
        out.print("没有复议、诉讼案件。")
        return
    table = Table(title=f"行政复议、行政诉讼（共 {len(rows)} 件）")
    for column in ("编号", "申请案件", "类型", "收到副本", "状态", "期限", "期限状态", "结果", "统计栏目"):
        table.add_column(column)
    for a in rows:
        table.add_row(f"#{a['id']}", a["number"], _kind(a), a["received_on"], a["state_label"], a["due_on"],
                      status_markup(a["clock_status"]), _decision(a), a["column_label"])
    out.print(table)


def render_appeal(out: Console, d: dict[str, Any]) -> None:
    """One appeal: header, clock, open actions, history and the clock's day-by-day computation."""
    out.print(f"[bold]{_kind(d)} #{d['id']}[/]  申请案件 {d['number']}  {d['state_label']}（{d['state']}）",
              highlight=False)
    out.print(f"复议机关/法院：{d['body'] or '—'}  收到副本之日：{d['received_on']}  "
              f"结果：{_decision(d)}  统计栏目：{d['column_label']}", highlight=False)
    c = d["clock"]
    late = "  [red]逾期完成[/]" if c["late"] else ""
    provisional = "（暂定：该年放假安排未发布）" if c["provisional"] else ""
    status = status_markup(c["status"])
    out.print(f"{c['label']}：{c['start_on']} 起算，{c['due_on']} 届满{provisional}  {status}{late}", highlight=False)
    for note in c["notes"]:
        out.print(f"  {note}", highlight=False)
    if d["actions"]:
        out.print("[bold]可执行的操作[/]  " + "、".join(f"{a['trigger']}（{a['label']}）" for a in d["actions"]),
                  highlight=False)
    out.print("[bold]办理记录[/]")
    for e in d["events"]:
        before = APPEAL_STATE_LABELS[AppealState(e["from_state"])] if e["from_state"] else "—"
        reason = f"  理由：{e['data']['reason']}" if e["data"].get("reason") else ""
        out.print(f"  {e['seq']:>2}. {e['effective_on']} {e['trigger']}  {e['actor']}（{e['role']}）  "
                  f"{before} → {APPEAL_STATE_LABELS[AppealState(e['to_state'])]}{reason}", highlight=False)
    out.print(f"[bold]{c['label']}逐日计算[/]（{c['basis']}）", highlight=False)
    for line in c["explanation"]:
        style = _EXPLAIN_STYLES.get(line["kind"], "")
        text = f"  {line['date']}  {line['note']}"
        out.print(f"[{style}]{text}[/]" if style else text, highlight=False)


def render_decisions(out: Console, rows: list[dict[str, Any]]) -> None:
    """Every decision code with its label, kind, default and effective report column."""
    table = Table(title="复议决定、裁判结果与年度报告统计栏目")
    for column in ("代码", "名称", "类型", "默认栏目", "本机关栏目"):
        table.add_column(column)
    for r in rows:
        mine = f"[bold yellow]{r['column_label']}（已调整）[/]" if r["overridden"] else r["column_label"]
        table.add_row(r["code"], r["label"], r["kind_label"], r["default_column_label"], mine)
    out.print(table)
