"""APCER / BPCER of the presentation-attack detection (ISO/IEC 30107-3) on literal live scores:
labels, the decision at the threshold boundary, attack types, failures to acquire (no model)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from civicid.face.evaluation.dataset import DatasetError
from civicid.face.evaluation.pad import (
    ClipScores,
    LabelledClip,
    PadDataset,
    build_pad_report,
    decide_clip,
    error_rates,
    frontal_face,
    labels_from_names,
    load_pad_dataset,
    parse_labels,
    plot_medians,
    score_clip,
    threshold_sweep,
    write_pad_report,
)
from civicid.face.models import Box, Face, Quality
from civicid.face.pad import PadPolicy
from civicid.face.video import VideoFrame

SHARED_VIDEO_NAMES = (
    "VIDEOS.md",
    "genuine_selfie_blinks_lp_d13.mp4",
    "genuine_selfie_headturn_tvl.mp4",
    "genuine_webcam_blink_turn_clm.mp4",
    "genuine_webcam_headturn_zub.mp4",
    "spoof_phone_replay_les.mp4",
    "spoof_screen_replay_headturn_tvl.mp4",
)


def bona_fide(name: str, *scores: float) -> ClipScores:
    return ClipScores(LabelledClip(name, "bona_fide"), len(scores), len(scores), scores)


def attack(name: str, kind: str, *scores: float) -> ClipScores:
    return ClipScores(LabelledClip(name, "attack", kind), len(scores), len(scores), scores)


# -- labels ------------------------------------------------------------------------------------


def test_labels_csv_accepts_the_synonyms_and_defaults_the_attack_type() -> None:
    clips = parse_labels([
        "file,label,attack_type",
        "a.mp4,bona_fide,",
        "b.mp4, Live ,",
        "c.mp4,GENUINE,",
        "d.mp4,attack,print",
        "sub/e.mp4,spoof,",
    ])
    assert clips == (
        LabelledClip("a.mp4", "bona_fide"),
        LabelledClip("b.mp4", "bona_fide"),
        LabelledClip("c.mp4", "bona_fide"),
        LabelledClip("d.mp4", "attack", "print"),
        LabelledClip("sub/e.mp4", "attack", "unspecified"),
    )


def test_labels_csv_without_the_attack_type_column() -> None:
    assert parse_labels(["file,label", "x.mov,spoof"]) == (LabelledClip("x.mov", "attack", "unspecified"),)


@pytest.mark.parametrize("lines, message", [
    (["file,kind", "a.mp4,live"], "lacks the columns ['label']"),
    (["file,label", "a.mp4,maybe"], "line 2: needs a file and a label"),
    (["file,label", ",live"], "line 2: needs a file and a label"),
    (["file,label", "a.mp4,live", "a.mp4,attack"], "line 3: a.mp4 is listed twice"),
    (["file,label,attack_type", "a.mp4,live,print"], "a bona fide clip has no attack_type"),
    (["file,label", "../a.mp4,live"], "must be a path inside the folder"),
    (["file,label", "/etc/a.mp4,live"], "must be a path inside the folder"),
])
def test_labels_csv_refuses_bad_rows(lines: list[str], message: str) -> None:
    with pytest.raises(DatasetError, match=message.replace("[", r"\[").replace("]", r"\]")) as caught:
        parse_labels(lines)
    assert caught.value.code == "dataset.invalid"


def test_labels_from_the_shared_video_names() -> None:
    clips = labels_from_names(reversed(SHARED_VIDEO_NAMES))
    assert [c.file for c in clips] == list(SHARED_VIDEO_NAMES[1:])  # sorted; VIDEOS.md is no video
    assert [c.label for c in clips] == ["bona_fide"] * 4 + ["attack"] * 2
    assert [c.attack_type for c in clips] == [None] * 4 + ["unspecified"] * 2
    assert labels_from_names(["LIVE_a.webm", "attack_b.MOV"]) == (
        LabelledClip("LIVE_a.webm", "bona_fide"), LabelledClip("attack_b.MOV", "attack", "unspecified"))


def test_a_video_without_a_label_is_an_error_not_left_out() -> None:
    with pytest.raises(DatasetError, match="holiday.mp4"):
        labels_from_names(["genuine_a.mp4", "holiday.mp4", "notes.txt"])


def test_load_pad_dataset_prefers_labels_csv(tmp_path: Path) -> None:
    for name in ("genuine_a.mp4", "clip1.mp4", "clip2.mp4"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "labels.csv").write_text("file,label,attack_type\nclip1.mp4,live,\nclip2.mp4,attack,replay\n")
    data = load_pad_dataset(tmp_path)
    assert data.labels_from == "labels.csv"
    assert data.clips == (LabelledClip("clip1.mp4", "bona_fide"), LabelledClip("clip2.mp4", "attack", "replay"))
    assert data.path(data.clips[0]) == tmp_path / "clip1.mp4"


@pytest.mark.parametrize("layout, message", [
    ({}, "contains no labelled clips"),
    ({"notes.txt": ""}, "contains no labelled clips"),
    ({"labels.csv": "file,label\n"}, "contains no labelled clips"),
    ({"labels.csv": "file,label\ngone.mp4,live\n"}, "gone.mp4 \\(in labels.csv\\) is not a file"),
])
def test_load_pad_dataset_refuses_an_empty_or_wrong_folder(tmp_path: Path, layout: dict[str, str],
                                                           message: str) -> None:
    for name, text in layout.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(DatasetError, match=message):
        load_pad_dataset(tmp_path)


def test_load_pad_dataset_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="is not a folder") as caught:
        load_pad_dataset(tmp_path / "nowhere")
    assert caught.value.code == "dataset.invalid"


# -- the decision of one clip ------------------------------------------------------------------


def test_a_clip_is_decided_on_the_median_as_the_service_decides() -> None:
    decision = decide_clip(attack("a.mp4", "replay", 0.9, 0.1, 0.2, 0.95, 0.25))
    assert (decision.median, decision.decision, decision.reason) == (0.25, "attack", "liveness.presentation_attack")
    decision = decide_clip(bona_fide("b.mp4", 0.9, 0.1, 0.8))
    assert (decision.median, decision.decision, decision.reason, decision.scored_frames) == (0.8, "bona_fide", None, 3)


def test_fewer_than_three_scored_frames_is_no_decision() -> None:
    decision = decide_clip(bona_fide("b.mp4", 0.99, 0.98))
    assert (decision.median, decision.decision, decision.reason) == (None, "no_decision", "liveness.pad_unverified")


def test_an_unreadable_clip_is_no_decision_with_its_error_code() -> None:
    clip = ClipScores(LabelledClip("x.mp4", "attack", "print"), 0, 0, (), error="video.unreadable")
    decision = decide_clip(clip)
    assert (decision.decision, decision.reason, decision.median) == ("no_decision", "video.unreadable", None)


# -- the metrics -------------------------------------------------------------------------------


def test_at_the_threshold_a_median_equal_to_it_is_bona_fide() -> None:
    clips = [
        bona_fide("bf_at", 0.5, 0.5, 0.5),            # median 0.5: accepted
        bona_fide("bf_below", 0.4999, 0.4999, 0.9),   # median 0.4999: rejected
        bona_fide("bf_rounded", 0.49996, 0.49996, 0.9),  # scores rounded to 4 places, as the service does: 0.5
        bona_fide("bf_high", 0.9, 0.95, 0.99),
        attack("at_at", "replay", 0.1, 0.5, 0.7),     # median 0.5: accepted, an APCER error
        attack("at_below", "replay", 0.1, 0.2, 0.4999),
    ]
    rates = error_rates(clips, policy=PadPolicy(threshold=0.5))
    assert rates.bpcer == 0.25 and (rates.bona_fide_rejected, rates.bona_fide_decided) == (1, 4)
    assert rates.apcer == 0.5
    (replay,) = rates.by_attack_type
    assert (replay.attack_type, replay.presentations, replay.decided, replay.accepted) == ("replay", 2, 2, 1)

    just_above = error_rates(clips, policy=PadPolicy(threshold=0.5001))
    assert just_above.apcer == 0.0
    assert just_above.bpcer == 0.75  # only bf_high remains above


def test_apcer_per_attack_type_and_its_maximum() -> None:
    clips = [
        attack("p1", "print", 0.9, 0.9, 0.9),
        attack("p2", "print", 0.1, 0.1, 0.1),
        attack("r1", "replay", 0.1, 0.1, 0.1),
        attack("r2", "replay", 0.1, 0.1, 0.1),
        attack("r3", "replay", 0.6, 0.7, 0.8),
        attack("r4", "replay", 0.0, 0.0, 0.0),
        attack("m1", "mask", 0.2, 0.2, 0.2),
        bona_fide("b1", 0.9, 0.9, 0.9),
    ]
    rates = error_rates(clips)
    by_type = {r.attack_type: r.apcer for r in rates.by_attack_type}
    assert by_type == {"mask": 0.0, "print": 0.5, "replay": 0.25}
    assert [r.attack_type for r in rates.by_attack_type] == ["mask", "print", "replay"]
    assert rates.apcer == 0.5
    assert rates.bpcer == 0.0


def test_failures_to_acquire_are_counted_apart_not_dropped() -> None:
    unreadable = ClipScores(LabelledClip("u", "attack", "print"), 0, 0, (), error="video.unreadable")
    clips = [
        attack("p1", "print", 0.9, 0.9, 0.9),   # accepted
        attack("p2", "print", 0.9, 0.9),        # two frames: no decision, not an acceptance
        unreadable,
        bona_fide("b1", 0.1, 0.1, 0.1),         # rejected
        bona_fide("b2", 0.9),                   # no decision, not a rejection
        bona_fide("b3", 0.9, 0.9, 0.9),
    ]
    rates = error_rates(clips)
    (printed,) = rates.by_attack_type
    assert (printed.presentations, printed.decided, printed.accepted, printed.failures_to_acquire) == (3, 1, 1, 2)
    assert printed.apcer == 1.0 and printed.apnrr == pytest.approx(2 / 3)
    assert (rates.bona_fide, rates.bona_fide_decided, rates.bona_fide_failures_to_acquire) == (3, 2, 1)
    assert rates.bpcer == 0.5 and rates.bpnrr == pytest.approx(1 / 3)

    data = PadDataset("set", Path("."), tuple(c.clip for c in clips), "labels.csv")
    report = build_pad_report(data, clips, fps=15.0)
    assert [c.file for c in report.failures_to_acquire] == ["p2", "u", "b2"]
    body = report.to_json()
    assert body["failures_to_acquire"] == ["p2", "u", "b2"]
    assert [c["reason"] for c in body["clips"] if c["decision"] == "no_decision"] == [
        "liveness.pad_unverified", "video.unreadable", "liveness.pad_unverified"]


def test_rates_are_none_when_nothing_was_decided() -> None:
    rates = error_rates([bona_fide("b", 0.9), attack("a", "print")])
    assert rates.apcer is None and rates.bpcer is None
    assert rates.by_attack_type[0].apcer is None and rates.by_attack_type[0].apnrr == 1.0
    assert rates.bpnrr == 1.0
    empty = error_rates([])
    assert (empty.apcer, empty.bpcer, empty.bpnrr, empty.by_attack_type) == (None, None, None, ())


def test_the_sweep_shows_the_trade_off_and_includes_the_operating_threshold() -> None:
    clips = [bona_fide("b1", 0.62, 0.62, 0.62), bona_fide("b2", 0.99, 0.99, 0.99),
             attack("a1", "replay", 0.35, 0.35, 0.35), attack("a2", "replay", 0.01, 0.01, 0.01)]
    sweep = threshold_sweep(clips, thresholds=(0.3, 0.5, 0.7), policy=PadPolicy(threshold=0.45))
    assert [r.threshold for r in sweep] == [0.3, 0.45, 0.5, 0.7]
    assert [(r.apcer, r.bpcer) for r in sweep] == [(0.5, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.5)]


def test_the_report_json_and_the_plot(tmp_path: Path) -> None:
    clips = [bona_fide("b1", 0.9, 0.8, 0.7), attack("a1", "replay", 0.1, 0.2, 0.3), bona_fide("b2", 0.9)]
    data = PadDataset("set", tmp_path, tuple(c.clip for c in clips), "file names")
    report = build_pad_report(data, clips, fps=10.0, policy=PadPolicy(threshold=0.6))
    path = write_pad_report(report, tmp_path / "out")
    body = json.loads(path.read_text())
    assert body == json.loads(json.dumps(report.to_json()))
    assert (body["threshold"], body["apcer"], body["bpcer"], body["bpnrr"]) == (0.6, 0.0, 0.0, 0.5)
    assert body["apcer_by_attack_type"]["replay"]["decided"] == 1
    assert (body["fps"], body["min_frames"], body["max_abs_yaw_deg"]) == (10.0, 3, 15.0)
    assert 0.6 in [r["threshold"] for r in body["sweep"]]
    png = plot_medians(report, tmp_path / "out" / "medians.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- which frames are scored -------------------------------------------------------------------


def face(size: int, yaw: float) -> Face:
    return Face(Box(0, 0, size, size), np.zeros((68, 2), np.float32), Quality(40.0, 50.0, 120.0, yaw, 0.0))


def test_only_the_largest_face_is_scored_and_only_when_near_frontal() -> None:
    assert frontal_face([], max_abs_yaw_deg=15.0) is None
    small, large = face(40, 0.0), face(80, -15.0)
    assert frontal_face([small, large], max_abs_yaw_deg=15.0) is large  # |yaw| 15 is near-frontal
    assert frontal_face([small, face(80, 15.1)], max_abs_yaw_deg=15.0) is None


class FakeEngine:
    """Faces by frame: the n-th decoded frame gets ``faces[n]``."""

    def __init__(self, faces: list[tuple[Face, ...]]) -> None:
        self.faces = iter(faces)

    def detect(self, image):
        return next(self.faces)


class FakePad:
    def __init__(self) -> None:
        self.scored: list[Face] = []

    def live_scores(self, items):
        self.scored.extend(f for _, f in items)
        return np.linspace(0.1, 0.9, len(items))


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 100, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_score_clip_scores_the_near_frontal_frames_with_a_face() -> None:
    frontal, turned = face(80, 5.0), face(80, 30.0)
    engine = FakeEngine([(frontal,), (), (turned,), (face(20, 0.0), turned), (frontal,)])
    pad = FakePad()
    frames = [VideoFrame(t * 66, jpeg()) for t in range(5)]
    scores = score_clip(LabelledClip("c", "bona_fide"), frames, engine=engine, pad=pad,  # type: ignore[arg-type]
                        max_bytes=1 << 20, max_pixels=1 << 20)
    assert pad.scored == [frontal, frontal]
    assert (scores.frames, scores.face_frames, scores.scores, scores.error) == (5, 4, (0.1, 0.9), None)


def test_score_clip_turns_an_undecodable_frame_into_a_failure_to_acquire() -> None:
    frames = [VideoFrame(0, jpeg()), VideoFrame(66, b"\xff\xd8\xff\xe0 not really")]
    engine = FakeEngine([(face(80, 0.0),)])
    clip = LabelledClip("c", "attack", "print")
    scores = score_clip(clip, frames, engine=engine, pad=FakePad(),  # type: ignore[arg-type]
                        max_bytes=1 << 20, max_pixels=1 << 20)
    assert scores.error is not None and scores.error.startswith("image.")
    assert (scores.frames, scores.face_frames, scores.scores) == (2, 1, ())
    assert decide_clip(scores).decision == "no_decision"
