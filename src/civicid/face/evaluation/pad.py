"""Measuring the passive presentation-attack detection (PAD) on labelled clips (ISO/IEC 30107-3).

A folder of video clips, each a bona fide presentation or an attack (optionally with its attack
type, 30107-3's presentation attack instrument species), labelled by ``labels.csv`` or by file
name. Each clip is decided exactly as the service decides a stream: the live score of the largest
face in every near-frontal frame (|yaw| <= ``StreamPolicy.pad_max_abs_yaw_deg``), then
:func:`civicid.face.pad.decide` (median against ``PadPolicy.threshold``; fewer than
``PadPolicy.min_frames`` scored frames is no decision). The service scores a random subset of a
stream's frames; here every near-frontal frame is scored, so a clip's median is the one the
service's subsets scatter around.

30107-3 terms:

- APCER (attack presentation classification error rate): the share of the attack presentations
  of one attack type that were accepted as bona fide; reported per type, and as their maximum.
- BPCER (bona fide presentation classification error rate): the share of bona fide presentations
  rejected as attacks.
- Clips without a decision (too few near-frontal frames with a face, or an unreadable video) are
  failures to acquire, counted apart as 30107-3's non-response rates (APNRR, BPNRR) and never
  folded into APCER or BPCER. The service rejects such a stream (``liveness.pad_unverified``).

Everything here is a pure function of its inputs except :func:`score_clip` and :func:`score_video`,
which run the face engine and the PAD network (both injected) on one clip.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from civicid.errors import CivicIDError
from civicid.face.decode import decode_image
from civicid.face.evaluation.dataset import DatasetError
from civicid.face.interfaces import FaceEngine
from civicid.face.models import DecodedImage, Face
from civicid.face.pad import PadPolicy, PresentationAttackDetector, decide
from civicid.face.stream import StreamPolicy
from civicid.face.video import VideoFrame, sample_frames

Label = Literal["bona_fide", "attack"]
Decision = Literal["bona_fide", "attack", "no_decision"]

LABELS: dict[str, Label] = {
    "bona_fide": "bona_fide", "live": "bona_fide", "genuine": "bona_fide",
    "attack": "attack", "spoof": "attack",
}
NAME_PREFIXES: dict[str, Label] = {
    "genuine_": "bona_fide", "live_": "bona_fide", "spoof_": "attack", "attack_": "attack",
}
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"})
UNSPECIFIED = "unspecified"
SWEEP_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


# -- the labelled clips ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelledClip:
    """``file`` is relative to the dataset folder; ``attack_type`` is None for bona fide clips."""

    file: str
    label: Label
    attack_type: str | None = None


@dataclass(frozen=True, slots=True)
class PadDataset:
    name: str
    root: Path
    clips: tuple[LabelledClip, ...]
    labels_from: Literal["labels.csv", "file names"]

    def path(self, clip: LabelledClip) -> Path:
        return self.root / clip.file


def load_pad_dataset(root: Path) -> PadDataset:
    """The clips of ``root``: from ``labels.csv`` (columns ``file,label[,attack_type]``) when it
    exists, else every video whose name starts with ``genuine_``/``live_`` or ``spoof_``/``attack_``.
    Raises DatasetError (``dataset.invalid``) for a missing folder, a bad row, a video file name
    without a label, or no clips at all."""
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder.")
    labels = root / "labels.csv"
    if labels.is_file():
        clips, source = read_labels(labels), "labels.csv"
    else:
        clips, source = labels_from_names(p.name for p in root.iterdir() if p.is_file()), "file names"
    if not clips:
        raise DatasetError(f"{root} contains no labelled clips (labels.csv, or videos named genuine_*/spoof_*).")
    for clip in clips:
        if not (root / clip.file).is_file():
            raise DatasetError(f"{clip.file} (in {source}) is not a file in {root}.")
    return PadDataset(name=root.resolve().name, root=root, clips=clips, labels_from=source)  # type: ignore[arg-type]


def read_labels(path: Path) -> tuple[LabelledClip, ...]:
    """Rows of a ``labels.csv``; labels bona_fide/live/genuine or attack/spoof (any case)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return parse_labels(handle.read().splitlines(), source=path.name)


