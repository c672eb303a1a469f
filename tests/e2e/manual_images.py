"""Copy the screenshots the browser journeys keep (build/screenshots/) to the user guide's pictures
(docs/用户手册/), under the names the guide cites: `make screenshots`."""

import shutil
import sys
from pathlib import Path

from tests.e2e.conftest import SHOTS

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "用户手册"
CASE = "test_a_case_from_receipt_to_a_signed_off_response"
REPORT = "test_the_annual_report_with_a_drill_down_and_an_xlsx"
CALENDAR = "test_a_calendar_import_with_its_preview"
PICTURES = {  # the guide's picture ← (journey, the name its screenshot is taken under)
    "01-登录.png": (CASE, "login"), "02-登记.png": (CASE, "register"),
    "03-案件.png": (CASE, "case-registered"), "04-申请列表.png": (CASE, "cases"),
    "05-申请延期.png": (CASE, "case-extension-requested"),
    "06-负责人工作台.png": (CASE, "workbench-head"),
    "07-审批.png": (CASE, "approvals"), "08-答复待审核.png": (CASE, "case-under-review"),
    "09-已办结.png": (CASE, "case-concluded"), "10-年报.png": (REPORT, "report"),
    "11-年报明细.png": (REPORT, "report-cell"), "12-日历导入预览.png": (CALENDAR, "calendar-preview"),
    "13-提醒.png": (CASE, "alerts"),
}


def screenshot(journey: str, name: str) -> Path | None:
    """The journey's screenshot taken under `name` (files are numbered in the order taken: NN-name.png)."""
    found = sorted((SHOTS / journey).glob(f"[0-9][0-9]-{name}.png"))
    return found[-1] if found else None


def main() -> int:
    found = {picture: screenshot(*source) for picture, source in PICTURES.items()}
    missing = [f"{PICTURES[p][0]}/{PICTURES[p][1]}" for p, path in found.items() if path is None]
    if missing:
        print("缺少截图（先运行 pytest tests/e2e）：" + "、".join(missing), file=sys.stderr)
        return 1
    GUIDE.mkdir(exist_ok=True)
    for picture, path in found.items():
        assert path is not None
        shutil.copyfile(path, GUIDE / picture)
    print(f"已更新 {len(PICTURES)} 张插图：{GUIDE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
