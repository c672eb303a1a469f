"""The annual report's layout (国办公开办函〔2021〕30号, SPEC §8): headings, rows, columns and labels, exactly.

条例第四十九条、第五十条: each agency publishes its 政府信息公开工作年度报告 by 31 January. Every renderer
(HTML, XLSX, DOCX, Markdown, CSV) reads its labels from here, so they cannot drift apart.
"""

from dataclasses import dataclass

from states.appeals import COLUMN_LABELS, GROUPS, KIND_LABELS, TOTAL_LABEL, AppealKind, Column
from states.outcomes import APPLICANT_LABELS, OUTCOMES, ApplicantType

TITLE = "政府信息公开工作年度报告"

SECTIONS: tuple[tuple[str, str], ...] = (
    ("1", "一、总体情况"),
    ("2", "二、主动公开政府信息情况"),
    ("3", "三、收到和处理政府信息公开申请情况"),
    ("4", "四、政府信息公开行政复议、行政诉讼情况"),
    ("5", "五、存在的主要问题及改进情况"),
    ("6", "六、其他需要报告的事项"),
)
SECTION_TITLES: dict[str, str] = dict(SECTIONS)


@dataclass(frozen=True)
class Block:
    """One block of section 2: a caption row, a header row, data rows (figures the agency enters)."""

    key: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, str], ...]  # (input key, label)
    fields: tuple[str, ...]  # input keys of the value columns, in header order (after 信息内容)


SECTION2: tuple[Block, ...] = (
    Block("article20_1", "第二十条第（一）项", ("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"),
          (("rules", "规章"), ("normative_documents", "行政规范性文件")), ("issued", "repealed", "in_force")),
    Block("article20_5", "第二十条第（五）项", ("信息内容", "本年处理决定数量"),
          (("licensing", "行政许可"),), ("decisions",)),
    Block("article20_6", "第二十条第（六）项", ("信息内容", "本年处理决定数量"),
          (("penalty", "行政处罚"), ("enforcement", "行政强制")), ("decisions",)),
    Block("article20_8", "第二十条第（八）项", ("信息内容", "本年收费金额（单位：万元）"),
          (("charges", "行政事业性收费"),), ("amount",)),
)

# ---- Section 3 -------------------------------------------------------------------------------------------

CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT_HEADER = "申请人情况"
ORGANISATION_HEADER = "法人或其他组织"
COLUMNS: tuple[str, ...] = (*(t.value for t in ApplicantType), "total")
COLUMN_TITLES: dict[str, str] = {**{t.value: label for t, label in APPLICANT_LABELS.items()}, "total": "总计"}
ORGANISATION_COLUMNS: tuple[str, ...] = COLUMNS[1:6]

RESULTS_LABEL = "三、本年度办理结果"
TOTAL_ROW_LABEL = "（七）总计"


@dataclass(frozen=True)
class Row:
    """One data row of section 3: its JSON key and the three label cells of the official table.

    `part` is the first label column (一、二、三、四), `group` the second (（三）不予公开 …) or None where the
    official table merges the second and third columns, `label` the last one.
    """

    key: str
    part: str
    group: str | None
    label: str


def _rows() -> tuple[Row, ...]:
    rows = [Row("new", "一、本年新收政府信息公开申请数量", None, "一、本年新收政府信息公开申请数量"),
            Row("carried_in", "二、上年结转政府信息公开申请数量", None, "二、上年结转政府信息公开申请数量")]
    for o in OUTCOMES.values():
        whole = o.code in ("1", "2")
        rows.append(Row(o.code, RESULTS_LABEL, None if whole else o.group_label, o.label))
    rows.append(Row("total", RESULTS_LABEL, None, TOTAL_ROW_LABEL))
    rows.append(Row("carried_out", "四、结转下年度继续办理", None, "四、结转下年度继续办理"))
    return tuple(rows)


ROWS: tuple[Row, ...] = _rows()
ROW_KEYS: tuple[str, ...] = tuple(r.key for r in ROWS)
ROW_BY_KEY: dict[str, Row] = {r.key: r for r in ROWS}
OUTCOME_KEYS: tuple[str, ...] = tuple(OUTCOMES)

# ---- Section 4 -------------------------------------------------------------------------------------------

RECONSIDERATION_HEADER = KIND_LABELS[AppealKind.RECONSIDERATION]  # 行政复议
LITIGATION_HEADER = KIND_LABELS[AppealKind.LITIGATION]  # 行政诉讼
APPEAL_COLUMNS: tuple[str, ...] = (*(c.value for c in Column), "total")
APPEAL_COLUMN_TITLES: dict[str, str] = {**{c.value: label for c, label in COLUMN_LABELS.items()},
                                        "total": TOTAL_LABEL}
APPEAL_GROUPS: tuple[tuple[str, str], ...] = GROUPS


def cell_name(section: str, row: str, column: str) -> str:
    """A cell's human name, for identity failures and drill-down titles (e.g. 表三「（七）总计」×「自然人」)."""
    if section == "3":
        found = ROW_BY_KEY[row]
        label = f"{found.group}{found.label}" if found.group else found.label
        return f"表三「{label}」×「{COLUMN_TITLES[column]}」"
    group = dict(APPEAL_GROUPS)[row]
    label = group if row == "reconsideration" else f"{LITIGATION_HEADER}（{group}）"
    return f"表四「{label}」×「{APPEAL_COLUMN_TITLES[column]}」"
