"""`ogi alerts …`, `ogi status`, `ogi scheduler`: the sweep, the outbox and the heartbeat (docs/alerts.md)."""

import os
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from notifications.policy import ALERT_KIND_LABELS
from workflow.cli.base import G, agency_today, database, fail, out, print_json, run

alerts_app = typer.Typer(help="到期提醒、逾期预警与自动办结", no_args_is_help=True)
commands = typer.Typer()
commands.add_typer(alerts_app, name="alerts")


def _alert_setup(config: Path | None) -> tuple[Any, Any]:
    from notifications.setup import configured

    try:
        return configured(config, os.environ)
    except ValueError as exc:
        fail(str(exc))


def _print_sweep(result: Any) -> None:
    out.print(f"{result.as_of} 扫描完成：自动办结 {len(result.lapsed)} 件，新提醒 {len(result.raised)} 条，"
              f"发送成功 {result.delivered}、失败 {result.failed}", highlight=False)
    if result.quiet_until:
        out.print(f"  {result.as_of} 是休息日，不生成提醒；到期的提醒在下一个工作日 {result.quiet_until} 发出",
                  highlight=False)
    for number in result.lapsed:
        out.print(f"  自动办结：{number}", highlight=False)
    for held in result.held:
        out.print(f"  [bold yellow]未自动办结[/]：{escape(held)}", highlight=False)
    for a in result.raised:
        out.print(f"  {ALERT_KIND_LABELS[a['kind']]}：{a['message']} → {'、'.join(a['recipients']) or '（无接收人）'}",
                  highlight=False)


_CONFIG = typer.Option(None, "--config", help="提醒设置 TOML 文件（或环境变量 OGI_ALERTS）")


@alerts_app.command("sweep")
def alerts_sweep(config: Path | None = _CONFIG,
                 as_json: bool = typer.Option(False, "--json", help="以 JSON 输出")) -> None:
    """运行一次扫描：到期自动办结、生成提醒（每条只生成一次）、发送待发提醒。"""
    from workflow.alerts import sweep

    policy, channels = _alert_setup(config)
    result = run(lambda: sweep(database(), today=G.today, policy=policy, channels=channels))
    if as_json:
        print_json({"as_of": result.as_of, "quiet_until": result.quiet_until, "lapsed": result.lapsed,
                    "held": result.held, "raised": result.raised,
                    "delivered": result.delivered, "failed": result.failed})
    else:
        _print_sweep(result)


