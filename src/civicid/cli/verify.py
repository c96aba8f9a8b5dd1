"""``civicid verify A B``: a 1:1 comparison of the faces in two image files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from civicid.cli.output import EXIT_NEGATIVE, EXIT_OK, console, print_json, typed_errors
from civicid.errors import CivicIDError
from civicid.face.batch import read_limited
from civicid.face.compare import compare
from civicid.face.errors import ImageUnreadable
from civicid.face.interfaces import FaceEngine
from civicid.face.models import Face
from civicid.face.probe import encode_probe
from civicid.runtime import service_engine
from civicid.settings import Settings


def verify(
    left: Path = typer.Argument(..., help="First image (JPEG, PNG or WebP)."),
    right: Path = typer.Argument(..., help="Second image."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Compare two faces 1:1. Exit 0 = match, 1 = no match, 2 = error."""
    settings = Settings()
    engine = service_engine(settings)
    with typed_errors(as_json):
        faces = [_encode(engine, path, side, settings) for side, path in (("left", left), ("right", right))]
        result = compare(faces[0].embedding, faces[1].embedding, threshold=settings.face_threshold or engine.threshold)
    sides = {side: _face_json(path, face) for side, path, face in zip(("left", "right"), (left, right), faces)}
    if as_json:
        print_json({"match": result.match, "distance": result.distance, "threshold": result.threshold,
                    "engine": engine.name, **sides})
    else:
        verdict = "[green]match[/green]" if result.match else "[red]no match[/red]"
        console.print(f"{verdict}  distance {result.distance:.4f}  threshold {result.threshold:.4f}")
        for side, body in sides.items():
            flags = ", ".join(body["flags"]) or "none"
            q = body["quality"]
            console.print(
                f"  {side}: {body['file']}  inter-eye {q['inter_eye_px']:.0f}px  sharpness {q['sharpness']:.0f}  "
                f"brightness {q['brightness']:.0f}  yaw {q['yaw_deg']:+.0f}°  pitch {q['pitch_deg']:+.0f}°  flags: {flags}",
                markup=False,
            )
    raise typer.Exit(EXIT_OK if result.match else EXIT_NEGATIVE)


def _encode(engine: FaceEngine, path: Path, side: str, settings: Settings) -> Face:
    try:
        data = read_limited(path, max_bytes=settings.image_max_bytes)
    except OSError as exc:
        raise ImageUnreadable(f"{path} could not be read: {exc.strerror}", image=side) from exc
    try:
        return encode_probe(engine, data, max_bytes=settings.image_max_bytes, max_pixels=settings.image_max_pixels)
    except CivicIDError as exc:
        exc.detail.setdefault("image", side)
        raise


def _face_json(path: Path, face: Face) -> dict[str, Any]:
    q = face.quality
    return {
        "file": str(path),
        "box": [face.box.left, face.box.top, face.box.right, face.box.bottom],
        "quality": {
            "inter_eye_px": q.inter_eye_px,
            "sharpness": q.sharpness,
            "brightness": q.brightness,
            "yaw_deg": q.yaw_deg,
            "pitch_deg": q.pitch_deg,
        },
        "flags": list(q.flags),
        "acceptable": q.acceptable,
    }
