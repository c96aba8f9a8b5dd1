"""Liveness calibration on the shared clips: the figures docs/liveness.md quotes.

    .venv/bin/python bench/liveness_calibration.py            # all six clips, 15 fps
    .venv/bin/python bench/liveness_calibration.py --fps 30   # another sampling rate

For each clip: EAR (open-eye median, minimum), blink and turn events with their depth, yaw range,
missing-face fraction, landmark motion, identity distances, sharpness, the decision for each
single-action challenge and for the clip's own sequence, and the engine's cost per frame
(detection alone and with embedding). Writes bench/results/liveness_calibration.json and a plot
of EAR ratio and yaw against time with the VIDEOS.md event windows shaded
(bench/results/liveness_calibration.png). Reads the clips from CIVICID_DATA or ../shared/data.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from civicid.face.challenge import Action
from civicid.face.liveness import FrameObservation, LivenessPolicy, evaluate_liveness
from civicid.face.liveness_observe import observe_frames
from civicid.face.liveness_signals import ear_ratios
from civicid.face.video import sample_frames
from civicid.runtime import service_engine
from civicid.settings import Settings

RESULTS = Path(__file__).parent / "results"
LIMITS = {"max_bytes": 10_000_000, "max_pixels": 10_000_000}
B, L, R = Action.BLINK, Action.TURN_LEFT, Action.TURN_RIGHT

# Event windows from VIDEOS.md (seconds); "left"/"right" = nose toward image-left/-right.
ANNOTATED: dict[str, dict[str, Any]] = {
    "genuine_webcam_blink_turn_clm.mp4": {
        "windows": [("left", 0.5, 1.2), ("right", 1.9, 2.4), ("blink", 6.60, 6.72)],
        "sequence": [R, L, B],
    },
    "genuine_selfie_blinks_lp_d13.mp4": {
        "windows": [("blink", 1.40, 1.57), ("blink", 2.60, 2.77), ("blink", 3.40, 3.53)],
        "sequence": [B, B, B],
    },
    "genuine_webcam_headturn_zub.mp4": {
        "windows": [("left", 1.3, 3.3), ("right", 3.5, 6.3)],
        "sequence": [R, L],
    },
    "genuine_selfie_headturn_tvl.mp4": {
        "windows": [("right", 0.5, 3.8), ("left", 5.9, 8.0)],
        "sequence": [L, R],
    },
    "spoof_screen_replay_headturn_tvl.mp4": {
        "windows": [("right", 0.4, 3.7), ("left", 5.8, 8.0)],
        "sequence": [L, R],
    },
    "spoof_phone_replay_les.mp4": {"windows": [], "sequence": [B]},
}


def clip_figures(frames: tuple[FrameObservation, ...], policy: LivenessPolicy, sequence: list[Action]) -> dict[str, Any]:
    faces = [f for f in frames if f.landmarks is not None]
    frontal_ears = [f.ear for f in faces if abs(f.yaw_deg) <= policy.frontal_max_abs_yaw_deg]
    yaws = [f.yaw_deg for f in faces]
    sharp = [f.sharpness for f in faces if f.sharpness is not None]
    decisions = {}
    for name, actions in {"blink": [B], "turn_left": [L], "turn_right": [R], "own_sequence": sequence}.items():
        result = evaluate_liveness(frames, challenge_actions=actions, policy=policy)
        decisions[name] = {"actions": [a.value for a in actions], "passed": result.passed, "reasons": list(result.reasons)}
    result = evaluate_liveness(frames, challenge_actions=sequence, policy=policy)
    return {
        "frames": len(frames),
        "face_frames": len(faces),
        "missing_fraction": round(1 - len(faces) / len(frames), 3),
        "ear_open_median_frontal": round(statistics.median(frontal_ears), 3) if frontal_ears else None,
        "ear_min": round(min(f.ear for f in faces), 3),
        "yaw_min": round(min(yaws), 1),
        "yaw_max": round(max(yaws), 1),
        "sharpness_median": round(statistics.median(sharp), 1),
        "sharpness_max": round(max(sharp), 1),
        "motion": result.motion,
        "identity_frontal_max": result.max_identity_distance,
        "identity_turned_max": result.max_identity_distance_turned,
        "events": [e.to_json() for e in result.events],
        "decisions": decisions,
    }


def plot(series: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(series), 1, figsize=(10, 2.4 * len(series)), sharex=True)
    colours = {"blink": "tab:green", "left": "tab:orange", "right": "tab:purple"}
    for ax, (clip, data) in zip(np.atleast_1d(axes), series.items()):
        for kind, start, end in ANNOTATED[clip]["windows"]:
            ax.axvspan(start, end, color=colours[kind], alpha=0.15)
        t = np.array(data["t"]) / 1000
        ax.plot(t, data["ratio"], ".-", color="tab:blue", label="EAR / local baseline")
        ax.axhline(data["close"], color="tab:blue", linestyle=":")
        ax.set_ylim(0, 1.6)
        twin = ax.twinx()
        twin.plot(t, data["yaw"], ".-", color="tab:red", label="yaw (deg)")
        for sign in (1, -1):
            twin.axhline(sign * data["turn"], color="tab:red", linestyle=":")
        twin.set_ylim(-70, 70)
        ax.set_title(clip, fontsize=9)
    np.atleast_1d(axes)[-1].set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("CIVICID_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")))
    args = parser.parse_args()
    videos = args.data.resolve() / "videos"
    policy = LivenessPolicy()
    engine = service_engine(Settings())  # the engine that sees live frames
    engine.load()
    report: dict[str, Any] = {"fps": args.fps, "policy": {k: getattr(policy, k) for k in policy.__slots__}, "clips": {}}
    series: dict[str, dict[str, Any]] = {}
    detect_s = embed_s = 0.0
    count = 0
    for clip, notes in ANNOTATED.items():
        frames = sample_frames(videos / clip, fps=args.fps)
        start = time.perf_counter()
        observe_frames(frames, engine=engine, embed_every=len(frames) + 1, **LIMITS)
        detect_s += time.perf_counter() - start
        start = time.perf_counter()
        observed = observe_frames(frames, engine=engine, **LIMITS)
        embed_s += time.perf_counter() - start
        count += len(frames)
        report["clips"][clip] = clip_figures(observed, policy, notes["sequence"])
        series[clip] = {
            "t": [f.t_ms for f in observed],
            "ratio": [np.nan if r is None else r for r in ear_ratios(observed, policy=policy)],
            "yaw": [np.nan if f.yaw_deg is None else f.yaw_deg for f in observed],
            "close": policy.blink_close_ratio,
            "turn": policy.turn_min_abs_yaw_deg,
        }
        print(clip, json.dumps(report["clips"][clip]["decisions"]))
    report["cost_per_frame_s"] = {"detect": round(detect_s / count, 4), "detect_and_embed": round(embed_s / count, 4)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "liveness_calibration.json").write_text(json.dumps(report, indent=2, default=str))
    plot(series, RESULTS / "liveness_calibration.png")
    print(json.dumps(report["cost_per_frame_s"]))


if __name__ == "__main__":
    main()
