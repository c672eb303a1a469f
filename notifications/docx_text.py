"""DOCX text runs in Chinese type: the one place that sets a run's East Asian font (letters and the annual report)."""

from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run


def chinese_run(paragraph: Paragraph, text: str, *, size: float, face: str = "仿宋", bold: bool = False) -> Run:
    """Add a run with its East Asian font set too (w:eastAsia): otherwise Word shows Chinese in its default face."""
    run = paragraph.add_run(text)
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, face
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), face)
    return run
