"""`ogi demo`: a realistic year of applications, driven through the real use cases, then the clerk's first view."""

import random
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from notifications.policy import DEFAULT_POLICY
from states.lifecycle import State, Trigger
from workflow import accounts, admin, annual, appeals, cases, queries
from workflow.alerts.due import raise_alerts
from workflow.calendar import WorkingCalendar
from workflow.calendar_store import load_calendar
from workflow.db import Database
from workflow.errors import WorkflowError
from workflow.inputs import ActionInput, ApplicationCreate
from workflow.models import Application, Approval
from workflow.progress import Progress, silent

T = Trigger  # short, for the tables of steps below

AGENCY = "示例市示例区人民政府办公室"
CLERKS = ("zhang", "li")
HEAD = "wang"
DEMO_PASSWORD = "ogi-demo-2026"  # every demo user's web login (printed by `ogi demo`; a demo, never production)
_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "涛", "明", "超", "霞")
_ORGS = {
    "commercial": ("示例建设工程有限公司", "某某商贸有限公司", "某科技股份有限公司"),
    "research": ("某大学公共管理学院", "某社会科学研究所"),
    "public_interest": ("某环保公益基金会", "某消费者权益促进会"),
    "legal_service": ("某某律师事务所", "某法律援助中心"),
    "other": ("某村民委员会", "某业主委员会"),
}
_SUBJECTS = (
    "某路段道路拓宽工程的规划许可及批复文件", "本区2025年度财政预算执行情况", "某地块征收补偿安置方案",
    "某小区周边建设项目环境影响评价批复", "某河道整治工程招投标及验收资料", "本区老旧小区改造计划及资金使用情况",
    "某企业行政处罚决定书", "本区义务教育学校划片范围依据", "某农贸市场搬迁的会议纪要", "某公交线路调整的论证材料",
)


_APPEALABLE = ("2", "3.4", "3.5", "3.6", "3.7", "4.1", "5.2")  # refusals applicants contest most

Step = tuple[int, str, str, dict[str, Any]]  # (working days after the previous step, trigger, actor, fields)


@dataclass
class Plan:
    """One demo application: who applied, when, and the steps it goes through (gap in working days)."""

    received_on: date
    applicant: str
    applicant_type: str
    channel: str
    request: str
    steps: list[Step] = field(default_factory=list)


def _applicant(rng: random.Random) -> tuple[str, str]:
    kind = rng.choices(["natural", *_ORGS], weights=(70, 12, 5, 4, 5, 4))[0]
    if kind == "natural":
        return rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(("", *_GIVEN)), kind
    return rng.choice(_ORGS[kind]), kind


