"""Notice letters (告知书, SPEC §10): Jinja2 templates with agency overrides, rendered to HTML and DOCX."""

import re
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    UndefinedError,
    select_autoescape,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from notifications.docx_text import chinese_run

DEFAULT_TEMPLATES = Path(__file__).resolve().parent / "templates"

# The letter kinds of SPEC §10 with their short names, and the full titles they are issued under.
KINDS: dict[str, str] = {
    "receipt": "登记回执",
    "correction_notice": "补正告知书",
    "reasons_notice": "说明理由告知书",
    "extension_notice": "延期答复告知书",
    "consultation_letter": "征求意见书",
    "fee_notice": "收费通知书",
    "response": "答复书",
}
TITLES: dict[str, str] = {
    "receipt": "政府信息公开申请登记回执",
    "correction_notice": "政府信息公开申请补正告知书",
    "reasons_notice": "政府信息公开申请说明理由告知书",
    "extension_notice": "政府信息公开申请延期答复告知书",
    "consultation_letter/third_party": "政府信息公开征求第三方意见书",
    "consultation_letter/other_agency": "政府信息公开征求共同制作机关意见书",
    "fee_notice": "政府信息公开信息处理费收费通知书",
    "response/1": "政府信息公开申请答复书（予以公开）",
    "response/2": "政府信息公开申请答复书（部分公开）",
    "response/3": "政府信息公开申请答复书（不予公开）",
    "response/4": "政府信息公开申请答复书（无法提供）",
    "response/5": "政府信息公开申请答复书（不予处理）",
    "response/6": "政府信息公开申请办理结果告知书",
}
_BR = "\x00"  # a <br> inside a paragraph
OUTCOME_GROUPS = ("1", "2", "3", "4", "5", "6")
Format = Literal["html", "docx"]


class LetterError(Exception):
    """A template is missing, malformed, or uses a variable the letter does not have; the message is Chinese."""


def template_name(kind: str, outcome_code: str | None = None) -> str:
    """The template of a letter kind; a response letter's template is chosen by its outcome group (1–6)."""
    if kind not in KINDS:
        raise LetterError(f"未知的文书类型 {kind!r}；可选：{'、'.join(KINDS)}")
    if kind != "response":
        return f"{kind}.html"
    group = (outcome_code or "").split(".")[0]
    if group not in OUTCOME_GROUPS:
        raise LetterError(f"办理结果代码 {outcome_code!r} 无对应的答复书模板")
    return f"response_{group}.html"


def environment(template_dirs: Sequence[Path] = ()) -> SandboxedEnvironment:
    """One environment: the agency's directories first (its own, then the platform's), then the defaults (also
    reachable as `default/NAME`).

    Sandboxed: an agency's template is text the agency wrote, and may reach only the letter's data, never
    Python's internals (`__globals__`, `__class__`, `os`…), which would run commands as the server's user.
    """
    defaults = FileSystemLoader(DEFAULT_TEMPLATES, encoding="utf-8")
    loaders: list[BaseLoader] = []
    for template_dir in template_dirs:
        if not template_dir.is_dir():
            raise LetterError(f"模板目录 {template_dir} 不存在或不是目录")
        loaders.append(FileSystemLoader(template_dir, encoding="utf-8"))
    loaders += [defaults, PrefixLoader({"default": defaults})]
    return SandboxedEnvironment(loader=ChoiceLoader(loaders), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html", "htm", "j2"]),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_html(template: str, context: Mapping[str, Any], *, template_dirs: Sequence[Path] = ()) -> str:
    """The letter as an HTML document; every variable the template uses must be in `context`."""
    try:
        return environment(template_dirs).get_template(template).render(**context)
    except TemplateNotFound as exc:
        raise LetterError(f"找不到模板 {exc.name}") from exc
    except SecurityError as exc:
        raise LetterError(f"模板 {_where(exc, template)} 试图访问文书数据以外的内容（{_unsafe(str(exc))}），"
                          "出于安全原因已拒绝，未生成任何文书：模板只能使用文书数据（见 docs/letters.md）") from exc
    except UndefinedError as exc:
        raise LetterError(f"模板 {template} 使用了文书数据中没有的{_missing(exc.message or '')}"
                          "（可用的数据见 docs/letters.md）") from exc
    except TemplateError as exc:
        raise LetterError(f"模板 {template} 有误：{exc.message}") from exc


def _where(exc: BaseException, template: str) -> str:
    """The template file (and line) an error was raised in: an included one, or the letter's own."""
    where, tb = template, exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".html", ".htm", ".j2")):  # Jinja's rewritten frames carry the template's file
            where = f"{name} 第 {tb.tb_lineno} 行"
        tb = tb.tb_next
    return where