@alerts_app.command("list")
def alerts_list(
    pending: bool = typer.Option(False, "--pending", help="只看待发送的"),
    failed: bool = typer.Option(False, "--failed", help="只看发送失败的"),
    limit: int = typer.Option(500, "--limit", min=1, help="最多列出多少条（最新的在前）"),
    all_agencies: bool = typer.Option(False, "--all-agencies", help="列出所有机关的提醒（主管部门）"),
    unread: bool = typer.Option(False, "--unread", help="只看我（--as）未读的"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """提醒列表：编号、案件、期限、类型、到期日、生成日、接收人和发送状态。"""
    from workflow.monitor import list_alerts

    rows = run(lambda: list_alerts(database(), pending=pending, failed=failed, limit=limit, actor_name=G.user,
                                   agency=G.agency, all_agencies=all_agencies, unread=unread))
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("没有提醒。")
        return
    more = f"；只列出最新的 {limit} 条，更多请用 --limit" if len(rows) == limit else ""
    table = Table(title=f"提醒（{len(rows)} 条，最新的在前{more}）", title_justify="left")
    reader = G.user is not None
    headers = ("编号", "生成日", "案件", "期限", "提醒", "到期日", "接收人", "发送状态")
    for header in (*headers, *(("已读",) if reader else ())):
        table.add_column(header, no_wrap=header in ("编号", "生成日", "案件", "到期日"))
    for a in rows:
        table.add_row(str(a["id"]), a["raised_on"], a["number"], a["clock_label"], a["kind_label"], a["due_on"],
                      "、".join(a["recipients"]) or "（无）", escape(_delivery_states(a)),
                      *(("是" if a["read"] else "否",) if reader else ()))
    out.print(table, highlight=False)


@alerts_app.command("read")
def alerts_read(
    ids: list[int] = typer.Argument(None, help="提醒编号（见 ogi alerts list）；不写编号时须加 --all"),
    every: bool = typer.Option(False, "--all", help="把我能看到的提醒全部标为已读"),
    all_agencies: bool = typer.Option(False, "--all-agencies", help="所有机关的提醒（主管部门）"),
) -> None:
    """把提醒标为我（--as）已读；其他用户的已读状态不受影响。"""
    from workflow.errors import InputError
    from workflow.monitor import mark_read

    def marked() -> int:
        if bool(ids) == every:
            raise InputError("请写出要标为已读的提醒编号，或用 --all 标记全部（二者选一）")
        return mark_read(database(), actor_name=G.user, alert_ids=ids or None, agency=G.agency,
                         all_agencies=all_agencies)

    count = run(marked)
    out.print(f"已将 {count} 条提醒标为已读。")


def _delivery_states(alert: dict[str, Any]) -> str:
    """One line per channel and recipient: its status, and for a failure the attempts and the last error."""
    if not alert["deliveries"]:
        return "待分发（下次扫描时发送）" if alert["queued"] else "无发送渠道"
    lines = []
    for d in alert["deliveries"]:
        line = f"{d['channel']}→{d['recipient']}：{d['status_label']}"
        if d["status"] != "sent" and d["last_error"]:
            line += f"（已尝试 {d['attempts']} 次：{d['last_error']}）"
        lines.append(line)
    return "\n".join(lines)


@alerts_app.command("retry")
def alerts_retry() -> None:
    """把发送失败的提醒重新放回待发送队列（下次扫描时发送）。"""
    from workflow.monitor import retry_failed

    count = run(lambda: retry_failed(database()))
    out.print(f"已重新排队 {count} 条发送失败的提醒。")


@commands.command()
def status(
    max_age_hours: float = typer.Option(26, "--max-age-hours", help="超过多少小时没有扫描即告警"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """运行状况：上次扫描、待发和失败的提醒，以及需要处理的告警。"""
    from datetime import timedelta

    from workflow.monitor import status as read_status

    data = run(lambda: read_status(database(), today=G.today, max_age=timedelta(hours=max_age_hours)))
    if as_json:
        print_json(data)
        return
    last = data["last_sweep"]
    summary = (f"北京时间 {last['started_at_local']}（按 {last['as_of']} 办理），新提醒 {last['raised']} 条，"
               f"自动办结 {last['lapsed']} 件") if last else "无"
    out.print(f"上次扫描：{summary}", highlight=False)
    d = data["deliveries"]
    queued = f"（另有 {data['queued_alerts']} 条新提醒待分发）" if data["queued_alerts"] else ""
    out.print(f"提醒发送：待发 {d['pending'] + d['sending']}，已发 {d['sent']}，失败 {d['failed']}{queued}",
              highlight=False)
    for w in data["warnings"]:
        out.print(f"[bold yellow]警告：[/]{escape(w)}", highlight=False)


@commands.command()
def scheduler(
    config: Path | None = _CONFIG,
    interval: float = typer.Option(15, "--interval", min=1, max=1440, help="扫描间隔（分钟，1–1440）"),
) -> None:
    """在前台运行定时扫描（启动时先补做一次；可多进程同时运行）。"""
    import logging

    from workflow.scheduler import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # its routine notices are English noise
    policy, channels = _alert_setup(config)
    fixed = G.today if G.today != agency_today() else None
    out.print(f"提醒扫描已启动：每 {interval:g} 分钟一次（Ctrl-C 停止）", highlight=False)
    run_forever(database(), policy=policy, channels=channels, interval_minutes=interval,
                today=lambda: fixed or agency_today(), report=_print_sweep)
    out.print("提醒扫描已停止。")
