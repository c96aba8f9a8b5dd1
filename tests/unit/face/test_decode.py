"""Safe decoding: every hostile input becomes a typed error, good images become 8-bit RGB."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from civicid.errors import CivicIDError
from civicid.face import errors
from civicid.face.decode import decode_image, header_size, sniff_format

LIMITS = dict(max_bytes=10 * 1024 * 1024, max_pixels=40_000_000)


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def gradient(width: int = 96, height: int = 64) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None].repeat(width, 1)
    return Image.fromarray(np.dstack([x, y, 255 - x]))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (a decompression bomb's shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b"")


# -- format sniffing and headers -------------------------------------------------------------------


@pytest.mark.parametrize("fmt, pil", [("jpeg", "JPEG"), ("png", "PNG"), ("webp", "WEBP")])
def test_header_size_reads_the_dimensions(fmt: str, pil: str) -> None:
    data = encode(gradient(97, 45), pil)
    assert sniff_format(data) == fmt
    assert header_size(data, fmt) == (97, 45, False)


@pytest.mark.parametrize("extended", [False, True], ids=["VP8L", "VP8X"])
def test_webp_lossless_and_extended_headers(extended: bool) -> None:
    params: dict = {"lossless": True}
    if extended:
        exif = Image.Exif()
        exif[0x0112] = 1
        params["exif"] = exif.tobytes()
    data = encode(gradient(50, 40), "WEBP", **params)
    assert data[12:16] == (b"VP8X" if extended else b"VP8L")
    assert header_size(data, "webp") == (50, 40, False)


def test_format_comes_from_the_bytes_not_the_name() -> None:
    assert sniff_format(b"GIF89a....") is None
    assert sniff_format(encode(gradient(), "PNG")) == "png"


# -- hostile inputs ----------------------------------------------------------------------------


def hostile_inputs() -> dict[str, tuple[bytes, type[CivicIDError]]]:
    jpeg = encode(gradient(256, 256), "JPEG")
    frames = [gradient(64, 64), gradient(64, 64).rotate(90)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    gif = buffer.getvalue()
    return {
        "zero bytes": (b"", errors.EmptyImage),
        "text named .jpg": (b"this is not a picture\n", errors.UnsupportedFormat),
        "truncated jpeg": (jpeg[: len(jpeg) // 2], errors.CorruptImage),
        "jpeg magic only": (b"\xff\xd8\xff", errors.CorruptImage),
        "1x1 png": (encode(Image.new("RGB", (1, 1)), "PNG"), errors.ImageTooSmall),
        "31 px side": (encode(gradient(200, 31), "PNG"), errors.ImageTooSmall),
        "png claiming 30000x30000": (png_claiming(30000, 30000), errors.ImageTooLarge),
        "png claiming 7000x7000": (png_claiming(7000, 7000), errors.ImageTooLarge),
        "png with broken body": (png_claiming(64, 64), errors.CorruptImage),
        "animated gif": (gif, errors.UnsupportedFormat),
        "animated png": (_animated("PNG"), errors.AnimatedImage),
        "animated webp": (_animated("WEBP"), errors.AnimatedImage),
        "bmp": (encode(gradient(), "BMP"), errors.UnsupportedFormat),
        "tiff": (encode(gradient(), "TIFF"), errors.UnsupportedFormat),
    }


def _animated(fmt: str) -> bytes:
    buffer = io.BytesIO()
    frames = [gradient(64, 64), gradient(64, 64).rotate(90)]
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:])
    return buffer.getvalue()


@pytest.mark.parametrize("name", list(hostile_inputs()))
def test_hostile_input_gives_a_typed_error(name: str) -> None:
    data, expected = hostile_inputs()[name]
    with pytest.raises(expected) as caught:
        decode_image(data, **LIMITS)
    assert caught.value.code.startswith("image.")


def test_size_limit_is_checked_before_anything_else() -> None:
    data = encode(gradient(), "PNG")
    with pytest.raises(errors.ImageTooLarge):
        decode_image(data, max_bytes=len(data) - 1, max_pixels=LIMITS["max_pixels"])


def test_pixel_limit_is_applied_from_the_header() -> None:
    data = encode(gradient(100, 100), "PNG")
    assert decode_image(data, max_bytes=LIMITS["max_bytes"], max_pixels=10_000).width == 100
    with pytest.raises(errors.ImageTooLarge):
        decode_image(data, max_bytes=LIMITS["max_bytes"], max_pixels=9_999)


def test_random_garbage_after_a_magic_never_escapes() -> None:
    rng = np.random.default_rng(5)
    magics = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBPVP8 "]
    for _ in range(200):
        data = magics[rng.integers(3)] + rng.bytes(int(rng.integers(0, 300)))
        with pytest.raises(errors.ImageError):
            decode_image(data, **LIMITS)


# -- conversions -----------------------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb() -> None:
    rgb = gradient(80, 60)
    decoded = decode_image(encode(rgb.convert("CMYK"), "JPEG", quality=95), **LIMITS)
    assert decoded.pixels.shape == (60, 80, 3) and decoded.pixels.dtype == np.uint8
    assert np.abs(decoded.pixels.astype(int) - np.asarray(rgb, dtype=int)).mean() < 8


def test_16_bit_png_keeps_the_high_byte() -> None:
    grey = np.linspace(0, 65535, 64 * 48, dtype=np.uint16).reshape(48, 64)
    decoded = decode_image(encode(Image.fromarray(grey), "PNG"), **LIMITS)
    assert decoded.pixels.dtype == np.uint8
    np.testing.assert_array_equal(decoded.pixels[..., 0], (grey >> 8).astype(np.uint8))
    np.testing.assert_array_equal(decoded.pixels[..., 0], decoded.pixels[..., 2])


def test_transparent_pixels_are_composited_on_white() -> None:
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    rgba[:20, :, :] = (10, 20, 30, 255)  # opaque top half, transparent bottom half
    decoded = decode_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"), **LIMITS)
    assert tuple(decoded.pixels[5, 5]) == (10, 20, 30)
    assert tuple(decoded.pixels[35, 5]) == (255, 255, 255)


def test_palette_and_grey_images_become_rgb() -> None:
    for image in (gradient().convert("P"), gradient().convert("L"), gradient().convert("1")):
        decoded = decode_image(encode(image, "PNG"), **LIMITS)
        assert decoded.pixels.shape == (64, 96, 3)


@pytest.mark.parametrize("orientation, shape", [(1, (64, 96)), (3, (64, 96)), (6, (96, 64)), (8, (96, 64))])
def test_exif_orientation_is_applied(orientation: int, shape: tuple[int, int]) -> None:
    image = gradient(96, 64)
    exif = Image.Exif()
    exif[0x0112] = orientation
    decoded = decode_image(encode(image, "JPEG", exif=exif, quality=95), **LIMITS)
    assert decoded.pixels.shape[:2] == shape
    # The blue channel (255 - x) is brightest at the original left edge; follow it around.
    original_left = {1: decoded.pixels[:, 0], 3: decoded.pixels[:, -1], 6: decoded.pixels[0, :], 8: decoded.pixels[-1, :]}
    assert original_left[orientation][..., 2].mean() > 240


def test_pixels_are_read_only() -> None:
    decoded = decode_image(encode(gradient(), "PNG"), **LIMITS)
    assert not decoded.pixels.flags.writeable
    assert decoded.format == "png"
