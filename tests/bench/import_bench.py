"""(f) Ledger import: `workflow.ledger.import_applications` on an N-row CSV into a fresh SQLite database.

The ledger is realistic: several years of receipts, every applicant type and channel, codes and Chinese labels
mixed, about 90% concluded (across all 22 outcomes) and 10% still open (whose clocks are computed and cached).
Target: at least 10,000 rows per second for 100,000 rows.
"""

import csv
import random
import sqlite3
import time
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

from states.outcomes import APPLICANT_LABELS, CHANNEL_LABELS, OUTCOMES
from workflow import admin
from workflow.db import Database
from workflow.ledger import import_applications

TODAY = date(2025, 12, 31)
FIRST_RECEIPT = date(2021, 1, 4)
TARGET_ROWS_PER_SECOND = 10_000
_HEADER = ["编号", "申请人", "申请人类型", "申请方式", "收到日期", "申请内容", "办理状态", "办理结果", "办结日期",
           "联系方式"]
_SUBJECTS = ("某路段道路拓宽工程的规划许可及批复文件", "本区2024年度财政预算执行情况", "某地块征收补偿安置方案",
             "某小区周边建设项目环境影响评价批复", "某河道整治工程招投标及验收资料")


def write_ledger(path: Path, rows: int, seed: int = 7) -> Path:
    """An N-row ledger CSV (UTF-8 with BOM, Chinese headers, as Excel saves it)."""
    rng = random.Random(seed)
    types = [*APPLICANT_LABELS.items()]
    channels = [*CHANNEL_LABELS.items()]
    outcomes = [*OUTCOMES.values()]
    span = (TODAY - FIRST_RECEIPT).days
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(_HEADER)
        for i in range(rows):
            received = FIRST_RECEIPT + timedelta(days=rng.randrange(span))
            kind, kind_label = rng.choice(types)
            channel, channel_label = rng.choice(channels)
            label = rng.random() < 0.5  # half the rows write labels, half codes
            open_ = received > TODAY - timedelta(days=40) or rng.random() < 0.1
            if open_:
                state, outcome, concluded = ("办理中" if label else "received"), "", ""
            else:
                o = rng.choice(outcomes)
                state = "已办结" if label else "concluded"
                outcome = f"{o.group_label}/{o.label}" if label and "." in o.code else o.code
                concluded = min(received + timedelta(days=rng.randrange(1, 40)), TODAY).isoformat()
            writer.writerow([f"{received.year}-{i + 1:04d}", f"申请人{i}", kind_label if label else kind.value,
                             channel_label if label else channel.value, received.isoformat(),
                             rng.choice(_SUBJECTS), state, outcome, concluded, f"1380000{i % 10000:04d}"])
    return path


def run(workdir: Path, rows: int) -> dict[str, float]:
    """Import an N-row ledger into a fresh database (an agency and a clerk); rows, seconds, rows_per_second."""
    ledger = write_ledger(workdir / "ledger.csv", rows)
    path = workdir / "import.db"
    db = Database(f"sqlite:///{path}")
    try:
        admin.init(db, agency="基准市基准区人民政府办公室")
        admin.add_user(db, actor_name="admin", username="clerk1", role="clerk")
        started = time.perf_counter()
        result = import_applications(db, actor_name="clerk1", path=ledger, today=TODAY)
        seconds = time.perf_counter() - started
    finally:
        db.dispose()
    with closing(sqlite3.connect(path)) as conn:
        stored = conn.execute("SELECT count(*) FROM application").fetchone()[0]
    if stored != rows or result.created != rows:
        raise AssertionError(f"imported {result.created}, stored {stored}, expected {rows}")
    return {"rows": float(rows), "seconds": seconds, "rows_per_second": rows / seconds}


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ogi-import-bench-") as tmp:
        count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
        figures = run(Path(tmp), count)
        print(f"{figures['rows']:,.0f} rows in {figures['seconds']:.2f} s: {figures['rows_per_second']:,.0f} rows/s "
              f"(target ≥ {TARGET_ROWS_PER_SECOND:,})")
