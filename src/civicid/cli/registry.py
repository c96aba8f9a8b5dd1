"""``civicid registry``: the demo population registry (add people, import a photo folder)."""

from __future__ import annotations

import random
import secrets
from datetime import date
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from civicid.cli.output import console, print_json, typed_errors
from civicid.errors import InvalidInput
from civicid.ids import Sex, generate_id_number, parse_id_number
from civicid.registry.demo import DemoRegistry
from civicid.registry.interfaces import RegistryRecord
from civicid.registry.names import generate_name
from civicid.runtime import build_runtime
from civicid.settings import Settings

app = typer.Typer(help="The demo population registry.", no_args_is_help=True)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def _record(rng: random.Random, *, photo: bytes, name: str, id_number: str | None, today: date) -> RegistryRecord:
    number = parse_id_number(id_number or generate_id_number(rng, today=today), today=today)
    return RegistryRecord(id_number=number.value, name=name, birth_date=number.birth_date,
                          sex="M" if number.sex is Sex.MALE else "F", photo=photo)


@app.command("add")
def add(
    photo: Path = typer.Option(..., "--photo", exists=True, dir_okay=False, help="Registry photo (JPEG/PNG/WebP)."),
    name: str = typer.Option(..., "--name", help="Full name as the registry holds it."),
    id_number: str | None = typer.Option(None, "--id-number", help="GB 11643 number; generated when omitted."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Add one person to the demo registry and print their ID number."""
    with typed_errors(as_json):
        runtime = build_runtime(Settings())
        if photo.stat().st_size > runtime.settings.image_max_bytes:
            raise InvalidInput("The photo is larger than the image limit.")
        record = _record(secrets.SystemRandom(), photo=photo.read_bytes(), name=name, id_number=id_number,
                         today=runtime.clock.now().date())
        with runtime.transaction() as session:
            DemoRegistry(session, runtime.vault(session), runtime.clock).add(record)
    if as_json:
        print_json({"id_number": record.id_number, "name": record.name, "birth_date": record.birth_date.isoformat()})
    else:
        console.print(f"Added {record.name}: ID number [bold]{record.id_number}[/bold]")


@app.command("import")
def import_dir(
    directory: Path = typer.Argument(..., exists=True, file_okay=False,
                                     help="A folder of images/<person>/<file> (or <person>/<file>)."),
    seed: int | None = typer.Option(None, help="Seed for generated numbers and names (reproducible demos)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Add one registry person per person folder, with the first image as the registry photo."""
    root = directory / "images" if (directory / "images").is_dir() else directory
    people = sorted(path for path in root.iterdir() if path.is_dir())
    rng = random.Random(seed) if seed is not None else secrets.SystemRandom()
    created = []
    with typed_errors(as_json):
        runtime = build_runtime(Settings())
        today = runtime.clock.now().date()
        with Progress(console=console, transient=as_json, disable=as_json) as progress:
            task = progress.add_task("Importing registry photos", total=len(people))
            for folder in people:
                photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
                progress.advance(task)
                if not photos:
                    continue
                record = _record(rng, photo=photos[0].read_bytes(), name=generate_name(rng), id_number=None,
                                 today=today)
                with runtime.transaction() as session:
                    DemoRegistry(session, runtime.vault(session), runtime.clock).add(record)
                created.append({"folder": folder.name, "photo": photos[0].name, "name": record.name,
                                "id_number": record.id_number, "birth_date": record.birth_date.isoformat()})
    if as_json:
        print_json({"created": created})
        return
    table = Table("folder", "photo", "name", "ID number", "birth date", title=f"{len(created)} registry people")
    for row in created:
        table.add_row(row["folder"], row["photo"], row["name"], row["id_number"], row["birth_date"])
    console.print(table)
