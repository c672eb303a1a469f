"""Where a TOML settings file is malformed, in Chinese (tomllib words its errors in English)."""

import re
import tomllib

_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def toml_problem(exc: tomllib.TOMLDecodeError) -> str:
    """Where a TOML file is malformed, in Chinese (the parser's own words are English)."""
    found = _TOML_AT.search(str(exc))
    where = f"第 {found[1]} 行第 {found[2]} 列附近" if found else "文件中"
    return f"不是有效的 TOML：{where}有格式错误（检查方括号、引号、等号和逗号）"
