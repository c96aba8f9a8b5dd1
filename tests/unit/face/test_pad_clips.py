"""Replayed videos are stopped by the presentation-attack score; genuine clips are not.

The issue's reproduction: the screen replay of the tvl clip, challenged with the turns its
recording shows, enrolled as the person. Six clips give no APCER/BPCER figure (docs/liveness.md):
these tests pin the behaviour on every clip we have.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from civicid.enrolment.assessment import LiveCheck
from civicid.face.challenge import parse_actions
from civicid.face.pad import PresentationAttackDetector
from civicid.runtime import service_engine
from civicid.settings import Settings
from tests.support.clips import clip_frames, still

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def check() -> LiveCheck:
    settings = Settings()
    engine = service_engine(settings)
    pad = PresentationAttackDetector(model_dir=settings.resolved_model_dir)
    return LiveCheck.from_settings(engine, settings, pad=pad, rng=random.Random(7))


@pytest.mark.parametrize("clip, actions, end_s", [
    ("spoof_screen_replay_headturn_tvl.mp4", "turn_left,turn_right", 8.0),
    ("spoof_phone_replay_les.mp4", "blink", 2.6),
])
def test_replays_are_rejected_as_presentation_attacks(check: LiveCheck, videos_dir: Path, clip: str,
                                                      actions: str, end_s: float) -> None:
    reference = still(videos_dir / "genuine_selfie_headturn_tvl.mp4", 7.5)
    result = check.assess(clip_frames(videos_dir / clip, 0.0, end_s, fps=20), actions=parse_actions(actions),
                          reference=reference)
    assert result.outcome == "liveness_failed"
    assert result.reasons[0] == "liveness.presentation_attack"


# (clip, actions it shows, where the registry photo comes from: a part of the clip outside the
# stretch, or the tvl person's other recording)
GENUINE = [
    ("genuine_webcam_blink_turn_clm.mp4", "turn_right,turn_left,blink", 7.5, ("genuine_webcam_blink_turn_clm.mp4", 7.9)),
    ("genuine_selfie_blinks_lp_d13.mp4", "blink", 7.5, ("genuine_selfie_blinks_lp_d13.mp4", 7.9)),
    ("genuine_webcam_headturn_zub.mp4", "turn_left,turn_right", 7.5, ("genuine_webcam_headturn_zub.mp4", 7.9)),
    ("genuine_selfie_headturn_tvl.mp4", "turn_left,turn_right", 8.0, ("spoof_screen_replay_headturn_tvl.mp4", 4.5)),
]


@pytest.mark.parametrize("clip, actions, end_s, photo", GENUINE)
def test_genuine_clips_pass_with_challenges_they_contain(check: LiveCheck, videos_dir: Path, clip: str,
                                                         actions: str, end_s: float, photo: tuple) -> None:
    reference = still(videos_dir / photo[0], photo[1])
    result = check.assess(clip_frames(videos_dir / clip, 0.0, end_s, fps=20), actions=parse_actions(actions),
                          reference=reference)
    assert result.outcome == "match", result.reasons
    assert result.distance is not None and result.distance <= check.threshold
