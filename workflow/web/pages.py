"""The pages of the workbench: 工作台, 申请列表, 登记, 案件 (with its actions). Each reads the form, calls one
use case (the same as the CLI's) and renders its result; refusals come back as the use case words them."""

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from states.documents import DOCUMENT_KINDS, MAX_DOCUMENT_BYTES, size_text
from states.inputs import CHOICES, FIELD_LABELS
from states.lifecycle import STATE_LABELS, Role, State
from states.outcomes import APPLICANT_LABELS, CHANNEL_LABELS, OUTCOMES, RECEIPT_RULES
from workflow import case_files, case_order, cases, letters, monitor, queries, supervision, users
from workflow.accounts import Account
from workflow.errors import InputError, WorkflowError
from workflow.inputs import ActionInput, ApplicationCreate, validate
from workflow.web.security import check_csrf
from workflow.web.views import db_of, files_of, flash, login, render, status_of, today_of

router = APIRouter()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LETTER_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"
Login = Annotated[Account, Depends(login)]
PAGE = 50
SOON = 5  # working days: 工作台 lists what falls due within them
COUNT_CAP = 1000  # 申请列表 says 「共 N 件」 up to this, then 「1000 件以上」: a count costs a row read per case


def field_label(name: str) -> str:
    """An input's Chinese name without the CLI option it is typed with (「办理结果（--outcome）」→「办理结果」)."""
    return FIELD_LABELS.get(name, name).split("（")[0]


def form_fields(action: dict[str, Any]) -> list[tuple[str, bool]]:
    """The inputs an action's form shows beyond the date, text and reason, each with whether it is required;
    a required period is asked as a date or a number of working days (either will do)."""
    fields: dict[str, bool] = {}
    for name in (*action["requires"], *action["accepts"]):
        if name == "period":
            fields.setdefault("until", False)
            fields.setdefault("days", False)
        elif name not in ("text", "comment", "reason", "on"):
            fields.setdefault(name, name in action["requires"])
    return list(fields.items())


def _filled(form: dict[str, Any]) -> dict[str, Any]:
    """The form's non-empty fields (an empty field is a field not given)."""
    return {k: v.strip() if isinstance(v, str) else v for k, v in form.items() if v not in (None, "")}


@router.get("/")
def workbench(request: Request, account: Login) -> Response:
    db, today = db_of(request), today_of(request)
    every = account.platform  # the supervising office and platform admins follow every agency
    mine = account.role == Role.CLERK
    page = queries.case_page(db, actor_name=account.username, today=today, closed=False, mine=mine,
                             due_within=SOON, limit=200, all_agencies=every, count=False)
    groups = {"overdue": [r for r in page.rows if r["overdue"]],
              "today": [r for r in page.rows if not r["overdue"] and r["working_days_left"] == 0],
              "soon": [r for r in page.rows if not r["overdue"] and (r["working_days_left"] or 0) > 0]}
    approvals = (queries.pending_approvals(db, actor_name=account.username)
                 if account.role in (Role.HEAD, Role.ADMIN) else [])
    alerts = monitor.list_alerts(db, actor_name=account.username, limit=10, all_agencies=every, unread=True)
    return render(request, "workbench.html", {"groups": groups, "approvals": approvals, "alerts": alerts,
                                              "soon": SOON, "today": today, "every": every})


@router.get("/approvals")
def approvals(request: Request, account: Login) -> Response:
    """审批: the extensions and response sign-offs waiting for a head of the agency, oldest first."""
    rows = queries.pending_approvals(db_of(request), actor_name=account.username)
    return render(request, "approvals.html", {"approvals": rows})


@router.get("/alerts")
def alert_inbox(request: Request, account: Login, unread: bool = False) -> Response:
    """提醒: the agency's reminders and overdue alerts (every agency's, for the supervising office), newest first,
    each marked read or not for this user (`unread`: only those not read yet)."""
    rows = monitor.list_alerts(db_of(request), actor_name=account.username, limit=200,
                               all_agencies=account.platform, unread=unread)
    return render(request, "alerts.html", {"alerts": rows, "every": account.platform, "unread": unread})


