"""`ogi fee quote`: the information processing fee (信息处理费) by the item or by the page."""

import typer

from states.fees import quote_data
from workflow.cli.base import G, database, fail, out, print_json, run

commands = typer.Typer()
fee_app = typer.Typer(help="信息处理费", no_args_is_help=True)
commands.add_typer(fee_app, name="fee")


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
        data = run(lambda: fees.month_quote(database(), actor_name=G.user, agency=G.agency,
                                                        applicant=applicant, contact=contact,
                                            month=month))
    else:
        fail("请给出 --pages N（按量），或 --applicant 与 --month（按件）")
    if as_json:
        print_json(data)
        return
    from workflow.cli.render import render_fee_quote

    render_fee_quote(out, data)
