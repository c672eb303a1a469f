"""The calendar as the database holds it: load it, override a day, import a whole year's notice."""

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from notifications.toml_errors import toml_problem
from workflow.calendar import CalendarData, Override, WorkingCalendar, calendar_for
from workflow.errors import CalendarError, InputError
from workflow.models import CalendarDay, CalendarYear, utcnow
from workflow.textfiles import read_text

_cache: dict[str, tuple[tuple[Any, ...], WorkingCalendar]] = {}


def load_calendar(session: Session) -> WorkingCalendar:
    """The working calendar: the library's data under the agency's overrides and imported years.

    One cheap query tells whether the stored calendar changed since this process last read it
    (every change inserts or re-stamps a row); only then are the rows read again.
    """
    revision = tuple(session.exec(select(
        select(func.count()).select_from(CalendarDay).scalar_subquery(),
        select(func.max(CalendarDay.entered_at)).scalar_subquery(),
        select(func.count()).select_from(CalendarYear).scalar_subquery(),
        select(func.max(CalendarYear.entered_at)).scalar_subquery(),
    )).one())
    key = str(session.get_bind().engine.url)
    cached = _cache.get(key)
    if cached is not None and cached[0] == revision:
        return cached[1]
    days = session.exec(select(CalendarDay).order_by(col(CalendarDay.day))).all()
    years = session.exec(select(CalendarYear).order_by(col(CalendarYear.year))).all()
    calendar = calendar_for(CalendarData(
        tuple(Override(d.day, d.working, d.source) for d in days),
        tuple((y.year, y.source) for y in years),
    ))
    _cache[key] = (revision, calendar)
    return calendar


def set_day(session: Session, *, day: date, working: bool, source: str, by: str) -> None:
    """Record one day's ruling (e.g. a correction published after the notice)."""
    if not source.strip():
        raise CalendarError("必须用 --source 注明依据（如国务院办公厅通知文号）")
    if not 2000 <= day.year <= 2100:
        raise CalendarError(f"日期 {day} 超出日历范围（2000 至 2100 年）")
    row = session.get(CalendarDay, day)
    if row is None:
        session.add(CalendarDay(day=day, working=working, source=source, origin="manual", entered_by=by))
    else:
        row.working, row.source, row.origin, row.entered_by = working, source, "manual", by
        row.entered_at = utcnow()


@dataclass(frozen=True)
class YearNotice:
    """A year's holiday notice: its rest days and its 调休 working weekends."""

    year: int
    source: str
    rest_days: tuple[date, ...]
    working_days: tuple[date, ...]
    irregular: bool = False


def statutory_days(year: int) -> int:
    """全国年节及纪念日放假办法: 11 statutory days until 2024, 13 from 2025 (国务院令第795号)."""
    return 13 if year >= 2025 else 11


def _expand(items: Iterable[Any], field: str) -> list[date]:
    out: list[date] = []
    for item in items:
        text = str(item).strip()
        try:
            if ".." in text:
                first, last = (date.fromisoformat(p.strip()) for p in text.split("..", 1))
                if last < first:
                    raise CalendarError(f"{field} 中的区间 {text} 起止颠倒")
                out.extend(first + timedelta(days=i) for i in range((last - first).days + 1))
            else:
                out.append(date.fromisoformat(text))
        except ValueError as exc:
            raise CalendarError(
                f"{field} 中的 {text!r} 不是有效日期（应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD）") from exc
    return out


def parse_notice(path: Path) -> YearNotice:
    """Read and validate a year's TOML notice; the year must be complete and consistent."""
    try:
        raw = tomllib.loads(read_text(path))
    except InputError as exc:
        raise CalendarError(str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError(f"{path} {toml_problem(exc)}") from exc
    problems = [f"缺少字段 {k}" for k in ("year", "source", "rest_days", "working_days") if k not in raw]
    if problems:
        raise CalendarError(f"{path}：" + "；".join(problems))
    year, source = raw["year"], str(raw["source"]).strip()
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise CalendarError(f"year 应为 2000 至 2100 之间的整数，而不是 {year!r}")
    if not source:
        raise CalendarError("source 不能为空：请注明国务院办公厅通知的文号")
    for key in ("rest_days", "working_days"):
        if not isinstance(raw[key], list):
            raise CalendarError(f"{key} 应为日期列表，如 [\"{year}-01-01\", \"{year}-02-16..{year}-02-22\"]")
    rest = _expand(raw["rest_days"], "rest_days")
    work = _expand(raw["working_days"], "working_days")
    notice = YearNotice(year, source, tuple(sorted(set(rest))), tuple(sorted(set(work))),
                        bool(raw.get("irregular", False)))
    _validate(notice, rest, work)
    return notice


def _validate(n: YearNotice, rest: list[date], work: list[date]) -> None:
    problems: list[str] = []
    for d in (*rest, *work):
        if d.year != n.year:
            problems.append(f"{d} 不属于 {n.year} 年")
    for d in sorted({d for d in rest if rest.count(d) > 1} | {d for d in work if work.count(d) > 1}):
        problems.append(f"{d} 重复列出")
    for d in sorted(set(rest) & set(work)):
        problems.append(f"{d} 同时列为休息日和上班日")
    for d in n.working_days:
        if d.weekday() < 5:
            problems.append(f"{d} 是工作日（周一至周五），不需列为调休上班日")
    weekday_rest = sum(1 for d in n.rest_days if d.weekday() < 5)
    net = weekday_rest - len(n.working_days)
    if not n.irregular and not problems and net != statutory_days(n.year):
        problems.append(
            f"不完整或不一致：工作日放假 {weekday_rest} 天、调休上班 {len(n.working_days)} 天，"
            f"净放假 {net} 天，与法定节假日 {statutory_days(n.year)} 天不符"
            "（如国务院确有特别安排，在文件中写 irregular = true）")
    if problems:
        raise CalendarError(f"{n.year} 年日历数据有误：\n" + "\n".join(f"- {p}" for p in problems))


def import_year(session: Session, notice: YearNotice, *, by: str) -> None:
    """Replace the year's data with the notice: rest days and working weekends as overrides."""
    start, end = date(notice.year, 1, 1), date(notice.year, 12, 31)
    for row in session.exec(select(CalendarDay).where(CalendarDay.day >= start, CalendarDay.day <= end)).all():
        session.delete(row)
    session.flush()
    for d in notice.rest_days:
        session.add(CalendarDay(day=d, working=False, source=notice.source, origin="import", entered_by=by))
    for d in notice.working_days:
        session.add(CalendarDay(day=d, working=True, source=notice.source, origin="import", entered_by=by))
    year = session.get(CalendarYear, notice.year)
    if year is None:
        session.add(CalendarYear(year=notice.year, source=notice.source, entered_by=by))
    else:
        year.source, year.entered_by, year.entered_at = notice.source, by, utcnow()