def parse_labels(lines: Iterable[str], *, source: str = "labels.csv") -> tuple[LabelledClip, ...]:
    reader = csv.DictReader(lines)
    missing = {"file", "label"} - set(reader.fieldnames or ())
    if missing:
        raise DatasetError(f"{source} lacks the columns {sorted(missing)}.")
    clips: list[LabelledClip] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        file = (row.get("file") or "").strip()
        label = LABELS.get((row.get("label") or "").strip().lower())
        attack_type = (row.get("attack_type") or "").strip() or None
        if not file or label is None:
            raise DatasetError(f"{source} line {line}: needs a file and a label of {sorted(LABELS)}.")
        if Path(file).is_absolute() or ".." in Path(file).parts:
            raise DatasetError(f"{source} line {line}: {file} must be a path inside the folder.")
        if file in seen:
            raise DatasetError(f"{source} line {line}: {file} is listed twice.")
        if label == "bona_fide" and attack_type is not None:
            raise DatasetError(f"{source} line {line}: a bona fide clip has no attack_type.")
        seen.add(file)
        clips.append(LabelledClip(file, label, (attack_type or UNSPECIFIED) if label == "attack" else None))
    return tuple(clips)


def labels_from_names(names: Iterable[str]) -> tuple[LabelledClip, ...]:
    """Labels from video file names (the shared videos folder's convention); attack types are
    ``unspecified`` (write a labels.csv to name them). A video with another name is an error, so
    no clip is silently left out."""
    clips, unlabelled = [], []
    for name in sorted(names):
        if Path(name).suffix.lower() not in VIDEO_SUFFIXES:
            continue
        label = next((lab for prefix, lab in NAME_PREFIXES.items() if name.lower().startswith(prefix)), None)
        if label is None:
            unlabelled.append(name)
        else:
            clips.append(LabelledClip(name, label, UNSPECIFIED if label == "attack" else None))
    if unlabelled:
        raise DatasetError(f"No labels.csv, and these videos are not named {'/'.join(NAME_PREFIXES)}*: "
                           f"{', '.join(unlabelled)}.")
    return tuple(clips)


# -- one clip ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClipScores:
    """What the PAD decision of one clip rests on: ``scores`` are the live scores of its
    near-frontal frames, in order; ``error`` the code of a clip that could not be read."""

    clip: LabelledClip
    frames: int
    face_frames: int
    scores: tuple[float, ...]
    error: str | None = None


def frontal_face(faces: Sequence[Face], *, max_abs_yaw_deg: float) -> Face | None:
    """The largest face of a frame when it is near-frontal, as the service picks the faces it
    scores (civicid.face.stream); else None."""
    if not faces:
        return None
    face = max(faces, key=lambda f: f.box.width * f.box.height)
    return face if abs(face.quality.yaw_deg) <= max_abs_yaw_deg else None


def score_clip(clip: LabelledClip, frames: Sequence[VideoFrame], *, engine: FaceEngine,
               pad: PresentationAttackDetector, max_bytes: int, max_pixels: int,
               stream: StreamPolicy = StreamPolicy()) -> ClipScores:
    """Detect faces in every frame and score the near-frontal ones (only those frames stay
    decoded). A frame that cannot be decoded makes the clip a failure to acquire with the frame's
    error code, as it fails the service's request."""
    items: list[tuple[DecodedImage, Face]] = []
    face_frames = 0
    try:
        for frame in frames:
            image = decode_image(frame.jpeg, max_bytes=max_bytes, max_pixels=max_pixels)
            faces = engine.detect(image)
            face_frames += bool(faces)
            face = frontal_face(faces, max_abs_yaw_deg=stream.pad_max_abs_yaw_deg)
            if face is not None:
                items.append((image, face))
    except CivicIDError as exc:
        return ClipScores(clip, len(frames), face_frames, (), error=exc.code)
    return ClipScores(clip, len(frames), face_frames, tuple(float(s) for s in pad.live_scores(items)))


def score_video(clip: LabelledClip, path: Path, *, fps: float, engine: FaceEngine,
                pad: PresentationAttackDetector, max_bytes: int, max_pixels: int,
                stream: StreamPolicy = StreamPolicy()) -> ClipScores:
    """:func:`score_clip` on the frames of a video sampled as ``civicid enrol --video`` sends
    them (JPEG, at most 150 frames); an unreadable video is a failure to acquire."""
    try:
        frames = sample_frames(path, fps=fps)
    except CivicIDError as exc:
        return ClipScores(clip, 0, 0, (), error=exc.code)
    return score_clip(clip, frames, engine=engine, pad=pad, max_bytes=max_bytes, max_pixels=max_pixels,
                      stream=stream)


