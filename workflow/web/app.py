"""The web application: sessions, security headers, error pages, and the pages' routers."""

import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from workflow.calendar import local_today
from workflow.case_files import FileStore, store_for
from workflow.db import READ_ERRORS, UNREADABLE, Database, unreadable_value
from workflow.errors import WorkflowError
from workflow.report_cache import ReportCache
from workflow.web import auth, calendar, manage, pages, reports
from workflow.web.security import (
    SESSION_COOKIE,
    SESSION_HOURS,
    CsrfRejected,
    LoginRequired,
    SecurityHeaders,
)
from workflow.web.views import render, status_of

HERE = Path(__file__).parent


def create_app(db: Database, *, secret_key: str | None = None, secure_cookies: bool = False,
               today: Callable[[], date] = local_today, files: FileStore | None = None) -> FastAPI:
    """The workbench over `db`. `secret_key` signs the session cookies (every server of a platform needs the
    same one); `secure_cookies` marks them HTTPS-only (behind a TLS proxy); `today` is the legal date;
    `files` keeps the case files (default: beside the database, see `case_files.store_for`)."""
    app = FastAPI(title="ogi-workflow 政府信息公开申请办理", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["site"] = "政府信息公开申请办理"
    app.state.db, app.state.today, app.state.templates = db, today, templates
    app.state.files = files or store_for(db.url)
    app.state.reports = ReportCache()  # 年报 pages of large agencies, rebuilt when their figures change
    app.add_middleware(SecurityHeaders)
    app.add_middleware(SessionMiddleware, secret_key=secret_key or secrets.token_urlsafe(32),
                       session_cookie=SESSION_COOKIE, max_age=SESSION_HOURS * 3600, same_site="lax",
                       https_only=secure_cookies)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.exception_handler(LoginRequired)
    def to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}" if target != "/" else "/login", status_code=303)

    @app.exception_handler(CsrfRejected)
    def csrf_rejected(request: Request, exc: CsrfRejected) -> Response:
        message = "表单已失效或来源不明（缺少有效的 CSRF 令牌），未执行任何操作。请返回上一页刷新后重试。"
        return render(request, "error.html", {"message": message}, status=403)

    @app.exception_handler(WorkflowError)
    def refused(request: Request, exc: WorkflowError) -> Response:
        return render(request, "error.html", {"message": str(exc)}, status=status_of(exc))

    def unreadable(request: Request, exc: Exception) -> Response:
        if not unreadable_value(exc):
            raise exc  # a fault of the program: the server's own error page, and the log
        return render(request, "error.html", {"message": UNREADABLE.format(reason=exc)}, status=500)

    for error in READ_ERRORS:
        app.add_exception_handler(error, unreadable)

    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(reports.router)
    app.include_router(calendar.router)
    app.include_router(manage.router)
    return app
