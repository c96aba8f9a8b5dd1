"""Enrolment through the real HTTP API with real frames.

A random challenge (four actions at random prompt times) cannot be answered by a recording, and
starting sessions until one happens to fit is what the challenge design stops; so the live server
pins the challenge to what the recording shows (CIVICID_TEST_CHALLENGE, test environment only).
The recording (genuine_webcam_blink_turn_clm.mp4, VIDEOS.md) shows a turn with the nose toward
image-left at 0.5-1.2 s (the person's own right: ``turn_right``) and a turn the other way at
1.9-2.4 s (``turn_left``); the test uploads an unedited, contiguous stretch with real timestamps.
"""

from __future__ import annotations

from pathlib import Path


import httpx

from civicid.face.video import sample_frames

CLIP = "genuine_webcam_blink_turn_clm.mp4"
CLIP_ORDER = ("turn_right", "turn_left", "blink")
PHOTO_AT_S = 3.0  # the registry photo: a frontal frame between the turns and the blink


def shown_by_clip(actions: list[str]) -> bool:
    """Whether ``actions`` appear in the recording in this order (a subsequence of CLIP_ORDER)."""
    remaining = iter(CLIP_ORDER)
    return all(action in remaining for action in actions)


def stretch_for(actions: list[str]) -> tuple[float, float]:
    return (0.0, 7.2) if "blink" in actions else (0.0, 2.8)


def registry_photo(clip: Path) -> bytes:
    return sample_frames(clip, fps=15, start_s=PHOTO_AT_S, end_s=PHOTO_AT_S + 0.2)[0].jpeg


def enrol_over_http(base_url: str, clip: Path, *, id_number: str, name: str, max_starts: int = 1) -> dict:
    """Returns the enrolment's JSON answer (decision, network_id, session_token) and the challenge."""
    with httpx.Client(base_url=base_url, timeout=300) as client:
        started = client.post("/api/v1/enrolments", json={"id_number": id_number, "name": name})
        started.raise_for_status()
        actions = started.json()["challenge"]["actions"]
        if not shown_by_clip(actions):
            raise AssertionError(f"the server's challenge {actions} is not what the recording shows")
        start_s, end_s = stretch_for(actions)
        frames = sample_frames(clip, fps=15, start_s=start_s, end_s=end_s)
        files = [("frames", (f"{i:03d}.jpg", frame.jpeg, "image/jpeg")) for i, frame in enumerate(frames)]
        data = {"timestamps_ms": ",".join(str(frame.t_ms) for frame in frames)}
        decided = client.post(f"/api/v1/enrolments/{started.json()['session_id']}/frames", files=files, data=data)
        if decided.status_code != 200:
            raise AssertionError(f"enrolment answered {decided.status_code}: {decided.text}")
        return {**decided.json(), "challenge": actions, "frames": len(frames)}
