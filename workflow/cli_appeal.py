"""`ogi appeal …`: reconsiderations and lawsuits against an application's handling (SPEC §7)."""

import typer

from workflow.cli_base import app

appeal_app = typer.Typer(help="行政复议与行政诉讼", no_args_is_help=True)
app.add_typer(appeal_app, name="appeal")
