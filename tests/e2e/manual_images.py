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
PICTURES = {  # the guide's picture ← (journey, screenshot)
    "01-登录.png": (CASE, "01-login.png"), "02-登记.png": (CASE, "03-register.png"),
    "03-案件.png": (CASE, "04-case-registered.png"), "04-申请列表.png": (CASE, "05-cases.png"),
    "05-申请延期.png": (CASE, "06-case-extension-requested.png"),
    "06-负责人工作台.png": (CASE, "07-workbench-head.png"),
    "07-审批.png": (CASE, "08-approvals.png"), "08-答复待审核.png": (CASE, "09-case-under-review.png"),
    "09-已办结.png": (CASE, "10-case-concluded.png"), "10-年报.png": (REPORT, "02-report.png"),
    "11-年报明细.png": (REPORT, "03-report-cell.png"), "12-日历导入预览.png": (CALENDAR, "03-calendar-preview.png"),
}


def main() -> int:
    missing = [f"{journey}/{shot}" for journey, shot in PICTURES.values() if not (SHOTS / journey / shot).exists()]
    if missing:
        print("缺少截图（先运行 pytest tests/e2e）：" + "、".join(missing), file=sys.stderr)
        return 1
    GUIDE.mkdir(exist_ok=True)
    for name, (journey, shot) in PICTURES.items():
        shutil.copyfile(SHOTS / journey / shot, GUIDE / name)
    print(f"已更新 {len(PICTURES)} 张插图：{GUIDE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
