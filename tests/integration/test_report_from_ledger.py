"""A ledger imported through the CLI yields, cell by cell, the annual report a careful clerk would count."""

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from tests.integration.conftest import World
from workflow.cli import app

APPLICATIONS = [
    # number, applicant, type, channel, received, state, outcome, concluded — and what 2025 makes of it
    ("2024-0001", "张三", "自然人", "online", "2024-11-05", "concluded", "1", "2024-11-20"),  # 2024 only
    ("2024-0002", "某科技有限公司", "商业企业", "in_person", "2024-12-20", "已办结", "3.1", "2025-01-10"),  # in, 3.1
    ("2024-0003", "某大学", "科研机构", "online", "2024-12-28", "received", "", ""),  # carried in and out
    ("2025-0001", "李四", "natural", "email", "2025-03-01", "concluded", "4.1", "2025-03-20"),  # new, 4.1
    ("2025-0002", "某基金会", "public_interest", "online", "2025-06-01", "concluded", "6.2", "2025-07-15"),  # new, 6.2
    ("2025-0003", "某律师事务所", "法律服务机构", "post_signed", "2025-12-15", "concluded", "2", "2026-01-05"),  # new
    ("2025-0004", "某村委会", "other", "online", "2025-12-30", "办理中", "", ""),  # new, carried out
    ("2025-0005", "王五", "natural", "online", "2025-08-01", "concluded", "（五）不予处理/2.重复申请", "2025-08-10"),
]
APPEALS = [
    ("2025-0001", "行政复议", "", "2025-04-10", "维持", "2025-06-01"),  # upheld
    ("2024-0002", "litigation", "direct", "2025-02-01", "判决撤销", "2026-02-01"),  # decided after 31 Dec: pending
    ("2025-0005", "行政诉讼", "复议后起诉", "2025-09-01", "准予撤诉", "2025-10-01"),  # other
    ("2024-0001", "reconsideration", "", "2024-12-20", "撤销", "2025-02-01"),  # counted in 2024, not 2025
]


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _row(natural: int = 0, commercial: int = 0, research: int = 0, public_interest: int = 0,
         legal_service: int = 0, other: int = 0) -> dict[str, int]:
    cells = {"natural": natural, "commercial": commercial, "research": research,
             "public_interest": public_interest, "legal_service": legal_service, "other": other}
    return {**cells, "total": sum(cells.values())}


def test_an_imported_ledger_gives_every_cell_of_sections_3_and_4(world: World, tmp_path: Path) -> None:
    apps = _write(tmp_path / "台账.csv", ["number", "applicant_name", "applicant_type", "channel", "received_on",
                                        "request", "state", "outcome", "concluded_on"],
                  [(n, a, t, c, r, "某项政府信息", s, o, d) for n, a, t, c, r, s, o, d in APPLICATIONS])
    appeals = _write(tmp_path / "复议诉讼.csv", ["application_number", "kind", "route", "received_on", "decision",
                                             "decided_on"], APPEALS)
    base = ["--db", world.url, "--as", "clerk", "--today", "2026-03-01"]
    runner = CliRunner()
    for command in (["import", str(apps)], ["import-appeals", str(appeals)]):
        result = runner.invoke(app, [*base, *command])
        assert result.exit_code == 0, result.stderr
    exported = runner.invoke(app, [*base, "report", "2025"])
    assert exported.exit_code == 0, exported.stderr
    report = json.loads(exported.stdout)

    expected3 = {key: _row() for key in report["section3"]}
    expected3["new"] = _row(natural=2, public_interest=1, legal_service=1, other=1)
    expected3["carried_in"] = _row(commercial=1, research=1)
    expected3["3.1"] = _row(commercial=1)
    expected3["4.1"] = _row(natural=1)
    expected3["5.2"] = _row(natural=1)
    expected3["6.2"] = _row(public_interest=1)
    expected3["total"] = _row(natural=2, commercial=1, public_interest=1)
    expected3["carried_out"] = _row(research=1, legal_service=1, other=1)
    assert report["section3"] == expected3
    assert len(expected3) == 25

    def group(upheld: int = 0, corrected: int = 0, other: int = 0, pending: int = 0) -> dict[str, int]:
        return {"upheld": upheld, "corrected": corrected, "other": other, "pending": pending,
                "total": upheld + corrected + other + pending}
    assert report["section4"] == {"reconsideration": group(upheld=1), "litigation_direct": group(pending=1),
                                  "litigation_after_reconsideration": group(other=1)}
    checked = runner.invoke(app, [*base, "report", "check", "2025"])
    assert checked.exit_code == 0, checked.stdout + checked.stderr
