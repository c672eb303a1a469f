"""The benchmark database: an agency, its users and many applications registered through the real use case."""

import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from states.outcomes import ApplicantType, Channel
from workflow import admin, cases
from workflow.db import Database
from workflow.inputs import ApplicationCreate

AGENCY = "基准市基准区人民政府办公室"
CLERK = "clerk1"
HEAD = "head1"
FIRST_RECEIPT = date(2025, 1, 2)
RECEIPT_DAYS = 58  # receipts spread over January and February 2025
REGISTERED_ON = date(2025, 3, 3)  # "today" at registration: on or after every receipt date

_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜"
_GIVEN = "伟芳娜敏静强磊洋艳勇军杰涛明超霞"
_SUBJECTS = (
    "某路段道路拓宽工程的规划许可及批复文件", "本区2024年度财政预算执行情况", "某地块征收补偿安置方案",
    "某小区周边建设项目环境影响评价批复", "某河道整治工程招投标及验收资料", "本区老旧小区改造计划及资金使用情况",
)


@dataclass(frozen=True)
class BenchDb:
    """A SQLite file holding `count` registered applications, numbered in `numbers`."""

    path: Path
    numbers: tuple[str, ...]


def url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def random_application(rng: random.Random, first_receipt: date = FIRST_RECEIPT,
                       receipt_days: int = RECEIPT_DAYS) -> ApplicationCreate:
    """A plausible application received on one of the `receipt_days` days from `first_receipt`."""
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(("", *_GIVEN))
    return ApplicationCreate(
        applicant_name=name,
        applicant_type=rng.choice(list(ApplicantType)),
        applicant_contact=f"1{rng.randint(3, 9)}{rng.randint(0, 999_999_999):09d}",
        channel=rng.choice(list(Channel)),
        received_on=first_receipt + timedelta(days=rng.randrange(receipt_days)),
        request=rng.choice(_SUBJECTS),
    )


def build(path: Path, count: int, *, progress: Callable[[int], None] | None = None, seed: int = 7) -> BenchDb:
    """Initialise a database at `path` and register `count` applications as clerk1 (users: admin, clerk1, head1)."""
    db = Database(url(path))
    try:
        admin.init(db, agency=AGENCY)
        admin.add_user(db, actor_name="admin", username=CLERK, role="clerk")
        admin.add_user(db, actor_name="admin", username=HEAD, role="head")
        rng = random.Random(seed)
        numbers = []
        for i in range(count):
            made = cases.register(db, actor_name=CLERK, data=random_application(rng), today=REGISTERED_ON)
            numbers.append(made.number)
            if progress is not None and (i + 1) % 1000 == 0:
                progress(i + 1)
    finally:
        db.dispose()
    return BenchDb(path, tuple(numbers))


def copy(source: BenchDb, target: Path) -> BenchDb:
    """A consistent copy of the database file (SQLite online backup, so the WAL is included)."""
    src, dst = sqlite3.connect(source.path), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return BenchDb(target, source.numbers)
