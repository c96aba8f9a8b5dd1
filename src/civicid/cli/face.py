from __future__ import annotations

import typer

app = typer.Typer(help="Face engine tools: evaluation and calibration.", no_args_is_help=True)
