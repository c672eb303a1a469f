"""Fee quotes from the case data: 按件 counts the applicant's applications in the month (SPEC §9)."""

from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from states.fees import FeeQuote, quote_data, quote_per_item, quote_per_page
from workflow.actors import scope
from workflow.db import Database
from workflow.errors import InputError
from workflow.models import Application


def _month(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    if first.month == 12:
        return first, first.replace(year=first.year + 1, month=1)
    return first, first.replace(month=first.month + 1)


def _same_applicant(agency_id: int, name: str, contact: str | None) -> list[Any]:
    """An applicant is identified by name plus contact (ID or phone), as recorded at registration."""
    same_contact = (col(Application.applicant_contact).is_(None) if contact is None
                    else col(Application.applicant_contact) == contact)
    return [Application.agency_id == agency_id, Application.applicant_name == name, same_contact]


def nth_in_month(session: Session, app: Application) -> int:
    """Which of the applicant's applications this is in its calendar month of receipt (1-based)."""
    first, _ = _month(app.received_on)
    earlier = (col(Application.received_on) < app.received_on) | (
        (col(Application.received_on) == app.received_on) & (col(Application.id) <= app.id))
    return int(session.exec(select(func.count()).select_from(Application).where(
        *_same_applicant(app.agency_id, app.applicant_name, app.applicant_contact),
        col(Application.received_on) >= first, earlier)).one())


def quote_for(session: Session, app: Application, method: str, pages: int | None) -> FeeQuote:
    """The fee the 办法 sets for this application by the chosen method."""
    if method == "per_page":
        if pages is None:
            raise InputError("按量计收须用 --pages 给出页数")
        return quote_per_page(pages)
    if pages is not None:
        raise InputError("按件计收不看页数：请去掉 --pages，或改用 --method per_page（按量计收）")
    return quote_per_item(nth_in_month(session, app))


def month_quote(db: Database, *, actor_name: str | None, applicant: str, contact: str | None,
                month: str, agency: str | None = None) -> dict[str, Any]:
    """`ogi fee quote --applicant … --month`: the applicant's applications that month and what each costs 按件."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InputError(f"--month 的值 {month!r} 无效（应为 YYYY-MM）") from None
    first, following = _month(first)
    with db.unit_of_work() as session:
        agency_id = scope(session, actor_name, agency)[1]
        applicant = applicant.strip()
        if contact is None:  # the name alone may stand for several applicants: the contact tells them apart
            contacts = sorted(set(session.exec(select(Application.applicant_contact).where(
                Application.agency_id == agency_id, Application.applicant_name == applicant,
                col(Application.received_on) >= first, col(Application.received_on) < following)).all()),
                key=lambda c: c or "")
            if len(contacts) > 1:
                listed = "、".join(c or "（未登记联系方式）" for c in contacts)
                raise InputError(f"{month} 有 {len(contacts)} 位名为「{applicant}」的申请人（联系方式：{listed}），"
                                 "请用 --contact 指定是哪一位")
            contact = contacts[0] if contacts else None
        rows = session.exec(select(Application).where(
            *_same_applicant(agency_id, applicant, contact),
            col(Application.received_on) >= first, col(Application.received_on) < following,
        ).order_by(col(Application.received_on), col(Application.id))).all()
        numbers = [(r.number, r.received_on.isoformat()) for r in rows]
    return {"applicant": applicant, "contact": contact, "month": month, "count": len(numbers),
            "applications": [{"number": n, "received_on": d, **quote_data(quote_per_item(i))}
                             for i, (n, d) in enumerate(numbers, start=1)],
            "next": quote_data(quote_per_item(len(numbers) + 1))}
