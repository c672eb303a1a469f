"""Letters (告知书, SPEC §10): every fact comes from the case; the response template from its outcome code."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from notifications import letters as templates
from states.case import compute_clocks
from states.clocks import ClockKind
from states.deadlines import Clock
from states.inputs import CHOICES
from states.lifecycle import Trigger
from states.outcomes import OUTCOMES, RECEIPT_RULES, ApplicantType, Channel, is_refusal
from workflow.actors import scope
from workflow.cases import CaseContext, legal_event, load_case
from workflow.db import Database
from workflow.errors import InputError, WorkflowError
from workflow.models import NAMED_IN_LETTERS, Agency, AgencyProfile
from workflow.queries import show_case

NEW_REMEDY_LAW = date(2024, 1, 1)  # 行政复议法（2023年修订）施行之日: refusals go to reconsideration first
PARTY_LABELS = {code: names[0] for code, names in CHOICES["party"].items()}
REPLY_LABELS = {code: names[0] for code, names in CHOICES["reply"].items()}
METHOD_LABELS = {code: names[0] for code, names in CHOICES["method"].items()}
_EVENT_OF: dict[str, str] = {
    "correction_notice": Trigger.REQUEST_CORRECTION,
    "reasons_notice": Trigger.REQUEST_REASONS,
    "extension_notice": Trigger.APPROVE_EXTENSION,
    "consultation_letter": Trigger.START_CONSULTATION,
    "fee_notice": Trigger.ISSUE_FEE_NOTICE,
}


def cn(day: date | str | None) -> str | None:
    """A legal date as written in official documents: 2025年4月1日."""
    if day is None:
        return None
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.year}年{d.month}月{d.day}日"


def _lines(text: object) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


@dataclass
class _Case:
    """A case as the letters read it: `show_case` facts, its agency, and its history for point-in-time clocks."""

    detail: dict[str, Any]
    agency: str
    code: str  # the agency's code: its own template directory is named by it
    ctx: CaseContext
    profile: dict[str, str | None]  # AgencyProfile: reconsideration_body, court, payment (None: generic wording)

    def last(self, trigger: str) -> dict[str, Any] | None:
        """The latest event of a trigger (a letter speaks of the latest notice of its kind)."""
        return _last(self.detail, trigger)

    def concluding(self) -> dict[str, Any] | None:
        """The event that concluded the case (None while it is open, e.g. after an undone lapse)."""
        if self.detail["state"] != "concluded":
            return None
        return next((e for e in reversed(self.detail["events"]) if e["to_state"] == "concluded"), None)

    def clocks_after(self, event: Mapping[str, Any]) -> dict[ClockKind, Clock]:
        """The clocks as they stood when the event was recorded (later events do not rewrite a letter)."""
        history = [legal_event(e) for e in self.ctx.events[: int(event["seq"])]]
        return compute_clocks(history, self.ctx.calendar, history[-1].on, self.ctx.policy)

    def response(self) -> tuple[str, dict[str, Any] | None, bool] | None:
        """The outcome a response letter states, the submission it was signed off from, and whether it is a draft."""
        return _response(self.detail)


def _last(detail: Mapping[str, Any], trigger: str) -> dict[str, Any] | None:
    """The latest event of a trigger in a `show_case` result."""
    return next((e for e in reversed(detail["events"]) if e["trigger"] == trigger), None)


def _response(detail: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None, bool] | None:
    """The outcome a response letter states, the submission it was signed off from, and whether it is a draft.

    Read from the events (the source of truth): the last `submit_response` of a case under review is a
    draft; a concluded case states its outcome, with the submission that `approve_response` signed off.
    """
    submitted = _last(detail, Trigger.SUBMIT_RESPONSE)
    if detail["state"] == "concluded" and detail["outcome"]:
        signed = submitted if _last(detail, Trigger.APPROVE_RESPONSE) else None
        return str(detail["outcome"]), signed, False
    if detail["state"] == "under_review" and submitted:
        return str(submitted["data"]["outcome"]), submitted, True
    return None


def _load(db: Database, number: str, actor_name: str | None, today: date, agency_code: str | None) -> _Case:
    detail = show_case(db, number=number, actor_name=actor_name, today=today, agency=agency_code)
    with db.unit_of_work() as session:
        agency_id = scope(session, actor_name, agency_code)[1]
        agency = session.get(Agency, agency_id)
        profile = session.get(AgencyProfile, agency_id)
        ctx = load_case(session, agency_id, number)
        named = {k: getattr(profile, k) if profile else None for k in NAMED_IN_LETTERS}
        return _Case(detail, agency.name if agency else "", agency.code if agency else "", ctx, named)


def available_kinds(detail: Mapping[str, Any]) -> list[str]:
    """The letter kinds that apply to a case now (its `show_case` result), in SPEC §10 order."""
    kinds = ["receipt"]
    kinds += [k for k, trigger in _EVENT_OF.items() if _last(detail, trigger)]
    if _response(detail):
        kinds.append("response")
    return sorted(kinds, key=list(templates.KINDS).index)


def letters_of(detail: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The letters a case can have now, as (kind, Chinese title), from its `show_case` result: what the case
    page offers to download (no second reading of the case)."""
    return [(kind, templates.KINDS[kind]) for kind in available_kinds(detail)]


