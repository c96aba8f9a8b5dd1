"""Safe image decoding: untrusted bytes in, an 8-bit RGB :class:`DecodedImage` out.

DESIGN.md principle 7: images are size-, format- and pixel-limited before decoding. The format is
recognised from the magic bytes (never the file name) and the pixel count is read from the
format's own header by :func:`header_size` before Pillow allocates anything, so a
decompression bomb is refused without being decompressed. Every rejection is a typed
:class:`~civicid.face.errors.ImageError`; no Pillow exception escapes :func:`decode_image`.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image

from civicid.errors import CivicIDError
from civicid.face.errors import (
    AnimatedImage,
    CorruptImage,
    EmptyImage,
    ImageTooLarge,
    ImageTooSmall,
    UnsupportedFormat,
)
from civicid.face.models import DecodedImage

MIN_SIDE_PX = 32

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PIL_FORMAT = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
# EXIF orientation (tag 0x0112) → the transposition that makes the image upright.
_ORIENTATION = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}
# JPEG start-of-frame markers (C4 = DHT, C8 = JPG extension, CC = DAC are not frames).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def sniff_format(data: bytes) -> str | None:
    """``"jpeg"``, ``"png"`` or ``"webp"`` from the magic bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == _PNG_MAGIC:
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def header_size(data: bytes, fmt: str) -> tuple[int, int, bool]:
    """(width, height, animated) read from the header alone. Raises CorruptImage."""
    try:
        if fmt == "png":
            return _png_header(data)
        if fmt == "webp":
            return _webp_header(data)
        return _jpeg_header(data)
    except (struct.error, IndexError) as exc:
        raise CorruptImage("The image header is truncated.") from exc


def _png_header(data: bytes) -> tuple[int, int, bool]:
    # PNG §11.2.2: IHDR is the first chunk, 13 bytes long.
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        raise CorruptImage("The PNG header is malformed.")
    width, height = struct.unpack(">II", data[16:24])
    # APNG: an acTL chunk before the first IDAT announces an animation.
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"acTL":
            return width, height, True
        if kind == b"IDAT":
            break
        pos += 12 + length
    return width, height, False


def _webp_header(data: bytes) -> tuple[int, int, bool]:
    # RFC 9649 §2.5-2.7: simple lossy (VP8), simple lossless (VP8L) or extended (VP8X) format.
    chunk = data[12:16]
    if chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise CorruptImage("The WebP (VP8) header is malformed.")
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF, False
    if chunk == b"VP8L":
        if data[20] != 0x2F:
            raise CorruptImage("The WebP (VP8L) header is malformed.")
        bits = struct.unpack("<I", data[21:25])[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, False
    if chunk == b"VP8X":
        if len(data) < 30:
            raise CorruptImage("The WebP (VP8X) header is truncated.")
        flags = data[20]
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height, bool(flags & 0x02)
    raise CorruptImage("The WebP header is malformed.")


def _jpeg_header(data: bytes) -> tuple[int, int, bool]:
    # ITU-T T.81 §B.1.1: walk the marker segments up to the first start-of-frame.
    pos = 2
    while True:
        if data[pos] != 0xFF:
            raise CorruptImage("The JPEG marker stream is malformed.")
        while data[pos] == 0xFF:
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0xD9 or marker == 0xDA:
            raise CorruptImage("The JPEG has no frame header.")
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            return width, height, False
        if length < 2:
            raise CorruptImage("The JPEG marker stream is malformed.")
        pos += length


def decode_image(data: bytes, *, max_bytes: int, max_pixels: int) -> DecodedImage:
    """Decode JPEG, PNG or WebP bytes into upright 8-bit RGB.

    Checks, in order: empty → size in bytes → magic bytes → header (dimensions, animation)
    → pixel count and minimum side → full decode. Raises only ImageError subclasses.
    """
    if not data:
        raise EmptyImage()
    if len(data) > max_bytes:
        raise ImageTooLarge(f"The image is larger than {max_bytes} bytes.", max_bytes=max_bytes)
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedFormat()
    width, height, animated = header_size(data, fmt)
    _check_dimensions(width, height, max_pixels=max_pixels)
    if animated:
        raise AnimatedImage()
    try:
        pixels = _decode(data, fmt, width, height, max_pixels=max_pixels)
    except CivicIDError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"The image has more than {max_pixels} pixels.", max_pixels=max_pixels) from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, EOFError, ...
        raise CorruptImage() from exc
    pixels.setflags(write=False)
    return DecodedImage(pixels=pixels, format=fmt)


def _check_dimensions(width: int, height: int, *, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageTooLarge(f"The image has more than {max_pixels} pixels.", max_pixels=max_pixels)
    if min(width, height) < MIN_SIDE_PX:
        raise ImageTooSmall(f"Each side of the image must be at least {MIN_SIDE_PX} pixels.")


def _decode(data: bytes, fmt: str, width: int, height: int, *, max_pixels: int) -> np.ndarray:
    with Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[fmt]]) as image:
        if image.size != (width, height):
            raise CorruptImage("The image header is inconsistent.")
        if fmt != "jpeg" and getattr(image, "n_frames", 1) > 1:
            # JPEG may carry MPF side images (depth maps); only the first frame is used.
            raise AnimatedImage()
        image.load()
        orientation = _orientation(image)
        rgb = _to_rgb(image)
    for step in _ORIENTATION.get(orientation, ()):
        rgb = rgb.transpose(step)
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # malformed EXIF is common in the wild; the pixels are still good
        return 1


def _to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB; alpha is composited on white, 16-bit samples keep their high byte."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        wide = np.asarray(image).astype(np.uint32)
        grey = (np.clip(wide, 0, 0xFFFF) >> 8).astype(np.uint8)
        return Image.fromarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode != "RGB":
        return image.convert("RGB")
    return image
