"""What every page shares: rendering with the account and CSRF token, the logged-in account, refusals' status."""

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from workflow.accounts import Account
from workflow.case_files import FileStore
from workflow.db import Database
from workflow.errors import InputError, NotFound, StaleCase, TransitionNotAllowed, WorkflowError, YearLocked
from workflow.web.security import LoginRequired, csrf_token, current_account

STATUS = {InputError: 400, TransitionNotAllowed: 403, NotFound: 404, StaleCase: 409, YearLocked: 409}


def status_of(exc: WorkflowError) -> int:
    """The HTTP status of a refusal: 404 for what does not exist for this user (another agency's case too)."""
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


def db_of(request: Request) -> Database:
    """The application's database."""
    db: Database = request.app.state.db
    return db


def files_of(request: Request) -> FileStore:
    """Where the application keeps case files."""
    files: FileStore = request.app.state.files
    return files


def today_of(request: Request) -> date:
    """The legal date of the request (Beijing)."""
    today: date = request.app.state.today()
    return today


def login(request: Request) -> Account:
    """The logged-in account, or a redirect to /login (a dependency of every page but /login and /healthz)."""
    account = current_account(request, db_of(request))
    if account is None:
        raise LoginRequired
    request.state.account = account
    return account


def flash(request: Request, message: str) -> None:
    """A message shown once, on the next page (after a redirect)."""
    request.session["flash"] = message


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A page, with what every page needs: the account (if logged in), the CSRF token, the flash message."""
    templates: Jinja2Templates = request.app.state.templates
    flash = request.session.pop("flash", None)
    base = {"account": getattr(request.state, "account", None), "csrf_token": csrf_token(request), "flash": flash}
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)
