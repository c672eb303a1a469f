"""管理 (admins): the agency's users — add, disable or enable, change a role, reset a password — and the agency's
settings (where the response clock pauses, what the letters name). Each form is one use case of `ogi user` /
`ogi settings`."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from states.inputs import CHOICES
from workflow import accounts, admin, users
from workflow.accounts import Account
from workflow.errors import InputError, WorkflowError
from workflow.web.security import check_csrf
from workflow.web.views import db_of, flash, login, render, status_of

router = APIRouter()
Login = Annotated[Account, Depends(login)]
NAMED = {"reconsideration_body": "行政复议机关", "court": "有管辖权的人民法院", "payment": "缴费方式"}


def _page(request: Request, account: Account, *, error: str | None = None, status: int = 200) -> Response:
    db = db_of(request)
    rows = users.list_users(db, actor_name=account.username)
    settings = None if account.agency is None else admin.agency_settings(db, actor_name=account.username)
    return render(request, "manage.html", {"users": rows, "settings": settings, "roles": CHOICES["role"],
                                           "named": NAMED, "error": error, "platform": account.platform},
                  status=status)


@router.get("/admin")
def manage(request: Request, account: Login) -> Response:
    return _page(request, account)


@router.post("/admin/users")
async def user_action(request: Request, account: Login) -> Response:
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    check_csrf(request, form.get("csrf_token"))
    action, name, db = form.get("action", ""), form.get("username", ""), db_of(request)
    agency = form.get("agency") or None
    try:
        if action == "add":
            admin.add_user(db, actor_name=account.username, username=name, role=form.get("role", ""),
                           display_name=form.get("display_name") or None, email=form.get("email") or None,
                           agency=agency)
            if form.get("password"):
                accounts.set_password(db, actor_name=account.username, username=name, password=form["password"])
            done = f"已添加用户 {name}"
        elif action in ("disable", "enable"):
            users.set_active(db, actor_name=account.username, username=name, active=action == "enable")
            done = f"已{'启用' if action == 'enable' else '停用'}用户 {name}"
        elif action == "role":
            users.set_role(db, actor_name=account.username, username=name, role=form.get("role", ""))
            done = f"已修改用户 {name} 的角色"
        elif action == "password":
            accounts.set_password(db, actor_name=account.username, username=name, password=form.get("password", ""))
            done = f"已重置用户 {name} 的密码；其此前的登录会话已失效"
        else:
            raise InputError(f"未知的操作 {action!r}")
    except WorkflowError as exc:
        return _page(request, account, error=str(exc), status=status_of(exc))
    flash(request, done)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/settings")
async def settings(request: Request, account: Login) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(request, form.get("csrf_token"))
    try:
        admin.agency_settings(db_of(request), actor_name=account.username,
                              pause_on_fee=form.get("pause_on_fee") == "on",
                              pause_on_reasons=form.get("pause_on_reasons") == "on",
                              named={k: form.get(k, "") for k in NAMED})
    except WorkflowError as exc:
        return _page(request, account, error=str(exc), status=status_of(exc))
    flash(request, "已保存本机关的设置（对此后发出的通知生效）")
    return RedirectResponse("/admin", status_code=303)
