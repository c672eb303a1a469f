"""Logging in and out, and changing one's own password."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from workflow import accounts
from workflow.accounts import Account
from workflow.errors import InputError, LoginRefused
from workflow.web.security import check_csrf, current_account, open_session
from workflow.web.views import db_of, flash, login, render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only (never another host)."""
    safe = target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target
    return target if safe and target else "/"


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    if current_account(request, db_of(request)) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "username": ""})


@router.post("/login")
def login_submit(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                 csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    check_csrf(request, csrf_token)
    try:
        account = accounts.authenticate(db_of(request), username=username, password=password)
    except LoginRefused as exc:
        return render(request, "login.html", {"error": str(exc), "next": _safe_next(next), "username": username},
                      status=401)
    open_session(request, account)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    request.session.clear()
    flash(request, "已退出登录")
    return RedirectResponse("/login", status_code=303)


@router.get("/password")
def password_page(request: Request, account: Annotated[Account, Depends(login)]) -> Response:
    return render(request, "password.html", {"min_length": accounts.MIN_PASSWORD})


@router.post("/password")
def password_submit(request: Request, account: Annotated[Account, Depends(login)],
                    current: Annotated[str, Form()] = "", new: Annotated[str, Form()] = "",
                    confirm: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    try:
        if new != confirm:
            raise InputError("两次输入的新密码不一致，密码未修改")
        accounts.change_password(db_of(request), username=account.username, current=current, new=new)
    except InputError as exc:
        return render(request, "password.html", {"error": str(exc), "min_length": accounts.MIN_PASSWORD},
                      status=400)
    fresh = accounts.authenticate(db_of(request), username=account.username, password=new)
    open_session(request, fresh)  # the old sessions of this account end; this one goes on
    flash(request, "密码已修改")
    return RedirectResponse("/", status_code=303)
