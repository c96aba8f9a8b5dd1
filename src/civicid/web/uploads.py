"""Frame uploads parsed in memory, within limits, before any decoding.

Starlette's form parser spools large files to temporary files on disk; selfie frames must never
touch the disk (DESIGN.md principle 2), so the body is read with a cap and parsed here.
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from email.parser import BytesParser

from fastapi import Request

from civicid.enrolment.errors import FramesInvalid
from civicid.enrolment.frames import Frame
from civicid.web.boundary.text import text_is_clean
from civicid.web.errors import InvalidCharacters

FORM_OVERHEAD_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class FrameUpload:
    fields: dict[str, str]
    frames: tuple[Frame, ...]


async def read_frames(request: Request, *, max_frames: int, max_frame_bytes: int, max_total_bytes: int) -> FrameUpload:
    """``multipart/form-data`` with one ``frames`` file part per JPEG frame and a ``timestamps_ms``
    field listing each frame's client capture time in milliseconds, comma-separated, in order."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise FramesInvalid("Send the frames as multipart/form-data.")
    cap = max_total_bytes + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise FramesInvalid(f"The upload is larger than {max_total_bytes} bytes of frames allow.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise FramesInvalid(f"The upload is larger than {max_total_bytes} bytes of frames allow.")

    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + bytes(body))
    if not message.is_multipart():
        raise FramesInvalid("The multipart body could not be parsed.")
    fields: dict[str, str] = {}
    images: list[bytes] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == "frames":
            if len(images) >= max_frames:
                raise FramesInvalid(f"At most {max_frames} frames are accepted.")
            if len(payload) > max_frame_bytes:
                raise FramesInvalid(f"Frame {len(images)} is larger than {max_frame_bytes} bytes.")
            images.append(payload)
        elif isinstance(name, str) and len(fields) < 16 and len(payload) <= 16 * 1024:
            fields[name] = payload.decode("utf-8", errors="replace")
            if not text_is_clean(fields[name]):  # as the boundary refuses them in JSON and forms
                raise InvalidCharacters()
    if not images:
        raise FramesInvalid("No frames were sent (use the form field 'frames').")
    if sum(map(len, images)) > max_total_bytes:
        raise FramesInvalid(f"The frames are larger than {max_total_bytes} bytes in all.")
    timestamps = parse_timestamps(fields.get("timestamps_ms", ""), len(images))
    return FrameUpload(fields=fields, frames=tuple(Frame(t, data) for t, data in zip(timestamps, images)))


def frames_form_openapi(**fields: str) -> dict:
    """``openapi_extra`` for a route that reads its body with ``read_frames`` (FastAPI cannot
    see it): the multipart form, with ``fields`` (name → description) besides the frames."""
    properties = {
        "frames": {"type": "array", "items": {"type": "string", "format": "binary"},
                   "description": "One JPEG per part, in capture order."},
        "timestamps_ms": {"type": "string", "pattern": "^[0-9]+(,[0-9]+)*$",
                          "description": "Each frame's capture time in ms, comma-separated, in order."},
        **{name: {"type": "string", "description": description} for name, description in fields.items()},
    }
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["frames", "timestamps_ms", *fields], "properties": properties}}}}}


def parse_timestamps(text: str, count: int) -> list[int]:
    try:
        values = [int(value) for value in text.split(",") if value.strip()]
    except ValueError:
        raise FramesInvalid("timestamps_ms must be comma-separated integers.") from None
    if len(values) != count:
        raise FramesInvalid(f"Send one timestamp per frame ({count} frames, {len(values)} timestamps).")
    return values