@router.post("/alerts/read")
async def mark_alerts_read(request: Request, account: Login) -> Response:
    """Mark the chosen alerts (or, with `all`, every alert this user can see) read, for this user only."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    chosen = [str(v) for v in form.getlist("alert")]
    back = "/alerts?unread=true" if form.get("unread") else "/alerts"
    try:
        if not form.get("all") and not chosen:
            raise InputError("请先勾选要标为已读的提醒")
        if any(not v.isdigit() for v in chosen):
            raise InputError("提醒编号无效")
        count = monitor.mark_read(db_of(request), actor_name=account.username,
                                  alert_ids=None if form.get("all") else [int(v) for v in chosen],
                                  all_agencies=account.platform)
    except WorkflowError as exc:
        flash(request, str(exc))
        return RedirectResponse(back, status_code=303)
    flash(request, f"已将 {count} 条提醒标为已读")
    return RedirectResponse(back, status_code=303)


@router.get("/supervise")
def supervise(request: Request, account: Login, year: int | None = None) -> Response:
    """督办: every agency's year at a glance and every agency's overdue and soon-due cases."""
    db, today = db_of(request), today_of(request)
    year = year or today.year
    records = supervision.supervise(db, actor_name=account.username, year=year, today=today)
    overdue = queries.case_page(db, actor_name=account.username, today=today, closed=False, overdue=True,
                                limit=PAGE, all_agencies=True)
    soon = queries.case_page(db, actor_name=account.username, today=today, closed=False, due_within=SOON,
                             limit=PAGE, all_agencies=True)
    return render(request, "supervise.html", {"records": records, "year": year, "overdue": overdue,
                                              "soon": [r for r in soon.rows if not r["overdue"]], "days": SOON})


@router.get("/cases")
def case_list(request: Request, account: Login, state: str = "", clock: str = "", q: str = "",
              mine: bool = False, closed: bool = False, agency: str = "", after: str = "",
              applicant_type: str = "", year: str = "", assignee: str = "", sort: str = "urgency") -> Response:
    """申请列表: filtered, searched and sorted by the same query as `ogi cases`, a page at a time by key."""
    db = db_of(request)
    every = account.platform and not agency
    filters = {"state": state, "clock": clock, "q": q, "mine": mine, "closed": closed, "agency": agency,
               "applicant_type": applicant_type, "year": year, "assignee": assignee, "sort": sort}
    try:
        page = queries.case_page(db, actor_name=account.username, today=today_of(request),
                                 state=state or None, overdue=clock == "overdue",
                                 due_within=SOON if clock == "soon" else None, search=q or None, mine=mine,
                                 closed=closed or state == State.CONCLUDED, limit=PAGE, all_agencies=every,
                                 agency=agency or None, after=after or None, applicant_type=applicant_type or None,
                                 year=_year(year), assignee=assignee or None, sort=sort or "urgency",
                                 count_cap=COUNT_CAP)
        error = None
    except InputError as exc:  # a filter typed into the address: the page says what is wrong with it
        page, error = queries.CasePage([], 0, PAGE, None), str(exc)
    people = users.assignees(db, actor_name=account.username, agency=agency or None) if not every else []
    return render(request, "cases.html", {
        "page": page, "states": STATE_LABELS, "filters": filters, "error": error, "cap": COUNT_CAP,
        "next_page": _next_page(request, page.next_cursor), "paged": bool(after), "every": every, "soon": SOON,
        "applicant_types": APPLICANT_LABELS, "sorts": case_order.SORTS, "assignees": people,
        "years": list(range(today_of(request).year, today_of(request).year - 8, -1))},
        status=400 if error else 200)


def _year(text: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise InputError(f"年度 {text!r} 无效：应为四位数的年份，如 2025")
    return int(text)


def _next_page(request: Request, cursor: str | None) -> str | None:
    """The address of the next page: the same filters, continuing after the last case shown."""
    if cursor is None:
        return None
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    return "/cases?" + urlencode([*kept, ("after", cursor)])


@router.get("/cases/new")
def register_page(request: Request, account: Login) -> Response:
    return _register_form(request, {}, None, 200)


def _register_form(request: Request, values: dict[str, Any], error: str | None, status: int) -> Response:
    return render(request, "register.html", {
        "values": values, "error": error, "applicant_types": APPLICANT_LABELS, "channels": CHANNEL_LABELS,
        "receipt_rules": RECEIPT_RULES, "today": today_of(request)}, status=status)


@router.post("/cases")
async def register(request: Request, account: Login) -> Response:
    form = dict((await request.form()).items())
    check_csrf(request, str(form.pop("csrf_token", "")))
    values = _filled(form)
    try:
        data = validate(ApplicationCreate, **values)
        result = cases.register(db_of(request), actor_name=account.username, data=data, today=today_of(request))
    except WorkflowError as exc:
        return _register_form(request, values, str(exc), status_of(exc))
    flash(request, result.message)
    return RedirectResponse(f"/cases/{result.number}", status_code=303)


def _case_page(request: Request, account: Account, number: str, agency: str | None, *,
               error: str | None = None, status: int = 200, values: dict[str, Any] | None = None) -> Response:
    db, today = db_of(request), today_of(request)
    detail = queries.show_case(db, number=number, actor_name=account.username, today=today, agency=agency,
                               explain="all")
    kinds = letters.letters_of(detail)
    return render(request, "case.html", {
        "case": detail, "letters": kinds, "error": error, "explanations": detail["explanations"],
        "field_label": field_label, "form_fields": form_fields, "document_kinds": DOCUMENT_KINDS,
        "size_text": size_text, "max_document": size_text(MAX_DOCUMENT_BYTES),
        "choices": CHOICES, "outcomes": OUTCOMES, "state_labels": STATE_LABELS, "values": values or {},
        "agency": agency or "", "today": today}, status=status)


@router.get("/cases/{number}")
def case_detail(request: Request, account: Login, number: str, agency: str = "") -> Response:
    return _case_page(request, account, number, agency or None)


@router.get("/cases/{number}/letters/{kind}")
def letter(request: Request, account: Login, number: str, kind: str, format: str = "html",
           agency: str = "") -> Response:
    """A letter of the case (HTML to read or print, DOCX to edit and sign), made by the same use case as
    `ogi letter`; a draft response is marked as such by its template."""
    body = letters.render(db_of(request), number=number, kind=kind, fmt=format, actor_name=account.username,
                          today=today_of(request), agency=agency or None)
    if format == "docx":
        disposition = f"attachment; filename*=UTF-8''{quote(f'{number}-{kind}.docx')}"
        return Response(body, media_type=DOCX, headers={"Content-Disposition": disposition})
    # The letter's own inline styles may apply; nothing else may load or run in it.
    return Response(body, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": LETTER_CSP})


@router.post("/cases/{number}/documents")
async def file_document(request: Request, account: Login, number: str) -> Response:
    """案卷: upload a scan or a signed letter; kept by its SHA-256, filed by an event of the case."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    agency, version = str(form.get("agency", "")) or None, str(form.get("version", ""))
    upload = form.get("file")
    try:
        if not isinstance(upload, StarletteUpload) or not upload.filename:
            raise InputError("请选择要上传的文件")
        data = await upload.read(MAX_DOCUMENT_BYTES + 1)
        result = case_files.attach(db_of(request), files_of(request), actor_name=account.username, number=number,
                                   data=data, name=upload.filename, kind=str(form.get("kind", "")),
                                   today=today_of(request), agency=agency,
                                   expected_version=int(version) if version.isdigit() else None)
    except WorkflowError as exc:
        return _case_page(request, account, number, agency, error=str(exc), status=status_of(exc))
    flash(request, result.message)
    return RedirectResponse(f"/cases/{number}" + (f"?agency={agency}" if agency else ""), status_code=303)