@dataclass(frozen=True, slots=True)
class ClipDecision:
    file: str
    label: Label
    attack_type: str | None
    frames: int
    face_frames: int
    scored_frames: int
    median: float | None
    decision: Decision
    reason: str | None
    """``liveness.presentation_attack``, ``liveness.pad_unverified``, or the error code of an
    unreadable clip; None when accepted as bona fide."""


def decide_clip(scores: ClipScores, *, policy: PadPolicy = PadPolicy()) -> ClipDecision:
    """The service's PAD decision (:func:`civicid.face.pad.decide`) on one clip."""
    c = scores.clip
    if scores.error is not None:
        return ClipDecision(c.file, c.label, c.attack_type, scores.frames, scores.face_frames, 0, None,
                            "no_decision", scores.error)
    verdict = decide(scores.scores, policy=policy)
    decision: Decision = ("no_decision" if verdict.median is None
                          else "bona_fide" if verdict.passed else "attack")
    return ClipDecision(c.file, c.label, c.attack_type, scores.frames, scores.face_frames, len(scores.scores),
                        verdict.median, decision, verdict.reason)


# -- the metrics -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttackTypeRate:
    """APCER of one attack type: ``accepted`` of ``decided`` attack presentations were taken
    for bona fide; ``failures_to_acquire`` of ``presentations`` gave no decision."""

    attack_type: str
    presentations: int
    decided: int
    accepted: int
    failures_to_acquire: int

    @property
    def apcer(self) -> float | None:
        return self.accepted / self.decided if self.decided else None

    @property
    def apnrr(self) -> float | None:
        return self.failures_to_acquire / self.presentations if self.presentations else None


@dataclass(frozen=True, slots=True)
class ErrorRates:
    """APCER per attack type and their maximum, and BPCER, at one threshold. A rate is None when
    there is nothing to divide by (no decided clip of that kind)."""

    threshold: float
    by_attack_type: tuple[AttackTypeRate, ...]
    bona_fide: int
    bona_fide_decided: int
    bona_fide_rejected: int
    bona_fide_failures_to_acquire: int

    @property
    def apcer(self) -> float | None:
        """The highest APCER over the attack types, as 30107-3 reports a PAD subsystem."""
        rates = [r.apcer for r in self.by_attack_type if r.apcer is not None]
        return max(rates) if rates else None

    @property
    def bpcer(self) -> float | None:
        return self.bona_fide_rejected / self.bona_fide_decided if self.bona_fide_decided else None

    @property
    def bpnrr(self) -> float | None:
        return self.bona_fide_failures_to_acquire / self.bona_fide if self.bona_fide else None

    def to_json(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "apcer": self.apcer,
            "apcer_by_attack_type": {
                r.attack_type: {**asdict(r), "apcer": r.apcer, "apnrr": r.apnrr} for r in self.by_attack_type
            },
            "bpcer": self.bpcer,
            "bpnrr": self.bpnrr,
            "bona_fide": self.bona_fide,
            "bona_fide_decided": self.bona_fide_decided,
            "bona_fide_rejected": self.bona_fide_rejected,
            "bona_fide_failures_to_acquire": self.bona_fide_failures_to_acquire,
        }


def error_rates(clips: Sequence[ClipScores], *, policy: PadPolicy = PadPolicy()) -> ErrorRates:
    """APCER and BPCER of the clips decided at ``policy.threshold`` (a median equal to the
    threshold is accepted as bona fide, as the service decides)."""
    decisions = [decide_clip(c, policy=policy) for c in clips]
    bona_fide = [d for d in decisions if d.label == "bona_fide"]
    attacks = [d for d in decisions if d.label == "attack"]
    types = sorted({d.attack_type or UNSPECIFIED for d in attacks})
    by_type = []
    for kind in types:
        of_kind = [d for d in attacks if (d.attack_type or UNSPECIFIED) == kind]
        decided = [d for d in of_kind if d.decision != "no_decision"]
        by_type.append(AttackTypeRate(kind, len(of_kind), len(decided),
                                      sum(d.decision == "bona_fide" for d in decided), len(of_kind) - len(decided)))
    decided_bf = [d for d in bona_fide if d.decision != "no_decision"]
    return ErrorRates(
        threshold=policy.threshold,
        by_attack_type=tuple(by_type),
        bona_fide=len(bona_fide),
        bona_fide_decided=len(decided_bf),
        bona_fide_rejected=sum(d.decision == "attack" for d in decided_bf),
        bona_fide_failures_to_acquire=len(bona_fide) - len(decided_bf),
    )


