"""`ogi attach`: file a scan or a signed letter with a case (案卷)."""

from pathlib import Path

import typer

from states.documents import DOCUMENT_KINDS
from workflow.cli.base import G, database, fail, out, run

commands = typer.Typer()
KINDS = "|".join(f"{k}（{v}）" for k, v in DOCUMENT_KINDS.items())


@commands.command()
def attach(
    number: str = typer.Argument(..., help="案件编号"),
    file: Path = typer.Argument(..., help="要归档的文件：PDF、JPEG、PNG 或 TIFF"),
    kind: str = typer.Option(..., "--kind", help=KINDS),
    files: Path | None = typer.Option(None, "--files", help="案卷文件的存储目录（默认在数据库旁；或 OGI_FILES）"),
) -> None:
    """把材料（申请书、身份证明、签发的文书、送达回证等扫描件）归入案卷。

    文件按 SHA-256 保存，办理记录中登记其名称、类别、大小和 SHA-256。
    """
    from workflow.case_files import attach as file_it
    from workflow.case_files import store_for

    if not file.is_file():
        fail(f"文件 {file} 不存在")
    db = database()
    result = run(lambda: file_it(db, store_for(db.url, files), actor_name=G.user, number=number,
                                 data=file.read_bytes(), name=file.name, kind=kind, today=G.today, agency=G.agency))
    out.print(result.message, highlight=False)
