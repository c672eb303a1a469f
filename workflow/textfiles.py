"""Reading the text files people give the engine (calendar notices, report inputs, letters' text), in UTF-8."""

import errno
from pathlib import Path

from workflow.errors import InputError

_OS_REASONS = {errno.ENOENT: "文件或目录不存在", errno.EACCES: "没有访问权限", errno.EPERM: "没有访问权限",
               errno.EISDIR: "这是一个目录", errno.ENOTDIR: "路径中有一段不是目录", errno.ENOSPC: "磁盘空间不足",
               errno.EROFS: "文件系统只读"}


def os_problem(exc: OSError) -> str:
    """Why a file could not be read or written, in Chinese."""
    return _OS_REASONS.get(exc.errno or 0, f"系统错误 {exc.errno}")


def decode(raw: bytes, where: str) -> str:
    """Text in UTF-8 (with or without a BOM), or a refusal naming the file and what to do."""
    if b"\x00" in raw:
        raise InputError(f"{where} 不是文本文件（含有二进制内容）")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            raw.decode("gb18030")
        except UnicodeDecodeError:
            raise InputError(f"{where} 不是 UTF-8 编码的文本文件") from None
        raise InputError(f"{where} 不是 UTF-8 编码的文本文件（看来是 GBK/GB18030 编码）：请另存为 UTF-8 后重试"
                         ) from None


def read_text(path: Path) -> str:
    """A UTF-8 text file's content, or an `InputError` in Chinese (missing, unreadable, binary, GBK)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"无法读取 {path}：{os_problem(exc)}") from None
    return decode(raw, str(path))
