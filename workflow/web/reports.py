"""年报: a year's sections 3 and 4 in the official layout, every non-zero cell linking to the cases behind it,
the identity checks, the exports, the lock; the supervising office's roll-up of every agency."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from states.lifecycle import PLATFORM_ROLES, Role
from states.report_format import SECTION2, SECTION_TITLES
from workflow import annual, rollup
from workflow.accounts import Account
from workflow.errors import WorkflowError
from workflow.report import FORMATS, render
from workflow.report.layout import check_lines, check_warning, lock_line, report_title, section3_grid, section4_grid
from workflow.report_inputs import NARRATIVE_KEYS
from workflow.web.security import check_csrf
from workflow.web.views import db_of, flash, login, today_of
from workflow.web.views import render as render_page

router = APIRouter()
Login = Annotated[Account, Depends(login)]
MEDIA = {"json": "application/json", "html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
         "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def _rolled(account: Account) -> bool:
    """A user of the platform reads the roll-up of every agency."""
    return Role(account.role) in PLATFORM_ROLES


@router.get("/reports")
def reports(request: Request, account: Login) -> Response:
    return RedirectResponse(f"/reports/{today_of(request).year - 1}", status_code=303)


@router.get("/reports/{year}")
def report(request: Request, account: Login, year: int) -> Response:
    db, today = db_of(request), today_of(request)
    agencies = None
    if _rolled(account):
        summed = rollup.rollup(db, actor_name=account.username, year=year, today=today, cache=request.app.state.reports)
        built, agencies = summed.report, summed.agencies
    else:
        built = annual.build_report(db, actor_name=account.username, year=year, today=today,
                                    cache=request.app.state.reports)
    return render_page(request, "report.html", {
        "report": built, "year": year, "title": report_title(built), "grids": [section3_grid(built),
                                                                                section4_grid(built)],
        "warning": check_warning(built), "checks": check_lines(built), "lock": lock_line(built),
        "formats": FORMATS, "agencies": agencies, "rolled": _rolled(account), "blocks": SECTION2,
        "narrative_keys": NARRATIVE_KEYS, "section_titles": SECTION_TITLES,
        "may_enter": account.role in (Role.HEAD, Role.ADMIN) and built.locked_on is None and not _rolled(account),
        "may_lock": account.role in (Role.HEAD, Role.ADMIN) and built.locked_on is None and today.year > year,
        "years": list(range(today.year, today.year - 6, -1))})


@router.get("/reports/{year}/cells/{row}/{column}")
def report_cell(request: Request, account: Login, year: int, row: str, column: str) -> Response:
    db, today = db_of(request), today_of(request)
    if _rolled(account):
        parts = rollup.rollup_cell(db, actor_name=account.username, year=year, row=row, column=column, today=today)
        groups = [(f"{p.code}（{p.name}）", p.code, p.cases) for p in parts]
    else:
        found = annual.cell(db, actor_name=account.username, year=year, row=row, column=column, today=today)
        groups = [("", "", found)]
    return render_page(request, "report_cell.html", {"year": year, "row": row, "column": column, "groups": groups})


@router.get("/reports/{year}/export")
def export(request: Request, account: Login, year: int, format: str = "xlsx") -> Response:
    db, today = db_of(request), today_of(request)
    if _rolled(account):
        built = rollup.rollup(db, actor_name=account.username, year=year, today=today,
                              cache=request.app.state.reports).report
    else:
        built = annual.build_report(db, actor_name=account.username, year=year, today=today,
                                    with_cells=format == "html", cache=request.app.state.reports)
    body = render(built, format)
    name = f"report-{year}.{format}"
    return Response(body, media_type=MEDIA.get(format, "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/reports/{year}/inputs")
async def enter_inputs(request: Request, account: Login, year: int) -> Response:
    """填报: section 2's figures and the narrative of sections 1, 5 and 6, as `ogi report input` stores them."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    fields = {k: str(v) for k, v in form.items() if k.startswith(("s2.", "narrative."))}
    try:
        annual.set_inputs(db_of(request), actor_name=account.username, year=year, form=fields,
                          today=today_of(request))
    except WorkflowError as exc:
        flash(request, f"未保存：{exc}")
        return RedirectResponse(f"/reports/{year}#inputs", status_code=303)
    flash(request, f"{year} 年度报告的填报内容已保存")
    return RedirectResponse(f"/reports/{year}#inputs", status_code=303)


@router.post("/reports/{year}/lock")
def lock(request: Request, account: Login, year: int, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    done = annual.lock_year(db_of(request), actor_name=account.username, year=year, today=today_of(request))
    flash(request, f"{year} 年度报告数据已于 {done.locked_on} 锁定；此后的更改须由管理员说明理由")
    return RedirectResponse(f"/reports/{year}", status_code=303)
