"""Human-readable terminal views of cases, the case list and the calendar (Chinese labels)."""

from datetime import date
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from states.clocks import RULES, ClockKind
from states.lifecycle import ROLE_LABELS, STATE_LABELS, Role, State
from workflow.queries import COUNT_CAP

STATUS_LABELS = {
    "running": "计时中", "paused": "暂停计时", "stopped": "停止（待重新起算）", "met": "已完成",
    "closed": "已结束", "overdue": "已逾期",
}
_EXPLAIN_STYLES = {"rest": "dim", "paused": "yellow", "due": "bold", "note": "cyan"}
STATUS_STYLES = {"overdue": "bold red", "paused": "yellow", "stopped": "yellow", "met": "green"}


def status_markup(value: str) -> str:
    """A clock status as its Chinese label, coloured for the terminal."""
    style = STATUS_STYLES.get(value)
    label = STATUS_LABELS.get(value, value)
    return f"[{style}]{label}[/]" if style else label


def render_case(out: Console, d: dict[str, Any]) -> None:
    """One case: header, clocks, actions, history, and an explanation when asked."""
    out.print(f"[bold]案件 {d['number']}[/]  {d['state_label']}（{d['state']}）  第 {d['version']} 版", highlight=False)
    for problem in d.get("integrity", []):
        out.print(f"[bold red]警告：本案数据与办理记录不符或记录被改动（ogi verify）：{escape(problem)}[/]",
                  highlight=False)
    out.print(f"申请人：{d['applicant_name']}（{d['applicant_type_label']}）  渠道：{d['channel_label']}  "
              f"收到申请之日：{d['received_on']}  承办人：{d.get('assignee_name') or '—'}", highlight=False)
    out.print(f"申请内容：{d['request']}", highlight=False)
    if d["outcome"]:
        out.print(f"办理结果：{d['outcome']} {d['outcome_label']}  办结日期：{d['concluded_on']}", highlight=False)
    table = Table(title="期限")
    for column in ("期限", "起算日", "到期日", "状态", "剩余工作日", "说明"):
        table.add_column(column)
    for kind, c in d["clocks"].items():
        flags = []
        if c["provisional"]:
            flags.append("暂定（该年放假安排未发布）")
        if c["extended"]:
            flags.append("已延期")
        if c["late"]:
            flags.append("逾期完成")
        remaining = "" if c["remaining_working_days"] is None else str(c["remaining_working_days"])
        table.add_row(f"{c['label']}（{kind}）", c["start_on"], c["due_on"], status_markup(c["status"]), remaining,
                      "；".join(flags))
    out.print(table)
    if d["actions"]:
        out.print("[bold]可执行的操作[/]")
        for a in d["actions"]:
            if a["available"]:
                late = f"  [yellow]{a['needs_reason']}[/]" if a["needs_reason"] else ""
                out.print(f"  [green]✓[/] {a['trigger']}（{a['label']}）{late}", highlight=False)
            else:
                out.print(f"  [dim]✗ {a['trigger']}（{a['label']}）：{'；'.join(a['reasons'])}[/]", highlight=False)
    pending = [a for a in d["approvals"] if a["status"] == "pending"]
    for a in pending:
        what = "延期申请" if a["kind"] == "extension" else "答复"
        proposal = a["proposal"]
        detail = (f"办理结果 {proposal.get('outcome')}：{proposal.get('text', '')}" if a["kind"] == "response"
                  else f"理由：{proposal.get('reason') or '—'}")
        out.print(f"[bold yellow]待负责人审批的{what}[/]（{a['requested_by']} 于 {a['requested_on']} 提交）{detail}",
                  highlight=False)
    out.print("[bold]办理记录[/]")
    for e in d["events"]:
        role = ROLE_LABELS.get(Role(e["role"]), e["role"])
        before = STATE_LABELS[State(e["from_state"])] if e["from_state"] else "—"
        after = STATE_LABELS[State(e["to_state"])]
        moved = f"{before} → {after}" if before != after else after
        out.print(f"  {e['seq']:>2}. {e['effective_on']} [bold]{escape(e['label'])}[/]  {escape(e['actor'])}（{role}）"
                  f"  {moved}", highlight=False)
        for line in e["details"]:
            style = "red" if line.startswith("逾期办理") else "dim"
            out.print(f"      [{style}]{escape(line)}[/]", highlight=False)
    if "explanation" in d:
        kind = ClockKind(d["explanation"]["clock"])
        out.print(f"[bold]{RULES[kind].label}逐日计算[/]（{RULES[kind].basis}）", highlight=False)
        for line in d["explanation"]["days"]:
            style = _EXPLAIN_STYLES.get(line["kind"], "")
            text = f"  {line['date']}  {line['note']}"
            out.print(f"[{style}]{text}[/]" if style else text, highlight=False)