def _scenario(rng: random.Random, clerk: str) -> list[Step]:
    """A path through the lifecycle, chosen with realistic frequencies."""

    def respond(outcome: str, gap: int = 1, **late: str) -> list[Step]:
        return [(gap, T.SUBMIT_RESPONSE, clerk, {"outcome": outcome, "text": "答复意见稿", **late}),
                (rng.randint(0, 2), T.APPROVE_RESPONSE, HEAD, {**late})]

    common = rng.choices(["1", "2", "3.1", "3.4", "3.5", "3.6", "3.7", "4.1", "4.2", "5.1", "5.2", "5.3", "5.5",
                          "6.3"], weights=(38, 14, 1, 4, 3, 6, 2, 18, 4, 3, 3, 2, 1, 1))[0]
    path = rng.choices(["plain", "correction", "correction_lapse", "consult", "fee", "fee_lapse", "extension",
                        "reasons", "withdrawn", "slow", "rejected", "returned"],
                       weights=(42, 9, 3, 9, 4, 2, 7, 2, 3, 4, 2, 3))[0]
    if path == "plain":
        return respond(common, rng.randint(3, 16))
    if path == "correction":
        unclear = rng.random() < 0.3
        return [(rng.randint(1, 6), T.REQUEST_CORRECTION, clerk, {"text": "请明确所需信息的名称、文号或其他特征描述",
                                                                  "days": 10}),
                (rng.randint(2, 9), T.RECEIVE_CORRECTION, clerk, {}),
                *respond("4.3" if unclear else common, rng.randint(4, 14))]
    if path == "correction_lapse":
        return [(rng.randint(1, 6), T.REQUEST_CORRECTION, clerk, {"text": "请补充申请人身份证明", "days": 10}),
                (11, T.LAPSE_CORRECTION, "system", {})]
    if path == "consult":
        party = rng.choice(["third_party", "other_agency"])
        reply = rng.choice(["consent", "objection", "none"])
        outcome = {"consent": "1", "objection": "3.4", "none": "2"}[reply] if party == "third_party" else common
        grounds = {"text": "认为涉及其商业秘密"} if reply == "objection" else {}
        return [(rng.randint(2, 8), T.START_CONSULTATION, clerk, {"party": party}),
                (16 if reply == "none" else rng.randint(5, 15), T.END_CONSULTATION, clerk, {"reply": reply, **grounds}),
                *respond(outcome, rng.randint(2, 8))]
    if path == "fee":
        return [(rng.randint(3, 8), T.ISSUE_FEE_NOTICE, clerk, {"method": "per_page", "pages": 130}),
                (rng.randint(3, 15), T.RECEIVE_PAYMENT, clerk, {}), *respond("1", rng.randint(2, 6))]
    if path == "fee_lapse":
        return [(rng.randint(3, 8), T.ISSUE_FEE_NOTICE, clerk, {"method": "per_page", "pages": 40}),
                (21, T.LAPSE_FEE, "system", {})]
    if path == "extension":
        return [(rng.randint(12, 17), T.REQUEST_EXTENSION, clerk, {"text": "涉及多个科室，需协调核查"}),
                (1, T.APPROVE_EXTENSION, HEAD, {}), *respond(common, rng.randint(5, 18))]
    if path == "reasons":
        return [(rng.randint(2, 6), T.REQUEST_REASONS, clerk, {"days": 10}),
                (rng.randint(3, 9), T.RECEIVE_REASONS, clerk, {}), *respond("5.4", rng.randint(1, 5))]
    if path == "withdrawn":
        return [(rng.randint(1, 10), T.WITHDRAW, clerk, {"text": "申请人来电撤回"})]
    if path == "rejected":
        return [(rng.randint(8, 12), T.REQUEST_EXTENSION, clerk, {"text": "材料较多"}),
                (1, T.REJECT_EXTENSION, HEAD, {"text": "可在法定期限内办结"}), *respond(common, rng.randint(2, 5))]
    if path == "returned":
        return [(rng.randint(3, 10), T.SUBMIT_RESPONSE, clerk, {"outcome": common, "text": "答复意见稿"}),
                (1, T.RETURN_RESPONSE, HEAD, {"text": "请补充法律依据和救济途径"}), *respond(common, rng.randint(1, 3))]
    # "slow": answered late; the reason stays on record with the breach
    return respond(common, rng.randint(21, 26), reason="涉及多个部门，答复超期")


def plans(today: date, cal: WorkingCalendar, seed: int = 2024) -> Iterator[Plan]:
    """About ten applications a month from 1 January of last year up to `today` (a whole year to report on)."""
    rng = random.Random(seed)
    day = date(today.year - 1, 1, 1)
    while day <= today:
        if cal.is_workday(day) and rng.random() < 0.45:
            name, kind = _applicant(rng)
            channel = rng.choices(["online", "in_person", "post_signed", "post_ordinary", "email", "fax"],
                                  weights=(55, 15, 15, 5, 8, 2))[0]
            yield Plan(day, name, kind, channel, f"申请公开{rng.choice(_SUBJECTS)}",
                       _scenario(rng, rng.choice(CLERKS)))
        day += timedelta(days=1)


