"""The "try it" page of demo mode: a visitor adds themself to the demo registry from one camera
still, then enrols at /enrol with the ID number it answers (issue 13, "Operators, in demo mode").

Mounted only when the demo registry is the service's registry (``registry.demo.demo_registry_in_use``:
CIVICID_DEMO on, no CIVICID_REGISTRY_URL); otherwise both paths are 404 and absent from the
OpenAPI document.

The photo comes as base64 in JSON, within the boundary's ordinary body limit (``max_body_bytes``,
64 KiB by default): the page scales and compresses its still to fit, and a registry photo needs
no more than a camera frame. It is checked the way enrolment reads a registry photo (decoded
within the image limits, then the service's face engine) and must hold exactly one face of
sufficient quality (size, sharpness, exposure), or the visitor's enrolment would fail later.
The photo is kept only sealed in the registry row, like any registry photo.

Each client may try ``TRIES_PER_CLIENT_PER_HOUR`` times an hour (face work costs CPU), and create
``PEOPLE_PER_CLIENT_PER_HOUR`` people (a refused photo does not count against those).
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from civicid import __version__
from civicid.enrolment.limits import AttemptLimiter, Hit
from civicid.errors import InvalidInput
from civicid.face.decode import decode_image
from civicid.face.probe import single_face
from civicid.ids import IdNumberBirthDate
from civicid.ids.gb11643 import EARLIEST_BIRTH_DATE
from civicid.registry.demo import DemoRegistry
from civicid.registry.demo_people import demo_record, random_adult_birth_date
from civicid.registry.errors import DemoPeopleLimit, PhotoUnusable, RegistryDuplicate
from civicid.runtime import Runtime
from civicid.web.deps import ClientDep, RuntimeDep, unit_of_work

router = APIRouter()
PAGE_PATH = "/demo/try"
API_PATH = "/api/v1/demo/registry"
TRIES_PER_CLIENT_PER_HOUR = 30
PEOPLE_PER_CLIENT_PER_HOUR = 5
MAX_NAME = 200
JSON_OVERHEAD_BYTES = 1024  # the name, the birth date and the JSON around the photo
# The probe quality flags that refuse a photo. Not the pose ("not_frontal"): a laptop's camera
# sits below the eyes, and a frontal face then reads 25-30 degrees of pitch (the e2e recording's
# first frames do); enrolment reads a registry photo's face without a pose check either.
REFUSED_QUALITY_FLAGS = frozenset({"face_too_small", "blurry", "underexposed", "overexposed"})


def photo_max_bytes(settings) -> int:
    """The largest photo (decoded bytes) whose base64 JSON fits the body limit and the image limit."""
    return min(settings.image_max_bytes, (settings.max_body_bytes - JSON_OVERHEAD_BYTES) * 3 // 4)


class DemoPersonIn(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME, description="Full name, as enrolment will ask for it.")
    birth_date: date | None = Field(None, description="YYYY-MM-DD; without it, an adult's birth date is drawn.")
    photo_jpeg_b64: str = Field(min_length=4, max_length=64 * 1024 * 1024, description=(
        "The registry photo (JPEG, PNG or WebP; one face), standard base64. Its size is limited by "
        "the request body limit."))


class DemoPersonOut(BaseModel):
    id_number: str = Field(description="The generated GB 11643-1999 number: enrol with it and the name.")
    name: str
    birth_date: date


class PhotoInvalid(InvalidInput):
    code = "registry.photo_invalid"
    default_message = "The photo is not valid base64."


_ERRORS = {
    413: {"description": "The photo is too large (image.too_large, request.too_large)"},
    415: {"description": "Not a JPEG, PNG or WebP (image.unsupported_format)"},
    422: {"description": "Invalid name, birth date or photo; no face, several faces, or a poor one "
                         "(request.invalid, registry.photo_invalid, image.*, face.not_found, face.multiple, "
                         "registry.photo_quality, id_number.birth_date)"},
    429: {"description": "Too many tries or people from this client (registry.demo_people_limit)"},
}


@router.get(PAGE_PATH, response_class=HTMLResponse, include_in_schema=False)
def try_page(request: Request) -> HTMLResponse:
    settings = request.app.state.settings
    return request.app.state.templates.TemplateResponse(request, "demo/try.html", {
        "version": __version__, "photo_max_bytes": photo_max_bytes(settings), "api_path": API_PATH})


@router.post(API_PATH, status_code=201, response_model=DemoPersonOut, tags=["demo"], responses=_ERRORS)
async def create_demo_person(body: DemoPersonIn, response: Response, runtime: RuntimeDep,
                             client: ClientDep) -> DemoPersonOut:
    """Demo mode only: add a person with this name and photo to the demo registry, with a
    generated ID number (encoding ``birth_date`` when given). The photo must show exactly one face,
    large, sharp and well exposed."""
    name = body.name.strip()
    if not name:
        raise InvalidInput("The name is empty.", field="name")
    if body.birth_date is not None and not EARLIEST_BIRTH_DATE <= body.birth_date <= runtime.clock.now().date():
        raise IdNumberBirthDate(f"The birth date must be between {EARLIEST_BIRTH_DATE.isoformat()} and today.",
                                reason="out_of_range")
    photo = _photo(body.photo_jpeg_b64, max_bytes=photo_max_bytes(runtime.settings))
    # Units of work in the thread pool, as route units (web.deps): the event loop stays free.
    created = await run_in_threadpool(unit_of_work, runtime, lambda session: _count_try(runtime, session, client))
    try:
        await run_in_threadpool(check_registry_photo, runtime, photo)
    except Exception:
        await run_in_threadpool(unit_of_work, runtime,
                                lambda session: AttemptLimiter.for_runtime(runtime, session).release(created))
        raise
    record = await run_in_threadpool(unit_of_work, runtime, lambda session: _add(
        runtime, session, name=name, photo=photo, birth_date=body.birth_date))
    response.headers["Cache-Control"] = "no-store"
    return DemoPersonOut(id_number=record.id_number, name=record.name, birth_date=record.birth_date)


def _photo(text: str, *, max_bytes: int) -> bytes:
    try:
        photo = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PhotoInvalid() from None
    if len(photo) > max_bytes:
        from civicid.face.errors import ImageTooLarge

        raise ImageTooLarge(f"The photo may be at most {max_bytes} bytes.")
    return photo


def _count_try(runtime: Runtime, session, client: str) -> Hit:
    """Count the try (kept) and the person it may create (released if the photo is refused)."""
    limiter = AttemptLimiter.for_runtime(runtime, session)
    limiter.hit("demo_try", client, limit=TRIES_PER_CLIENT_PER_HOUR, window=timedelta(hours=1), error=DemoPeopleLimit)
    return limiter.hit("demo_person", client, limit=PEOPLE_PER_CLIENT_PER_HOUR, window=timedelta(hours=1),
                       error=DemoPeopleLimit)


def check_registry_photo(runtime: Runtime, photo: bytes) -> None:
    """Decoded within the image limits (a camera still: ``live_frame_max_pixels``), then exactly
    one face, large, sharp and exposed as a probe's must be. Raises ImageError, FaceNotFound,
    MultipleFaces or PhotoUnusable (with the quality flags)."""
    settings = runtime.settings
    image = decode_image(photo, max_bytes=settings.image_max_bytes, max_pixels=settings.live_frame_max_pixels)
    face = single_face(runtime.face_engine.detect(image))
    flags = [flag for flag in face.quality.flags if flag in REFUSED_QUALITY_FLAGS]
    if flags:
        raise PhotoUnusable(flags=flags)


def _add(runtime: Runtime, session, *, name: str, photo: bytes, birth_date: date | None):
    registry = DemoRegistry(session, runtime.vault(session), runtime.clock)
    today = runtime.clock.now().date()
    born = birth_date or random_adult_birth_date(runtime.random, today=today)
    for _ in range(3):  # a generated number that is taken already: draw another
        record = demo_record(runtime.random, today=today, name=name, photo=photo, birth_date=born)
        try:
            registry.add(record)
            return record
        except RegistryDuplicate:
            continue
    raise RegistryDuplicate("No free ID number was found for this birth date; try again.")
