"""The case file (案卷): scans and signed letters kept on disk by the SHA-256 of their content, each filed by an
event (`file_document`) whose hash chain then vouches for the file too; read back only through the case."""

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from states.documents import MAX_DOCUMENT_BYTES, kind_problem, media_type, size_text
from states.lifecycle import Trigger
from workflow import cases, queries
from workflow.cases import ActionResult
from workflow.db import Database
from workflow.errors import InputError, NotFound, WorkflowError
from workflow.inputs import ActionInput, DocumentRef, validate

__all__ = ["Document", "FileStore", "attach", "document", "store_for"]


class FileStore:
    """Content-addressed files under `root` (`ab/abcdef…`), written once, mode 0600, never overwritten."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Keep `data` (if not kept already); its SHA-256. Written to a temporary name, synced, then renamed, so
        a file under its hash is always whole."""
        sha = hashlib.sha256(data).hexdigest()
        path = self._path(sha)
        if path.exists():
            return sha
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_name(f".{sha}.{os.getpid()}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
        return sha

    def get(self, sha256: str) -> bytes:
        """The file whose content hashes to `sha256`; a missing or altered file is an error, never served."""
        path = self._path(sha256)
        if not path.is_file():
            raise WorkflowError(f"案卷文件 {sha256} 不在存储目录 {self.root} 中（可能未随数据库一起备份或迁移）")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise WorkflowError(f"案卷文件 {sha256} 的内容与登记的 SHA-256 不符（文件已被改动），拒绝提供")
        return data


def store_for(url: str, option: Path | None = None) -> FileStore:
    """Where a database's case files are kept: the option, else OGI_FILES, else beside a SQLite database
    (`ogi.db.files/`), else `./ogi-files/`."""
    if option is not None:
        return FileStore(option)
    if os.environ.get("OGI_FILES"):
        return FileStore(Path(os.environ["OGI_FILES"]))
    if url.startswith("sqlite:///"):
        db_file = Path(url.removeprefix("sqlite:///"))
        return FileStore(db_file.with_name(db_file.name + ".files"))
    return FileStore(Path("ogi-files"))


def attach(db: Database, store: FileStore, *, actor_name: str | None, number: str, data: bytes, name: str,
           kind: str, today: date, agency: str | None = None, expected_version: int | None = None) -> ActionResult:
    """File a document with a case: checked (size, a format we keep, its kind), kept in the store, then
    recorded by a `file_document` event in one transaction with the case (a refused filing records nothing;
    the stored bytes alone are harmless and found again by their hash)."""
    if not data:
        raise InputError("上传的文件是空的")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"文件过大：{size_text(len(data))}，最大 {size_text(MAX_DOCUMENT_BYTES)}")
    detected = media_type(data)
    if detected is None:
        raise InputError(f"文件「{name}」不是可以归档的格式：只接受 PDF、JPEG、PNG、TIFF 扫描件")
    if problem := kind_problem(kind):
        raise InputError(problem)
    clean = Path(name.replace("\\", "/")).name.strip() or f"document.{detected[1]}"
    ref = validate(DocumentRef, sha256=hashlib.sha256(data).hexdigest(), name=clean[:200], kind=kind,
                   size=len(data), media_type=detected[0])
    queries.show_case(db, number=number, actor_name=actor_name, today=today, agency=agency)  # exists for them
    store.put(data)
    return cases.act(db, actor_name=actor_name, number=number, trigger=Trigger.FILE_DOCUMENT,
                     data=ActionInput(on=today, document=ref), today=today, expected_version=expected_version,
                     agency=agency)


@dataclass(frozen=True)
class Document:
    """A filed document as it is handed out: its bytes, name and type, and the event that filed it."""

    data: bytes
    name: str
    media_type: str
    seq: int


def document(db: Database, store: FileStore, *, actor_name: str | None, number: str, seq: int, today: date,
             agency: str | None = None) -> Document:
    """The document filed by event `seq` of a case the user may see (another agency's: not found)."""
    detail = queries.show_case(db, number=number, actor_name=actor_name, today=today, agency=agency)
    event = next((e for e in detail["events"] if e["seq"] == seq and e["trigger"] == Trigger.FILE_DOCUMENT), None)
    if event is None:
        raise NotFound(f"案件 {number} 没有第 {seq} 号归档材料")
    ref = event["data"]["document"]
    return Document(store.get(ref["sha256"]), ref["name"], ref["media_type"], seq)
