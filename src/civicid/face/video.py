"""Sample a video file into timestamped JPEG frames, the same input the enrolment API receives.

DESIGN.md, Flows, Enrolment: "client streams frames". The HTTP client sends JPEG frames with
client timestamps (at most 150, at >= 15 fps while an action is expected); ``civicid enrol --video``
and the tests turn a recorded clip into exactly that with :func:`sample_frames`, so the liveness
decision sees the same data whichever way the frames arrived.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from PIL import Image

from civicid.face.video_errors import VideoEmpty, VideoTooLarge, VideoUnreadable


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One sampled frame: milliseconds from the start of the video, and the frame as JPEG."""

    t_ms: int
    jpeg: bytes


def sample_frames(
    source: str | os.PathLike[str] | bytes,
    *,
    fps: float = 15.0,
    max_frames: int = 150,
    max_side: int = 640,
    start_s: float = 0.0,
    end_s: float | None = None,
    jpeg_quality: int = 90,
    max_bytes: int = 64 * 1024 * 1024,
    max_pixels: int = 4096 * 4096,
) -> tuple[VideoFrame, ...]:
    """Frames at about ``fps`` (never more than the video has) from ``start_s`` up to ``end_s``.

    Frames are turned upright when the container carries a rotation, scaled down so that the
    longer side is at most ``max_side``, and encoded as JPEG. Timestamps count from the first frame
    of the video (not from ``start_s``), so they match the event times in VIDEOS.md. Sampling stops
    after ``max_frames`` frames.

    Raises :class:`VideoUnreadable` (missing, corrupt, not a video), :class:`VideoEmpty` (no frame in
    the range) and :class:`VideoTooLarge` (file over ``max_bytes`` or frame over ``max_pixels``).
    """
    if fps <= 0 or max_frames < 1 or max_side < 1:
        raise ValueError("fps, max_frames and max_side must be positive")
    frames: list[VideoFrame] = []
    try:
        for t_s, image in _sampled_images(_open_input(source, max_bytes=max_bytes), fps=fps,
                                          start_s=start_s, end_s=end_s, max_pixels=max_pixels):
            frames.append(VideoFrame(t_ms=round(t_s * 1000), jpeg=_to_jpeg(image, max_side, jpeg_quality)))
            if len(frames) >= max_frames:
                break
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise VideoUnreadable(reason=type(exc).__name__) from exc
    if not frames:
        raise VideoEmpty()
    return tuple(frames)


def frames_between(frames: Iterable[VideoFrame], start_s: float, end_s: float) -> tuple[VideoFrame, ...]:
    """The frames with ``start_s <= t < end_s``."""
    start_ms, end_ms = start_s * 1000, end_s * 1000
    return tuple(frame for frame in frames if start_ms <= frame.t_ms < end_ms)


def _open_input(source: str | os.PathLike[str] | bytes, *, max_bytes: int) -> Any:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise VideoEmpty("The video is empty.")
        if len(data) > max_bytes:
            raise VideoTooLarge(size=len(data), limit=max_bytes)
        return io.BytesIO(data)
    path = Path(source)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise VideoUnreadable("The video file could not be opened.", reason=type(exc).__name__) from exc
    if size > max_bytes:
        raise VideoTooLarge(size=size, limit=max_bytes)
    if size == 0:
        raise VideoEmpty("The video is empty.")
    return str(path)


def _sampled_images(
    file: Any, *, fps: float, start_s: float, end_s: float | None, max_pixels: int
) -> Iterator[tuple[float, Image.Image]]:
    with av.open(file, mode="r") as container:
        if not container.streams.video:
            raise VideoUnreadable("The file has no video stream.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > max_pixels:
            raise VideoTooLarge(width=width, height=height, limit=max_pixels)
        origin: float | None = None
        next_t = start_s
        period = 1.0 / fps
        # Half a source frame of slack so that 15 fps from a 30 fps clip takes every second frame
        # instead of drifting onto the later neighbour.
        slack = 0.5 / float(stream.average_rate) if stream.average_rate else 0.0
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            if origin is None:
                origin = frame.time
            t = frame.time - origin
            if end_s is not None and t >= end_s:
                break
            if t + slack < next_t:
                continue
            while next_t <= t + slack:
                next_t += period
            yield t, _upright(frame)


def _upright(frame: av.VideoFrame) -> Image.Image:
    image = Image.fromarray(np.ascontiguousarray(frame.to_ndarray(format="rgb24")))
    # FFmpeg's display-matrix angle is counterclockwise; PIL's rotate() is counterclockwise too,
    # and turning the picture by the angle the matrix describes gives the upright view.
    rotation = round(getattr(frame, "rotation", 0) or 0) % 360
    if rotation:
        image = image.rotate(rotation, expand=True)
    return image


def _to_jpeg(image: Image.Image, max_side: int, quality: int) -> bytes:
    longest = max(image.size)
    if longest > max_side:
        scale = max_side / longest
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()
