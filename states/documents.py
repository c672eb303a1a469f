"""The case file (案卷): the kinds of material filed with a case, and what may be filed (scans and PDFs)."""

DOCUMENT_KINDS: dict[str, str] = {
    "application": "申请书",
    "identity": "身份证明",
    "correction": "补正材料",
    "letter": "签发的文书",
    "service": "送达回证",
    "correspondence": "往来函件",
    "other": "其他材料",
}

def kind_problem(kind: str) -> str | None:
    """Why a material's kind is refused (None when it is one of DOCUMENT_KINDS)."""
    if kind in DOCUMENT_KINDS:
        return None
    return f"材料类别 {kind!r} 无效，可选：{'、'.join(f'{k}（{v}）' for k, v in DOCUMENT_KINDS.items())}"


MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # a scanned file of a few dozen pages

# The formats a scan or a signed letter comes in, by the bytes they start with (a file's name proves nothing).
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"II*\x00", "image/tiff", "tif"),
    (b"MM\x00*", "image/tiff", "tif"),
)


def media_type(data: bytes) -> tuple[str, str] | None:
    """The media type and usual extension of a file's content, or None when it is not a format we keep."""
    return next(((media, ext) for magic, media, ext in SIGNATURES if data.startswith(magic)), None)


def size_text(size: int) -> str:
    """A file size as people read it: 「356 KB」「2.4 MB」."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"