def _unsafe(message: str) -> str:
    """Jinja's words for a refused attribute ("access to attribute 'x' of 'y' object is unsafe."), in Chinese."""
    if found := re.match(r"^access to attribute '(.+?)' of '(.+?)' object is unsafe", message):
        return f"「{found[2]}」对象的属性「{found[1]}」"
    return message


def _missing(message: str) -> str:
    """Jinja's words for an undefined name ('x' is undefined / 'dict object' has no attribute 'y'), in Chinese."""
    if found := re.match(r"^'.+?' has no attribute '(.+)'$", message):
        return f"字段「{found[1]}」"
    if found := re.match(r"^'(.+)' is undefined$", message):
        return f"变量「{found[1]}」"
    return f"变量：{message}"


class _Blocks(HTMLParser):
    """Reads the letter's HTML into blocks: (tag, css class, text) paragraphs and tables of cell texts."""

    BLOCKS = frozenset({"h1", "h2", "h3", "p", "li", "div"})
    SKIP = frozenset({"head", "style", "script", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str, str | list[list[str]]]] = []
        self.title = ""
        self._skip = 0
        self._in_title = False
        self._open: list[tuple[str, str]] = []
        self._text: list[str] = []
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = next((v or "" for k, v in attrs if k == "class"), "")
        if tag in self.SKIP:
            self._skip += 1
            self._in_title = tag == "title"
        elif tag == "br":
            (self._cell if self._cell is not None else self._text).append(_BR)
        elif tag == "table":
            self._flush()
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in self.BLOCKS:
            self._flush()
            self._open.append((tag, cls))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip -= 1
            self._in_title = False
        elif tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(_clean("".join(self._cell)))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.blocks.append(("table", "", [r for r in self._rows if r]))
            self._rows = None
        elif tag in self.BLOCKS:
            self._flush()
            if self._open:
                self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data.strip()
        elif not self._skip:
            (self._cell if self._cell is not None else self._text).append(data)

    def _flush(self) -> None:
        text = _clean("".join(self._text))
        self._text = []
        if text:
            tag, cls = self._open[-1] if self._open else ("p", "")
            self.blocks.append((tag, cls, text))


def _clean(text: str) -> str:
    """Template line breaks vanish (no stray spaces between Chinese characters); <br> stays a line break."""
    text = re.sub(r"[ \t\r\f\v]+", " ", re.sub(r"\s*\n\s*", "", text))
    return "\n".join(line.strip() for line in text.split(_BR)).strip()


_ALIGN = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}


def _font(paragraph: Paragraph, text: str, *, size: float, bold: bool = False, face: str = "仿宋") -> None:
    for i, line in enumerate(text.split("\n")):
        if i:
            paragraph.runs[-1].add_break()
        chinese_run(paragraph, line, size=size, face=face, bold=bold)


def html_to_docx(html: str) -> bytes:
    """A DOCX built from the rendered letter: headings, paragraphs (centred or right-aligned by class), tables."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    document = Document()
    document.core_properties.title = parser.title
    for tag, cls, content in parser.blocks:
        if isinstance(content, list):
            columns = max(len(r) for r in content) if content else 0
            if not columns:
                continue
            table = document.add_table(rows=len(content), cols=columns)
            table.style = "Table Grid"
            for r, row in enumerate(content):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
            continue
        paragraph = document.add_paragraph()
        classes = cls.split()
        align = next((_ALIGN[c] for c in classes if c in _ALIGN), None)
        if tag in ("h1", "h2"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(paragraph, content, size=22 if tag == "h1" else 18, bold=True, face="黑体")
        else:
            if align is not None:
                paragraph.alignment = align
            if align is None and tag == "p" and "plain" not in classes:
                paragraph.paragraph_format.first_line_indent = Pt(32)
            _font(paragraph, content, size=16, bold="strong" in classes)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render(template: str, context: Mapping[str, Any], fmt: Format = "html", *,
           template_dirs: Sequence[Path] = ()) -> bytes:
    """The letter in the chosen format: UTF-8 HTML, or a DOCX made from the same rendered HTML."""
    html = render_html(template, context, template_dirs=template_dirs)
    if fmt == "html":
        return html.encode("utf-8")
    if fmt == "docx":
        return html_to_docx(html)
    raise LetterError(f"未知的格式 {fmt!r}；可选：html、docx")