def threshold_sweep(clips: Sequence[ClipScores], *, thresholds: Sequence[float] = SWEEP_THRESHOLDS,
                    policy: PadPolicy = PadPolicy()) -> tuple[ErrorRates, ...]:
    """The error rates at each threshold (and at ``policy.threshold``), lowest threshold first."""
    values = sorted({round(float(t), 4) for t in (*thresholds, policy.threshold)})
    return tuple(error_rates(clips, policy=PadPolicy(threshold=t, min_frames=policy.min_frames)) for t in values)


# -- the report --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PadReport:
    dataset: str
    labels_from: str
    fps: float
    max_abs_yaw_deg: float
    min_frames: int
    clips: tuple[ClipDecision, ...]
    at_threshold: ErrorRates
    sweep: tuple[ErrorRates, ...]

    @property
    def failures_to_acquire(self) -> tuple[ClipDecision, ...]:
        return tuple(c for c in self.clips if c.decision == "no_decision")

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "labels_from": self.labels_from,
            "standard": "ISO/IEC 30107-3",
            "fps": self.fps,
            "max_abs_yaw_deg": self.max_abs_yaw_deg,
            "min_frames": self.min_frames,
            "clips": [asdict(c) for c in self.clips],
            "failures_to_acquire": [c.file for c in self.failures_to_acquire],
            **self.at_threshold.to_json(),
            "sweep": [rates.to_json() for rates in self.sweep],
        }


def build_pad_report(dataset: PadDataset, clips: Sequence[ClipScores], *, fps: float,
                     policy: PadPolicy = PadPolicy(), stream: StreamPolicy = StreamPolicy(),
                     thresholds: Sequence[float] = SWEEP_THRESHOLDS) -> PadReport:
    return PadReport(
        dataset=dataset.name,
        labels_from=dataset.labels_from,
        fps=fps,
        max_abs_yaw_deg=stream.pad_max_abs_yaw_deg,
        min_frames=policy.min_frames,
        clips=tuple(decide_clip(c, policy=policy) for c in clips),
        at_threshold=error_rates(clips, policy=policy),
        sweep=threshold_sweep(clips, thresholds=thresholds, policy=policy),
    )


def write_pad_report(report: PadReport, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.json"
    path.write_text(json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def plot_medians(report: PadReport, path: Path) -> Path:
    """Each clip's median live score, bona fide and attacks apart, with the threshold; clips
    without a decision are counted above their group. Drawn on its own Agg canvas (no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.8), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    groups = [("bona fide", [c for c in report.clips if c.label == "bona_fide"])]
    for kind in sorted({c.attack_type or UNSPECIFIED for c in report.clips if c.label == "attack"}):
        groups.append((f"attack: {kind}", [c for c in report.clips if c.label == "attack"
                                           and (c.attack_type or UNSPECIFIED) == kind]))
    for x, (name, members) in enumerate(groups):
        decided = [c.median for c in members if c.median is not None]
        spread = [x + 0.3 * (i - (len(decided) - 1) / 2) / max(len(decided) - 1, 1) for i in range(len(decided))]
        axes.plot(spread, decided, marker="o", linestyle="none", label=f"{name} ({len(members)})")
        if len(members) > len(decided):
            axes.text(x, 1.02, f"{len(members) - len(decided)} without decision", ha="center", fontsize="small")
    axes.axhline(report.at_threshold.threshold, color="red", linewidth=1,
                 label=f"threshold {report.at_threshold.threshold:g}")
    axes.set_xticks(range(len(groups)), [name for name, _ in groups], fontsize="small")
    axes.set_xlim(-0.5, len(groups) - 0.5)
    axes.set_ylim(-0.05, 1.08)
    axes.set_ylabel("median live score of the near-frontal frames")
    axes.set_title(f"PAD on {report.dataset}: median live score per clip")
    axes.grid(True, axis="y", alpha=0.3)
    axes.legend(loc="best", fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