def _current(today: date, cal: WorkingCalendar) -> list[Plan]:
    """Cases a clerk must act on today: overdue, due soon, waiting for the head, paused."""
    clerk = CLERKS[0]
    extension = {"text": "需调取档案馆存档资料"}
    specs: list[tuple[int, str, str, list[Step]]] = [
        (26, "陈立新", "natural", []),  # forgotten: overdue by six working days
        (22, "某某律师事务所", "legal_service", [(3, T.START_CONSULTATION, clerk, {"party": "other_agency"}),
                                                (4, T.END_CONSULTATION, clerk, {"reply": "consent"})]),
        (19, "孙晓梅", "natural", []),  # due tomorrow
        (17, "示例建设工程有限公司", "commercial", [(16, T.REQUEST_EXTENSION, clerk, extension)]),
        (12, "某大学公共管理学院", "research", [(10, T.SUBMIT_RESPONSE, clerk, {"outcome": "2", "text": "部分公开"})]),
        (9, "某环保公益基金会", "public_interest", [(2, T.START_CONSULTATION, clerk, {"party": "third_party"})]),
        (8, "周建国", "natural", [(3, T.ISSUE_FEE_NOTICE, clerk, {"method": "per_page", "pages": 110})]),
        (6, "吴海燕", "natural", []),
        (5, "郑晓东", "natural", [(2, T.REQUEST_CORRECTION, clerk, {"text": "请明确信息名称或文号", "days": 10})]),
        (4, "某某商贸有限公司", "commercial", [(1, T.REQUEST_REASONS, clerk, {"days": 10})]),
    ]
    return [Plan(_working_days_before(cal, today, n), name, kind, "online",
                 f"申请公开{_SUBJECTS[i % len(_SUBJECTS)]}", steps) for i, (n, name, kind, steps) in enumerate(specs)]


def _working_days_before(cal: WorkingCalendar, day: date, n: int) -> date:
    d = day
    while cal.count_working_days(d, day) < n or not cal.is_workday(d):
        d -= timedelta(days=1)
    return d


def _refuse_to_overwrite(path: Path) -> None:
    """Only an earlier demo database (or nothing) may be replaced."""
    if not path.exists():
        return
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM agency")}
    except sqlite3.Error:
        names = set()
    if names != {AGENCY}:
        raise WorkflowError(f"{path} 不是演示数据库，不会覆盖它；请用 --db-file 指定另一个文件")


@dataclass(frozen=True)
class DemoView:
    """What the demo built, and what its clerk looks at first (the CLI prints it)."""

    path: Path
    today: date
    applications: int
    actions: int
    open_by_state: dict[str, int]  # state label → open cases
    concluded: int
    overdue: int
    due_soon: int  # within 5 working days, not overdue
    pending_approvals: int
    next_year_known: bool  # whether next year's holidays are in the calendar
    shown: list[dict[str, Any]]  # the case list rows to show first: overdue and due soon, else some open ones
    example: str | None  # a case number worth `ogi show --explain`
    agency: str = AGENCY
    clerk: str = CLERKS[0]
    head: str = HEAD


