"""Progress bars on long work (issue 10 item 5): drawn on a terminal, never when output is piped or --json."""

import csv
import os
import pty
import subprocess
import sys
from pathlib import Path

OGI = str(Path(sys.executable).with_name("ogi"))


def _on_a_terminal(argv: list[str]) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal; returns the exit code and everything it drew."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    return proc.wait(timeout=120), drawn.decode("utf-8", "replace")


def _ledger(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["编号", "申请人", "申请人类型", "申请方式", "收到日期", "申请内容", "办理状态", "办理结果",
                         "办结日期"])
        for i in range(1, rows + 1):
            writer.writerow([f"2024-{i:04d}", f"申请人{i}", "自然人", "互联网渠道", "2024-03-01", "某信息", "已办结",
                             "1", "2024-03-20"])
    return path


def test_a_long_import_draws_a_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    db = str(tmp_path / "ogi.db")
    base = [OGI, "--db", db, "--today", "2025-01-10"]
    subprocess.run([*base, "init", "--agency", "某局"], check=True, capture_output=True)
    ledger = _ledger(tmp_path / "台账.csv", 3000)
    code, drawn = _on_a_terminal([*base, "--as", "admin", "import", str(ledger), "--dry-run"])
    assert code == 0 and "导入申请台账" in drawn and "3000" in drawn, drawn
    piped = subprocess.run([*base, "--as", "admin", "import", str(ledger), "--dry-run"], capture_output=True, text=True)
    assert piped.returncode == 0 and "导入申请台账" not in piped.stdout + piped.stderr
    code, drawn = _on_a_terminal([*base, "--as", "admin", "import", str(ledger), "--dry-run", "--json"])
    assert code == 0 and "导入申请台账" not in drawn and '"created": 3000' in drawn
