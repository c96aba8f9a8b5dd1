from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from civicid.errors import CivicIDError
from civicid.face.video import VideoFrame, frames_between, sample_frames
from civicid.face.video_errors import VideoEmpty, VideoTooLarge, VideoUnreadable

CLM = "genuine_webcam_blink_turn_clm.mp4"  # 400x300, 25 fps, 8 s
LP = "genuine_selfie_blinks_lp_d13.mp4"  # 360x640, 30 fps, 8 s
ZUB = "genuine_webcam_headturn_zub.mp4"  # 640x360, 15 fps, 8 s


def _write_counter_video(path: Path, *, fps: int = 30, frames: int = 30, size: tuple[int, int] = (64, 48)) -> None:
    """A clip whose frame k is uniformly grey at level 8 * k, so a sampled frame names its source."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "0"}
        for k in range(frames):
            pixels = np.full((size[1], size[0], 3), 8 * k, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _source_index(frame: VideoFrame) -> int:
    return round(float(np.asarray(Image.open(io.BytesIO(frame.jpeg))).mean()) / 8)


@pytest.fixture()
def counter_video(tmp_path: Path) -> Path:
    path = tmp_path / "counter.mp4"
    _write_counter_video(path)
    return path


def test_half_the_source_rate_takes_every_second_frame(counter_video: Path) -> None:
    frames = sample_frames(counter_video, fps=15)
    assert [_source_index(f) for f in frames] == list(range(0, 30, 2))
    assert [f.t_ms for f in frames] == [round(k * 1000 / 30) for k in range(0, 30, 2)]


def test_a_rate_above_the_source_takes_every_frame_once(counter_video: Path) -> None:
    frames = sample_frames(counter_video, fps=100)
    assert [_source_index(f) for f in frames] == list(range(30))


def test_start_end_and_max_frames(counter_video: Path) -> None:
    frames = sample_frames(counter_video, fps=30, start_s=0.5, end_s=0.8)
    assert [_source_index(f) for f in frames] == list(range(15, 24))
    assert frames[0].t_ms == 500  # times count from the start of the video, not from start_s
    assert len(sample_frames(counter_video, fps=30, max_frames=7)) == 7


def test_bytes_and_path_give_the_same_frames(counter_video: Path) -> None:
    assert sample_frames(counter_video.read_bytes(), fps=10) == sample_frames(counter_video, fps=10)


def test_frames_between_is_half_open() -> None:
    frames = tuple(VideoFrame(t_ms=t, jpeg=b"") for t in (0, 500, 1000, 1500, 2000))
    assert [f.t_ms for f in frames_between(frames, 0.5, 1.5)] == [500, 1000]
    assert frames_between(frames, 3, 4) == ()


def test_frames_are_jpeg_and_scaled_to_max_side(counter_video: Path) -> None:
    frame = sample_frames(counter_video, fps=1, max_side=32)[0]
    image = Image.open(io.BytesIO(frame.jpeg))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.size == (32, 24)
    assert Image.open(io.BytesIO(sample_frames(counter_video, fps=1)[0].jpeg)).size == (64, 48)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg command to tag a rotation")
def test_a_rotated_phone_clip_comes_out_upright(tmp_path: Path) -> None:
    plain = tmp_path / "plain.mp4"
    with av.open(str(plain), mode="w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        pixels = np.zeros((32, 64, 3), dtype=np.uint8)
        pixels[:, :16] = 255  # a white band at image-left
        for _ in range(3):
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(plain), "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", str(rotated)], check=True)
    upright = np.asarray(Image.open(io.BytesIO(sample_frames(rotated, fps=10)[0].jpeg)).convert("L"))
    # What `ffmpeg -i rotated.mp4 out.png` (autorotate) shows: turned a quarter counterclockwise,
    # so the band that was at image-left is now along the bottom.
    assert upright.shape == (64, 32)
    assert upright[-10:].mean() > 200 and upright[:40].mean() < 50


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(VideoUnreadable) as info:
        sample_frames(tmp_path / "nope.mp4")
    assert info.value.code == "video.unreadable"
    assert isinstance(info.value, CivicIDError)


@pytest.mark.parametrize("data", [b"not a video at all" * 100, b"\x00\x00\x00\x18ftypmp42" + bytes(500)])
def test_garbage_is_unreadable(data: bytes) -> None:
    with pytest.raises(VideoUnreadable):
        sample_frames(data)


def test_a_truncated_clip_is_unreadable(counter_video: Path) -> None:
    data = counter_video.read_bytes()
    with pytest.raises(VideoUnreadable):
        sample_frames(data[: len(data) // 2])


def test_empty_input(tmp_path: Path) -> None:
    with pytest.raises(VideoEmpty) as info:
        sample_frames(b"")
    assert info.value.code == "video.empty"
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoEmpty):
        sample_frames(tmp_path / "empty.mp4")


def test_a_range_after_the_end_has_no_frames(counter_video: Path) -> None:
    with pytest.raises(VideoEmpty):
        sample_frames(counter_video, start_s=5.0)


def test_size_limits_apply_before_decoding(counter_video: Path) -> None:
    with pytest.raises(VideoTooLarge) as info:
        sample_frames(counter_video.read_bytes(), max_bytes=100)
    assert (info.value.code, info.value.status) == ("video.too_large", 413)
    with pytest.raises(VideoTooLarge):
        sample_frames(counter_video, max_bytes=100)
    with pytest.raises(VideoTooLarge):
        sample_frames(counter_video, max_pixels=64 * 48 - 1)


@pytest.mark.parametrize("kwargs", [{"fps": 0}, {"max_frames": 0}, {"max_side": 0}])
def test_nonsense_arguments_are_programming_errors(counter_video: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        sample_frames(counter_video, **kwargs)


@pytest.mark.data
@pytest.mark.parametrize(
    "clip, source_fps, size",
    [(CLM, 25, (400, 300)), (LP, 30, (360, 640)), (ZUB, 15, (640, 360))],
)
def test_real_clips_at_15_fps(videos_dir: Path, clip: str, source_fps: int, size: tuple[int, int]) -> None:
    frames = sample_frames(videos_dir / clip, fps=15.0)
    times = [f.t_ms for f in frames]
    gaps = np.diff(times)
    assert len(frames) == 120  # 8 s at 15 fps (every source frame for the 15 fps clip)
    assert times[0] == 0 and times[-1] < 8000
    assert gaps.min() >= 1000 / source_fps - 1 and gaps.max() <= 1000 / 15 + 1000 / source_fps + 1
    assert Image.open(io.BytesIO(frames[0].jpeg)).size == size


@pytest.mark.data
def test_real_clip_is_capped_at_150_frames(videos_dir: Path) -> None:
    assert len(sample_frames(videos_dir / LP, fps=30.0)) == 150