def _refuse(case: _Case, kind: str) -> WorkflowError:
    number, label = case.detail["number"], templates.KINDS[kind]
    why = {
        "correction_notice": "尚未告知补正（request_correction）",
        "reasons_notice": "尚未要求说明理由（request_reasons）",
        "consultation_letter": "尚未征求意见（start_consultation）",
        "fee_notice": "尚未发出收费通知（issue_fee_notice）",
        "response": "尚无答复：答复须先提交送审（submit_response），或案件已办结并有办理结果",
    }.get(kind, "延期申请尚未经负责人同意（approve_extension）")
    if kind == "extension_notice" and case.last(Trigger.REQUEST_EXTENSION) and not case.last(Trigger.REJECT_EXTENSION):
        why = "延期申请正待负责人审批，同意后方可出具延期答复告知书"
    elif kind == "extension_notice" and case.last(Trigger.REJECT_EXTENSION):
        why = "延期申请已被负责人驳回，不能出具延期答复告知书"
    valid = "、".join(f"{k}（{templates.KINDS[k]}）" for k in available_kinds(case.detail))
    return WorkflowError(f"案件 {number} 不能出具「{label}」（{kind}）：{why}\n该案件目前可出具的文书：{valid}")


def _case_facts(case: _Case) -> dict[str, Any]:
    d = case.detail
    person = d["applicant_type"] == ApplicantType.NATURAL
    return {
        "number": d["number"], "applicant_name": d["applicant_name"],
        "applicant_type_label": d["applicant_type_label"], "contact": d["applicant_contact"],
        "you": "你" if person else "你单位", "is_person": person,
        "channel_label": d["channel_label"], "receipt_rule": RECEIPT_RULES[Channel(d["channel"])],
        "received_on": d["received_on"], "received_on_cn": cn(d["received_on"]), "request": d["request"],
    }


def _due(clocks: Mapping[ClockKind, Clock], kind: ClockKind) -> tuple[str | None, bool]:
    clock = clocks.get(kind)
    return (cn(clock.due_on), clock.provisional) if clock else (None, False)


def _served(event: Mapping[str, Any]) -> str | None:
    return cn(event["data"].get("served_on") or event["effective_on"])


