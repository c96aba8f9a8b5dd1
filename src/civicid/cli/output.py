"""Shared output conventions of the ``civicid`` commands.

Every command that prints results takes ``--json``. Errors are typed: the stable code is printed
(or returned as ``{"error": {...}}`` in JSON mode) and the exit code is 2.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Iterator

import typer
from rich.console import Console

from civicid.errors import CivicIDError

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_ERROR = 2

console = Console()
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


@contextmanager
def typed_errors(as_json: bool) -> Iterator[None]:
    """Turn a CivicIDError into its printed code and exit code 2."""
    try:
        yield
    except CivicIDError as exc:
        if as_json:
            print_json(exc.to_json())
        else:
            err_console.print(f"[red]error[/red] {exc.code}: {exc.message}")
        raise typer.Exit(EXIT_ERROR) from None
