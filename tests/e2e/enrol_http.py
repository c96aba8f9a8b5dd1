"""Enrolment through the real HTTP API with real frames, and no test hook in the server.

The server draws its liveness challenge at random and the test does not pin it. The recording
(genuine_webcam_blink_turn_clm.mp4, VIDEOS.md) shows, in this order, a turn with the nose toward
image-left at 0.5–1.2 s (the person's own right: ``turn_right``), a turn the other way at 1.9–2.4 s
(``turn_left``) and a blink at 6.60–6.72 s. So the test starts enrolment sessions until the
challenge is one the recording happens to show — its actions in the recording's order, which about
three challenges in ten are — and then uploads an unedited, contiguous stretch of the recording
with its real timestamps: 0–2.8 s for two turns, 0–7.2 s when a blink is asked. Nothing is cut,
reordered or re-timed to fit. The sessions it abandons expire unused; none counts as a failure.
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


def enrol_over_http(base_url: str, clip: Path, *, id_number: str, name: str, max_starts: int = 60) -> dict:
    """Returns the enrolment's JSON answer (decision, network_id, session_token) and the challenge."""
    with httpx.Client(base_url=base_url, timeout=300) as client:
        for _ in range(max_starts):
            started = client.post("/api/v1/enrolments", json={"id_number": id_number, "name": name})
            started.raise_for_status()
            actions = started.json()["challenge"]["actions"]
            if shown_by_clip(actions):
                break
        else:
            raise AssertionError(f"no challenge the recording shows in {max_starts} sessions")
        start_s, end_s = stretch_for(actions)
        frames = sample_frames(clip, fps=15, start_s=start_s, end_s=end_s)
        files = [("frames", (f"{i:03d}.jpg", frame.jpeg, "image/jpeg")) for i, frame in enumerate(frames)]
        data = {"timestamps_ms": ",".join(str(frame.t_ms) for frame in frames)}
        decided = client.post(f"/api/v1/enrolments/{started.json()['session_id']}/frames", files=files, data=data)
        if decided.status_code != 200:
            raise AssertionError(f"enrolment answered {decided.status_code}: {decided.text}")
        return {**decided.json(), "challenge": actions, "frames": len(frames)}
