"""日历: a year's rest days and 调休 working days with their source; a platform admin imports next year's
notice, first as a preview of the deadlines it would move, then confirmed."""

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from states.clocks import RULES
from states.lifecycle import Role
from workflow import admin
from workflow.accounts import Account
from workflow.errors import InputError, WorkflowError
from workflow.web.security import check_csrf
from workflow.web.views import db_of, flash, login, render, status_of, today_of

router = APIRouter()
Login = Annotated[Account, Depends(login)]
MAX_NOTICE = 64 * 1024  # a year's notice is a few hundred bytes of TOML


@router.get("/calendar")
def calendar(request: Request, account: Login, year: int | None = None) -> Response:
    year = year or today_of(request).year
    return _page(request, account, year)


def _page(request: Request, account: Account, year: int) -> Response:
    shown = admin.calendar_show(db_of(request), year=year)
    return render(request, "calendar.html", {"cal": shown, "year": year,
                                             "may_import": account.role == Role.PLATFORM_ADMIN})


def _apply(request: Request, account: Account, text: str, *, dry_run: bool) -> tuple[int, list[admin.DueChange]]:
    """The notice run through the same use case as `ogi calendar import` (read from a private temporary file)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "notice.toml"
        path.write_text(text, encoding="utf-8")
        return admin.calendar_import(db_of(request), actor_name=account.username, path=path,
                                     today=today_of(request), dry_run=dry_run)


@router.post("/calendar/preview")
async def preview(request: Request, account: Login, notice: UploadFile,
                  csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    year = today_of(request).year
    try:
        raw = await notice.read(MAX_NOTICE + 1)
        if len(raw) > MAX_NOTICE:
            raise InputError(f"放假安排文件过大（超过 {MAX_NOTICE // 1024} KiB）：应为一年的 TOML 通知")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("放假安排文件不是 UTF-8 编码的 TOML 文本") from None
        year, moves = _apply(request, account, text, dry_run=True)
    except WorkflowError as exc:
        return render(request, "calendar.html", {"cal": admin.calendar_show(db_of(request), year=year), "year": year,
                                                 "may_import": True, "error": str(exc)}, status=status_of(exc))
    return render(request, "calendar_preview.html", {"year": year, "moves": moves, "notice": text,
                                                     "name": notice.filename or "",
                                                     "clock_labels": {k.value: r.label for k, r in RULES.items()}})


@router.post("/calendar/import")
def confirm(request: Request, account: Login, notice: Annotated[str, Form()] = "",
            csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    year, moves = _apply(request, account, notice, dry_run=False)
    flash(request, f"已导入 {year} 年放假安排，{len(moves)} 个在办案件的期限随之变化")
    return RedirectResponse(f"/calendar?year={year}", status_code=303)