def _kind_facts(case: _Case, kind: str, event: dict[str, Any]) -> dict[str, Any]:
    """The facts one kind of letter states, as they stood when its event was recorded."""
    data, clocks = event["data"], case.clocks_after(event)
    if kind == "receipt":
        due, provisional = _due(clocks, ClockKind.RESPONSE)
        window, _ = _due(clocks, ClockKind.CORRECTION_NOTICE)
        return {"receipt": {"response_due_cn": due, "correction_notice_due_cn": window, "provisional": provisional}}
    if kind == "correction_notice":
        due, provisional = _due(clocks, ClockKind.CORRECTION)
        return {"correction": {"lines": _lines(data.get("text")), "days": data.get("days"), "due_cn": due,
                               "served_on_cn": _served(event), "provisional": provisional}}
    if kind == "reasons_notice":
        due, provisional = _due(clocks, ClockKind.REASONS)
        return {"reasons": {"lines": _lines(data.get("text")), "days": data.get("days"), "due_cn": due,
                            "served_on_cn": _served(event), "provisional": provisional,
                            "pauses_response": bool(data.get("pauses_response"))}}
    if kind == "extension_notice":
        due, provisional = _due(clocks, ClockKind.RESPONSE)
        ask = case.last(Trigger.REQUEST_EXTENSION) or {"data": {}}
        return {"extension": {"reason": (ask["data"].get("text") or ask["data"].get("reason") or "").rstrip("。"),
                              "approved_on_cn": cn(event["effective_on"]), "old_due_cn": cn(data.get("old_due_on")),
                              "new_due_cn": due, "provisional": provisional}}
    if kind == "consultation_letter":
        party = str(data["party"])
        due, provisional = _due(clocks, ClockKind.CONSULTATION)
        return {"consultation": {"party": party, "party_label": PARTY_LABELS[party], "lines": _lines(data.get("text")),
                                 "addressee": data.get("party_name") or "__________（" + PARTY_LABELS[party] + "）",
                                 "due_cn": due,
                                 "served_on_cn": _served(event), "provisional": provisional}}
    due, provisional = _due(clocks, ClockKind.FEE_PAYMENT)
    quote = data["quote"]
    amount, standard = Decimal(str(data["amount"])), Decimal(str(quote["amount"]))
    return {"fee": {"method": quote["method"], "method_label": METHOD_LABELS[quote["method"]], "basis": quote["basis"],
                    "lines": quote["lines"], "standard_amount": str(standard), "amount": str(amount),
                    "adjusted": amount != standard, "reason": data.get("reason"), "due_cn": due,
                    "served_on_cn": _served(event), "provisional": provisional,
                    "pauses_response": bool(data.get("pauses_response"))}}


def _history(case: _Case) -> dict[str, Any]:
    """What happened before the response that its letter may recite (correction, fee notice, consultation)."""
    asked, got = case.last(Trigger.REQUEST_CORRECTION), case.last(Trigger.RECEIVE_CORRECTION)
    fee = case.last(Trigger.ISSUE_FEE_NOTICE)
    consulted, replied = case.last(Trigger.START_CONSULTATION), case.last(Trigger.END_CONSULTATION)
    correction_due = _due(case.clocks_after(asked), ClockKind.CORRECTION)[0] if asked else None
    fee_due = _due(case.clocks_after(fee), ClockKind.FEE_PAYMENT)[0] if fee else None
    consultation = None
    if consulted and replied and replied["seq"] > consulted["seq"]:
        reply = str(replied["data"].get("reply"))
        consultation = {"party": consulted["data"]["party"], "party_label": PARTY_LABELS[consulted["data"]["party"]],
                        "reply": reply, "reply_label": REPLY_LABELS.get(reply, reply),
                        "replied_on_cn": cn(replied["effective_on"]), "lines": _lines(replied["data"].get("text"))}
    return {"correction_requested_on_cn": cn(asked["effective_on"]) if asked else None,
            "correction_due_cn": correction_due,
            "correction_received_on_cn": cn(got["effective_on"]) if got else None,
            "fee_notice_on_cn": cn(fee["effective_on"]) if fee else None, "fee_due_cn": fee_due,
            "fee_amount": fee["data"].get("amount") if fee else None, "consultation": consultation}


def _response_facts(case: _Case, today: date) -> tuple[date, dict[str, Any]]:
    """The outcome, the reasons given, and the remedy clause that applies on the letter's date."""
    found = case.response()
    assert found is not None
    code, submitted, draft = found
    outcome = OUTCOMES[code]
    d = case.detail
    issued = today if draft else date.fromisoformat(d["concluded_on"])
    withdrawn = case.last(Trigger.WITHDRAW) if code == "6.3" else None
    text = (submitted or withdrawn or {"data": {}})["data"].get("text")
    refusal = is_refusal(code)
    return issued, {
        "outcome": {"code": code, "label": outcome.label, "group": outcome.group, "group_label": outcome.group_label},
        "response": {"lines": _lines(text), "submitted_on_cn": cn(submitted["effective_on"]) if submitted else None,
                     "withdrawn_on_cn": cn(withdrawn["effective_on"]) if withdrawn else None},
        "history": _history(case),
        "remedy": {"refusal": refusal, "partial": code == "2", "new_law": issued >= NEW_REMEDY_LAW,
                   "reconsideration_first": refusal and issued >= NEW_REMEDY_LAW,
                   "body": case.profile["reconsideration_body"] or "行政复议机关",
                   "court": case.profile["court"] or "人民法院"},
        "draft": draft,
    }


