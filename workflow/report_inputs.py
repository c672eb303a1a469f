"""What the agency enters for its annual report (格式 表二; sections 1, 5, 6): parsed from TOML and validated."""

import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from notifications.toml_errors import toml_problem
from states.report_format import SECTION2, SECTION_TITLES
from workflow.errors import InputError

# TOML key of each narrative section → the report's section number.
NARRATIVE_KEYS: dict[str, str] = {"overview": "1", "problems": "5", "other": "6"}
DECIMAL_FIELDS = frozenset({"amount"})  # 本年收费金额（单位：万元）
_BLOCKS = {b.key: b for b in SECTION2}


def _listing(keys: Any) -> str:
    return "、".join(str(k) for k in keys)


def _figure(where: str, field: str, value: Any) -> int | str:
    """One section 2 figure: a count (integer ≥ 0), or 万元 (a decimal ≥ 0, kept as text to stay exact)."""
    if field in DECIMAL_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InputError(f"{where} 的值 {value!r} 不是有效金额（单位：万元，如 12.5）")
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise InputError(f"{where} 的值 {value!r} 不是有效金额（单位：万元，如 12.5）") from None
        if not amount.is_finite() or amount < 0:
            raise InputError(f"{where} 的值 {value!r} 无效：金额不能为负数")
        return str(amount)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{where} 的值 {value!r} 无效：应为不小于 0 的整数")
    return value


def _section2(raw: Any) -> dict[str, dict[str, dict[str, int | str]]]:
    if not isinstance(raw, dict):
        raise InputError("[section2] 应为表（如 [section2.article20_1.rules]）")
    result: dict[str, dict[str, dict[str, int | str]]] = {}
    for block_key, rows in raw.items():
        block = _BLOCKS.get(block_key)
        if block is None:
            raise InputError(f"未知的键 section2.{block_key}，可选：{_listing(_BLOCKS)}")
        if not isinstance(rows, dict):
            raise InputError(f"section2.{block_key} 应为表，可选的行：{_listing(k for k, _ in block.rows)}")
        row_keys = dict(block.rows)
        for row_key, fields in rows.items():
            if row_key not in row_keys:
                raise InputError(f"未知的键 section2.{block_key}.{row_key}（{block.caption}），"
                                 f"可选：{_listing(row_keys)}")
            if not isinstance(fields, dict):
                raise InputError(f"section2.{block_key}.{row_key} 应为表，可选的键：{_listing(block.fields)}")
            for field, value in fields.items():
                where = f"section2.{block_key}.{row_key}.{field}"
                if field not in block.fields:
                    raise InputError(f"未知的键 {where}（{row_keys[row_key]}），可选：{_listing(block.fields)}")
                result.setdefault(block_key, {}).setdefault(row_key, {})[field] = _figure(where, field, value)
    return result


def _narrative(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise InputError(f"[narrative] 应为表，可选的键：{_listing(NARRATIVE_KEYS)}")
    result = {}
    for key, text in raw.items():
        if key not in NARRATIVE_KEYS:
            raise InputError(f"未知的键 narrative.{key}，可选：{_listing(NARRATIVE_KEYS)}")
        if not isinstance(text, str):
            raise InputError(f"narrative.{key}（{SECTION_TITLES[NARRATIVE_KEYS[key]]}）应为文字")
        result[NARRATIVE_KEYS[key]] = text.strip()
    return result


def parse_inputs(text: str) -> dict[str, Any]:
    """A year's input file (docs/examples/report-input.toml) as stored data; any unknown key or bad value is refused."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"输入文件{toml_problem(exc)}") from exc
    unknown = set(raw) - {"section2", "narrative"}
    if unknown:
        raise InputError(f"未知的键 {_listing(sorted(unknown))}，可选：section2、narrative")
    return {"section2": _section2(raw.get("section2", {})), "narrative": _narrative(raw.get("narrative", {}))}


def inputs_from_form(fields: Mapping[str, str]) -> dict[str, Any]:
    """The web's 填报 form (fields `s2.<block>.<row>.<field>` and `narrative.<key>`) as stored data, each figure
    checked by the same rule as the TOML file's (`_figure`) and named by the table's own labels; an empty box is
    a figure not entered."""
    section2: dict[str, dict[str, dict[str, int | str]]] = {}
    narrative: dict[str, str] = {}
    for name, value in fields.items():
        text = value.strip()
        if name.startswith("narrative."):
            narrative[name.removeprefix("narrative.")] = text
            continue
        _, block_key, row_key, field = [*name.split("."), "", "", ""][:4]
        block = _BLOCKS.get(block_key)
        rows = dict(block.rows) if block else {}
        if block is None or row_key not in rows or field not in block.fields or name.count(".") != 3:
            raise InputError(f"未知的填报项 {name}")
        if text:
            where = f"{block.caption}「{rows[row_key]}」的{block.header[block.fields.index(field) + 1]}"
            entered: int | str = int(text) if text.isdigit() and field not in DECIMAL_FIELDS else text
            section2.setdefault(block_key, {}).setdefault(row_key, {})[field] = _figure(where, field, entered)
    return {"section2": section2, "narrative": _narrative(narrative)}


def section2_of(data: dict[str, Any]) -> dict[str, dict[str, dict[str, Decimal | int | None]]]:
    """Section 2 as the report shows it: every block, row and field; None where the agency entered nothing."""
    stored = data.get("section2", {})
    grid: dict[str, dict[str, dict[str, Decimal | int | None]]] = {}
    for block in SECTION2:
        for row_key, _ in block.rows:
            entered = stored.get(block.key, {}).get(row_key, {})
            grid.setdefault(block.key, {})[row_key] = {
                f: (Decimal(entered[f]) if f in DECIMAL_FIELDS else int(entered[f])) if f in entered else None
                for f in block.fields}
    return grid


def narrative_of(data: dict[str, Any]) -> dict[str, str]:
    """Sections 1, 5 and 6 as entered ("1", "5", "6" → text); a section not entered is absent."""
    return {k: v for k, v in data.get("narrative", {}).items() if v}
