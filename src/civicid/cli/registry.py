"""``civicid registry``: the demo population registry (add, list and remove people, import a photo
folder). Every command refuses (``registry.demo_only``) unless the demo registry is the service's
registry: CIVICID_DEMO on and no CIVICID_REGISTRY_URL."""

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
from civicid.ids import parse_id_number
from civicid.registry.demo import DemoRegistry, require_demo_registry
from civicid.registry.demo_people import demo_record
from civicid.registry.interfaces import RegistryRecord
from civicid.registry.names import generate_name
from civicid.runtime import Runtime, build_runtime
from civicid.settings import Settings

app = typer.Typer(help="The demo population registry.", no_args_is_help=True)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
MAX_NAME = 200  # as the enrolment API takes a claimed name


def _record(rng: random.Random, *, photo: bytes, name: str, id_number: str | None, today: date,
            birth_date: date | None = None) -> RegistryRecord:
    return demo_record(rng, today=today, name=name, photo=photo, id_number=id_number, birth_date=birth_date)


def _demo_runtime() -> Runtime:
    """The runtime, once the settings say the demo registry is the service's registry."""
    settings = Settings()
    require_demo_registry(settings)
    return build_runtime(settings)


def _birth_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("--birth-date takes a date as YYYY-MM-DD.", field="birth_date") from None


@app.command("add")
def add(
    photo: Path = typer.Option(..., "--photo", exists=True, dir_okay=False, help="Registry photo (JPEG/PNG/WebP)."),
    name: str = typer.Option(..., "--name", help="Full name as the registry holds it."),
    id_number: str | None = typer.Option(None, "--id-number", help="GB 11643 number; generated when omitted."),
    birth_date: str | None = typer.Option(None, "--birth-date", metavar="YYYY-MM-DD", help=(
        "Birth date; the generated number encodes it. With --id-number, must be the number's own.")),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Add one person to the demo registry and print their ID number."""
    with typed_errors(as_json):
        born = _birth_date(birth_date)
        if not name.strip() or len(name) > MAX_NAME:
            raise InvalidInput(f"--name takes 1 to {MAX_NAME} characters.", field="name")
        runtime = _demo_runtime()
        if photo.stat().st_size > runtime.settings.image_max_bytes:
            raise InvalidInput("The photo is larger than the image limit.")
        record = _record(secrets.SystemRandom(), photo=photo.read_bytes(), name=name.strip(), id_number=id_number,
                         today=runtime.clock.now().date(), birth_date=born)
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
        runtime = _demo_runtime()
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


@app.command("list")
def list_people(
    limit: int = typer.Option(1000, "--limit", min=1, max=10_000, help="At most this many people, oldest first."),
    full: bool = typer.Option(False, "--full", help="Show whole ID numbers in the table (--json always does)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The demo registry's people, decrypted through the vault: name, ID number, birth date, and
    whether the number has a CivicID already."""
    with typed_errors(as_json):
        runtime = _demo_runtime()
        with runtime.transaction() as session:
            entries = DemoRegistry(session, runtime.vault(session), runtime.clock).entries(limit=limit)
    if as_json:
        print_json({"people": [{"name": e.name, "id_number": e.id_number, "birth_date": e.birth_date.isoformat(),
                                "status": e.status, "enrolled": e.enrolled, "added_at": e.created_at.isoformat()}
                               for e in entries]})
        return
    table = Table("name", "ID number", "birth date", "status", "enrolled",
                  title=f"{len(entries)} demo registry people")
    for entry in entries:
        table.add_row(entry.name, entry.id_number if full else entry.masked_id_number, entry.birth_date.isoformat(),
                      entry.status, "yes" if entry.enrolled else "no")
    console.print(table)


@app.command("remove")
def remove(
    id_number: str = typer.Option(..., "--id-number", help="The person's GB 11643 number."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Remove one person from the demo registry; their encrypted fields are crypto-shredded. A
    CivicID already enrolled with the number is not touched."""
    with typed_errors(as_json):
        runtime = _demo_runtime()
        number = parse_id_number(id_number, today=runtime.clock.now().date()).value
        with runtime.transaction() as session:
            DemoRegistry(session, runtime.vault(session), runtime.clock).remove(number)
    if as_json:
        print_json({"removed": True, "id_number": number})
    else:
        console.print(f"Removed [bold]{number}[/bold] from the demo registry")