def build_demo(path: Path, *, today: date, progress: Progress = silent) -> DemoView:
    """Recreate the demo database at `path`, replay a year of cases up to `today`; returns the clerk's first view."""
    _refuse_to_overwrite(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    admin.init(db, agency=AGENCY)
    for name in CLERKS:
        admin.add_user(db, actor_name="admin", username=name, role="clerk")
    admin.add_user(db, actor_name="admin", username=HEAD, role="head")
    for name in ("admin", *CLERKS, HEAD):
        accounts.set_password(db, actor_name="admin", username=name, password=DEMO_PASSWORD)
    with db.unit_of_work() as session:
        cal = load_calendar(session)
    total = actions = 0
    recent = _current(today, cal)
    first_recent = min(p.received_on for p in recent)
    history = [p for p in plans(today, cal) if p.received_on < first_recent]
    everything = sorted(history + recent, key=lambda p: p.received_on)
    for done, plan in enumerate(everything):
        progress(done, len(everything))
        clerk = next((a for _, _, a, _ in plan.steps if a in CLERKS), CLERKS[0])
        data = ApplicationCreate(applicant_name=plan.applicant, applicant_type=plan.applicant_type,
                                 channel=plan.channel, received_on=plan.received_on, request=plan.request)
        number = cases.register(db, actor_name=clerk, data=data, today=plan.received_on).number
        total += 1
        on = plan.received_on
        for gap, trigger, actor, extra in plan.steps:
            on = cal.add_working_days(on, gap) if gap else on
            if on > today:
                break
            cases.act(db, actor_name=actor, number=number, trigger=trigger,
                      data=ActionInput(on=on, **extra), today=on)
            actions += 1
    appealed = _appeals(db, today, random.Random(7))
    last_year = today.year - 1
    annual.set_inputs(db, actor_name=HEAD, year=last_year, text=_REPORT_INPUT.format(year=last_year))
    annual.lock_year(db, actor_name=HEAD, year=last_year, today=today)
    raise_alerts(db, today=today, policy=DEFAULT_POLICY)  # today's reminders and overdue alerts: the 提醒 inbox
    return _first_view(db, today, total, actions + appealed, path)


# The figures and words of last year's report that only the agency knows (docs/examples/report-input.toml).
_REPORT_INPUT = """
[section2.article20_1.rules]
issued = 0
repealed = 0
in_force = 3
[section2.article20_1.normative_documents]
issued = 6
repealed = 2
in_force = 41
[section2.article20_5.licensing]
decisions = 860
[section2.article20_6.penalty]
decisions = 215
[section2.article20_6.enforcement]
decisions = 12
[section2.article20_8.charges]
amount = "3.60"
[narrative]
overview = "{year}年，本机关认真贯彻《中华人民共和国政府信息公开条例》，依申请公开工作依法规范办理。"
problems = "个别答复说理不够充分。下一步将加强业务培训，规范答复文书。"
other = "本年度无其他需要报告的事项。"
"""


# Realistic decisions of reviewing bodies and courts, most upholding the agency (SPEC §11: 5–15 % appealed).
_RECONSIDERATION = ("维持", "维持", "维持", "驳回复议请求", "撤销", "确认违法", "责令履行", "终止")
_COURT = ("判决驳回诉讼请求", "判决驳回诉讼请求", "裁定驳回起诉", "准予撤诉", "判决撤销", "判决重新答复")


def _appeals(db: Database, today: date, rng: random.Random) -> int:
    """Some refused or partly refused applicants appeal: reconsiderations and lawsuits, decided or still pending."""
    with db.unit_of_work() as session:
        refused = session.exec(select(col(Application.number), col(Application.concluded_on))
                               .where(col(Application.outcome).in_(_APPEALABLE))
                               .order_by(col(Application.id))).all()
    actions = 0
    for number, concluded_on in refused:
        if concluded_on is None or rng.random() > 0.3:
            continue
        kind = rng.choices(["reconsideration", "litigation"], weights=(3, 1))[0]
        route = "direct" if kind == "litigation" else None
        filed = concluded_on + timedelta(days=rng.randint(15, 55))
        if filed > today:
            continue
        appeal = appeals.file_appeal(db, actor_name=HEAD, number=number, kind=kind, route=route, received_on=filed,
                                     body="示例市人民政府" if kind == "reconsideration" else "示例区人民法院",
                                     today=filed)
        steps = [(filed + timedelta(days=rng.randint(4, 9)), "submit_reply", None),
                 (filed + timedelta(days=rng.randint(40, 120)), "decide",
                  rng.choice(_RECONSIDERATION if kind == "reconsideration" else _COURT))]
        actions += 1
        for on, trigger, decision in steps:
            if on > today:
                break
            appeals.act_appeal(db, actor_name=HEAD, appeal_id=appeal, trigger=trigger, on=on, decision=decision,
                               today=on)
            actions += 1
    return actions


def _first_view(db: Database, today: date, total: int, actions: int, path: Path) -> DemoView:
    rows = queries.list_cases(db, actor_name=CLERKS[0], today=today)
    open_rows = [r for r in rows if r["state"] != State.CONCLUDED]
    overdue = [r for r in open_rows if r["overdue"]]
    soon = [r for r in open_rows if not r["overdue"] and r["working_days_left"] is not None
            and r["working_days_left"] <= 5]
    with db.unit_of_work() as session:
        pending = session.exec(select(Approval).where(Approval.status == "pending")).all()
        cal = load_calendar(session)
    by_state: dict[str, int] = {}
    for r in open_rows:
        by_state[r["state_label"]] = by_state.get(r["state_label"], 0) + 1
    return DemoView(path=path, today=today, applications=total, actions=actions, open_by_state=by_state,
                    concluded=len(rows) - len(open_rows), overdue=len(overdue), due_soon=len(soon),
                    pending_approvals=len(pending), next_year_known=cal.known(today.year + 1),
                    shown=overdue + soon or open_rows[:10],
                    example=(overdue or soon or open_rows or rows)[0]["number"] if rows else None)