def letter(db: Database, *, number: str, kind: str, actor_name: str | None, today: date,
           agency: str | None = None) -> dict[str, Any]:
    """The context of one letter of a case: the template to use and every fact it states, read from the case."""
    if kind not in templates.KINDS:
        choices = "、".join(f"{k}（{v}）" for k, v in templates.KINDS.items())
        raise InputError(f"未知的文书类型 {kind!r}；可选：{choices}")
    case = _load(db, number, actor_name, today, agency)
    if kind not in available_kinds(case.detail):
        raise _refuse(case, kind)
    # A letter names the bodies and payment channel recorded with its event (a conclusion or the fee
    # notice), not today's settings; a draft, or an event recorded before they were kept, uses today's.
    named_by = case.last(Trigger.ISSUE_FEE_NOTICE) if kind == "fee_notice" else (
        case.concluding() if kind == "response" else None)
    if named_by is not None and "named" in named_by["data"]:
        case = replace(case, profile={**case.profile, **named_by["data"]["named"]})
    context: dict[str, Any] = {"agency": {"name": case.agency, "code": case.code, **case.profile},
                               "case": _case_facts(case)}
    draft = False
    if kind == "response":
        issued, facts = _response_facts(case, today)
        draft = facts.pop("draft")
        code = facts["outcome"]["code"]
        template, title = templates.template_name(kind, code), templates.TITLES[f"response/{facts['outcome']['group']}"]
    else:
        event = case.last(_EVENT_OF.get(kind, Trigger.REGISTER))
        assert event is not None
        issued, facts = date.fromisoformat(event["effective_on"]), _kind_facts(case, kind, event)
        template = templates.template_name(kind)
        title = templates.TITLES.get(kind) or templates.TITLES[f"{kind}/{facts['consultation']['party']}"]
    context.update(facts)
    context["letter"] = {"kind": kind, "template": template, "title": title, "date": issued.isoformat(),
                         "date_cn": cn(issued), "draft": draft}
    return context


def template_dir_from(option: Path | None) -> Path | None:
    """The template directory: the option given, else the OGI_TEMPLATES environment variable."""
    if option is not None:
        return option
    env = os.environ.get("OGI_TEMPLATES")
    return Path(env) if env else None


def template_dirs(option: Path | None, agency_code: str) -> list[Path]:
    """Where an agency's letters look for templates, first match wins: on a platform the template directory
    holds one subdirectory per agency named by its code (`DIR/<code>/`), then the platform's shared
    templates (`DIR/` itself); the built-in templates come after both (notifications/letters.py)."""
    root = template_dir_from(option)
    if root is None:
        return []
    own = root / agency_code
    return [own, root] if agency_code and own.is_dir() else [root]


def render(db: Database, *, number: str, kind: str, fmt: str = "html", actor_name: str | None, today: date,
           template_dir: Path | None = None, agency: str | None = None) -> bytes:
    """`ogi letter NUMBER KIND`: the letter as HTML (UTF-8) or DOCX bytes, agency templates first."""
    if fmt not in ("html", "docx"):
        raise InputError(f"未知的格式 {fmt!r}；可选：html、docx")
    context = letter(db, number=number, kind=kind, actor_name=actor_name, today=today, agency=agency)
    try:
        return templates.render(context["letter"]["template"], context, "docx" if fmt == "docx" else "html",
                                template_dirs=template_dirs(template_dir, context["agency"]["code"]))
    except templates.LetterError as exc:
        raise WorkflowError(f"不能生成案件 {number} 的「{templates.KINDS[kind]}」：{exc}") from exc
