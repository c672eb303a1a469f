"""`ogi serve`: the web workbench (uvicorn), with the alert sweep in-process."""

import os
import secrets
from pathlib import Path

import typer

from workflow.cli.base import database, fail, out, sqlite_path

commands = typer.Typer()


def secret_key(option: Path | None, url: str) -> tuple[str, str]:
    """The key that signs session cookies, and where it came from: OGI_SECRET_KEY, else a key file (made once,
    mode 0600) beside the SQLite database or in the working directory. Every server of a platform needs the
    same key, or a login made on one is not recognised by another."""
    if os.environ.get("OGI_SECRET_KEY"):
        return os.environ["OGI_SECRET_KEY"], "环境变量 OGI_SECRET_KEY"
    db_file = sqlite_path(url)
    path = option or (db_file.with_name(db_file.name + ".secret") if db_file else Path("ogi-secret.key"))
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 32:
        fail(f"会话密钥文件 {path} 的内容过短（至少 32 个字符）")
    return key, f"密钥文件 {path}"


@commands.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认只接受本机访问）"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="端口"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="工作进程数"),
    sweep: float = typer.Option(15, "--sweep-minutes", min=0, max=1440,
                                help="提醒扫描间隔（分钟；0 表示不在本进程扫描，改由 ogi scheduler 进行）"),
    config: Path | None = typer.Option(None, "--config", help="提醒设置 TOML 文件（或环境变量 OGI_ALERTS）"),
    secret_file: Path | None = typer.Option(None, "--secret-file",
                                            help="会话密钥文件（默认在数据库旁；或 OGI_SECRET_KEY）"),
    files: Path | None = typer.Option(None, "--files", help="案卷文件的存储目录（默认在数据库旁；或 OGI_FILES）"),
    secure_cookies: bool = typer.Option(False, "--secure-cookies",
                                        help="会话 Cookie 只经 HTTPS 发送（在 HTTPS 反向代理之后运行时使用）"),
) -> None:
    """运行网页工作台（登录、工作台、申请列表、案件办理），并在本进程中定时扫描提醒。"""
    import uvicorn

    from notifications.setup import configured
    from workflow.db import shown_url
    from workflow.web import server

    db = database()  # refuses a missing or outdated database before anything listens
    url = db.url
    db.dispose()
    try:
        configured(config, os.environ)  # a wrong alert configuration stops the start, not a sweep later
    except ValueError as exc:
        fail(str(exc))
    key, source = secret_key(secret_file, url)
    os.environ.update({server.ENV_DB: url, server.ENV_SECRET: key, server.ENV_SWEEP: str(sweep),
                       server.ENV_SECURE: "1" if secure_cookies else "0"})
    if config is not None:
        os.environ["OGI_ALERTS"] = str(config)
    if files is not None:
        os.environ["OGI_FILES"] = str(files.resolve())
    out.print(f"网页工作台：http://{host}:{port}/ （数据库 {shown_url(url)}；会话密钥来自{source}；"
              f"{f'每 {sweep:g} 分钟扫描一次提醒' if sweep else '本进程不扫描提醒'}；Ctrl-C 停止）", highlight=False)
    uvicorn.run("workflow.web.server:from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning", proxy_headers=secure_cookies)