@router.get("/cases/{number}/documents/{seq}")
def get_document(request: Request, account: Login, number: str, seq: int, agency: str = "") -> Response:
    found = case_files.document(db_of(request), files_of(request), actor_name=account.username, number=number,
                                seq=seq, today=today_of(request), agency=agency or None)
    disposition = f"attachment; filename*=UTF-8''{quote(found.name)}"
    return Response(found.data, media_type=found.media_type, headers={"Content-Disposition": disposition})


@router.post("/cases/{number}/act")
async def act(request: Request, account: Login, number: str) -> Response:
    form = dict((await request.form()).items())
    check_csrf(request, str(form.pop("csrf_token", "")))
    trigger, version = str(form.pop("trigger", "")), str(form.pop("version", ""))
    agency = str(form.pop("agency", "")) or None
    values = _filled(form)
    values.setdefault("on", today_of(request).isoformat())
    try:
        data = validate(ActionInput, **values)
        expected = int(version) if version.isdigit() else None
        result = cases.act(db_of(request), actor_name=account.username, number=number, trigger=trigger, data=data,
                           today=today_of(request), expected_version=expected, agency=agency)
    except WorkflowError as exc:
        return _case_page(request, account, number, agency, error=str(exc), status=status_of(exc),
                          values={"trigger": trigger, **values})
    flash(request, result.message)
    suffix = f"?agency={agency}" if agency else ""
    return RedirectResponse(f"/cases/{number}{suffix}", status_code=303)
