from __future__ import annotations

from pathlib import Path

import typer


def verify(
    left: Path = typer.Argument(..., help="First image (JPEG, PNG or WebP)."),
    right: Path = typer.Argument(..., help="Second image."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Compare two faces 1:1. Exit 0 = match, 1 = no match, 2 = error."""
    raise NotImplementedError