def render_cases(out: Console, rows: list[dict[str, Any]], today: date, total: int | None = None,
                 continued: bool = False) -> None:
    """The case list, most urgent first; with `total`, says how many match beyond the page shown (`continued`:
    a page after the first)."""
    if not rows:
        out.print("没有更多符合条件的案件。" if continued else "没有符合条件的案件。")
        return
    total = len(rows) if total is None else total
    counted = f"{total - 1} 件以上" if total > COUNT_CAP else f"{total} 件"
    if continued:
        shown = f"共 {counted}，本页 {len(rows)} 件（接上一页）"
    elif total == len(rows):
        shown = f"共 {total} 件"
    else:
        shown = f"共 {counted}，显示最紧急的 {len(rows)} 件（用 --limit 调整）"
    table = Table(title=f"案件列表（{today}，{shown}）")
    several = len({r.get("agency") for r in rows}) > 1  # the supervising office's view of every agency
    columns = ("机关", "编号", "申请人", "状态", "最近期限", "到期日", "剩余工作日", "收到日期")
    for column in columns[0 if several else 1:]:
        table.add_column(column)
    for r in rows:
        clock = RULES[ClockKind(r["next_due_clock"])].label if r["next_due_clock"] else ""
        left = r["working_days_left"]
        if left is None:
            left_text = ""
        elif r["overdue"]:
            left_text = f"[bold red]逾期 {-left} 个工作日[/]" if left < 0 else "[bold red]已逾期[/]"
        else:
            left_text = str(left)
        due = (r["next_due_on"] or "") + ("（暂定）" if r["provisional"] else "")
        cells = (r["number"], r["applicant_name"], r["state_label"], clock, due, left_text, r["received_on"])
        table.add_row(*((r["agency"], *cells) if several else cells))
    out.print(table)


def render_next_page(out: Console, cursor: str | None) -> None:
    """How to list the next page, when there is one."""
    if cursor is not None:
        out.print(f"下一页：在同样的命令后加上 --after {cursor}", highlight=False, soft_wrap=True)


def render_lapses(out: Console, rows: list[dict[str, Any]]) -> None:
    """Cases the system concluded that a clerk may still check and undo."""
    if not rows:
        out.print("没有可撤销的系统自动办结。")
        return
    table = Table(title=f"系统自动办结、仍可撤销的案件（共 {len(rows)} 件，最近的在前）")
    for column in ("编号", "申请人", "办理结果", "办结日期", "收到日期", "撤销操作"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["number"], r["applicant_name"], f"{r['outcome']} {r['lapse_label']}", r["concluded_on"],
                      r["received_on"], r["undo_action"])
    out.print(table)
    out.print("如自动办结有误（例如补正材料或费用已按时寄达），可撤销：ogi act 编号 撤销操作 --reason 理由；"
              "撤销后案件回到待补正（待缴费），再登记收到补正（receive_correction）或缴费（receive_payment）。",
              highlight=False)


def render_calendar(out: Console, d: dict[str, Any]) -> None:
    """A year's special days and where they come from."""
    known = "已发布" if d["known"] else "[bold yellow]未发布：仅按周末推定，据此计算的期限均为暂定[/]"
    out.print(f"[bold]{d['year']} 年工作日日历[/]  {known}  来源：{d['source'] or '—'}  "
              f"全年工作日 {d['working_days']} 天")
    for title, key in (("休息日（工作日放假）", "rest_days"), ("调休上班日", "adjusted_working_days")):
        table = Table(title=title)
        for column in ("日期", "类型", "节日", "来源"):
            table.add_column(column)
        for day in d[key]:
            table.add_row(day["date"], day["label"], day["name"] or "", day["source"])
        out.print(table)


def render_fee_quote(out: Console, d: dict[str, Any]) -> None:
    """A fee computation: the bands applied, or an applicant's month of applications."""
    if "applications" in d:
        out.print(f"[bold]{d['applicant']}[/] {d['month']} 共 {d['count']} 件申请（按件计收，每月前 10 件免费）",
                  highlight=False)
        for i, a in enumerate(d["applications"], start=1):
            out.print(f"  {i:>3}. {a['number']}（{a['received_on']}）  {a['amount']} 元", highlight=False)
        out.print(f"下一件（第 {d['count'] + 1} 件）应收：{d['next']['amount']} 元", highlight=False)
        return
    out.print(f"[bold]{d['basis']}[/]", highlight=False)
    for line in d["lines"]:
        out.print(f"  {line['band']}：{line['quantity']} × {line['unit_price']} 元 = {line['amount']} 元",
                  highlight=False)
    out.print(f"合计：{d['amount']} 元", highlight=False)
