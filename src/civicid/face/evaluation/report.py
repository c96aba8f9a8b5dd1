"""The evaluation report of one engine on one dataset: numbers, JSON, and a summary table."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from rich.table import Table

from civicid.face.batch import EncodedImage
from civicid.face.evaluation import metrics
from civicid.face.evaluation.dataset import Dataset

TARGET_FMRS = (1e-3, 1e-4)


@dataclass(frozen=True, slots=True)
class AllPairsMetrics:
    """Every genuine and every impostor pair over a set of images."""

    images: int
    failed_images: int
    genuine_pairs: int
    impostor_pairs: int
    eer: float
    eer_threshold: float
    operating_points: tuple[metrics.OperatingPoint, ...]
    threshold: float
    fmr_at_threshold: float
    fnmr_at_threshold: float

    def at(self, target_fmr: float) -> metrics.OperatingPoint:
        return next(p for p in self.operating_points if p.target_fmr == target_fmr)


@dataclass(frozen=True, slots=True)
class PairsMetrics:
    """The rows of pairs.csv at the configured threshold, and the fold protocol if any."""

    pairs: int
    genuine: int
    impostor: int
    failed: int
    threshold: float
    genuine_match_rate: float
    impostor_reject_rate: float
    accuracy: float
    folds: tuple[metrics.FoldAccuracy, ...]

    @property
    def protocol_accuracy_mean(self) -> float | None:
        return float(np.mean([f.accuracy for f in self.folds])) if self.folds else None


@dataclass(frozen=True, slots=True, eq=False)
class EvaluationReport:
    dataset: str
    engine: str
    engine_options: Mapping[str, Any]
    images: int
    failures_by_code: Mapping[str, int]
    overall: AllPairsMetrics
    by_fold: Mapping[int, AllPairsMetrics]
    pairs: PairsMetrics | None
    ms_per_image_median: float
    ms_per_image_mean: float
    ms_by_stage_median: Mapping[str, float]
    quality: Mapping[str, Any]
    timing: str = "wall"
    """What the milliseconds measure: "wall" time or "cpu" time of the encoding process."""
    det: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0))
    """(FMR, FNMR) of the overall DET curve, for plotting (not in the JSON)."""

    @property
    def failure_to_enrol(self) -> float:
        return sum(self.failures_by_code.values()) / self.images if self.images else 0.0

    def to_json(self) -> dict[str, Any]:
        o = self.overall
        body: dict[str, Any] = {
            "dataset": self.dataset,
            "engine": self.engine,
            "engine_options": dict(self.engine_options),
            "images": self.images,
            "failure_to_enrol": self.failure_to_enrol,
            "failed_images": sum(self.failures_by_code.values()),
            "failures_by_code": dict(self.failures_by_code),
            "genuine_pairs": o.genuine_pairs,
            "impostor_pairs": o.impostor_pairs,
            "eer": o.eer,
            "eer_threshold": o.eer_threshold,
            "threshold": o.threshold,
            "fmr_at_threshold": o.fmr_at_threshold,
            "fnmr_at_threshold": o.fnmr_at_threshold,
            "ms_per_image_median": round(self.ms_per_image_median, 2),
            "ms_per_image_mean": round(self.ms_per_image_mean, 2),
            "timing": self.timing,
            "ms_by_stage_median": {k: round(v, 2) for k, v in self.ms_by_stage_median.items()},
            "quality": dict(self.quality),
        }
        for target in TARGET_FMRS:
            point = o.at(target)
            body[f"fnmr_at_fmr_{target:.0e}".replace("e-0", "e-")] = point.fnmr
            body[f"threshold_at_fmr_{target:.0e}".replace("e-0", "e-")] = point.threshold
        if self.by_fold:
            body["folds"] = {str(k): _all_pairs_json(v) for k, v in self.by_fold.items()}
        if self.pairs is not None:
            body["pairs"] = {
                **{k: v for k, v in asdict(self.pairs).items() if k != "folds"},
                "protocol": [asdict(f) for f in self.pairs.folds],
            }
            if self.pairs.folds:
                body["protocol_accuracy_mean"] = self.pairs.protocol_accuracy_mean
        return body


def _all_pairs_json(m: AllPairsMetrics) -> dict[str, Any]:
    body = {k: v for k, v in asdict(m).items() if k != "operating_points"}
    for point in m.operating_points:
        key = f"{point.target_fmr:.0e}".replace("e-0", "e-")
        body[f"fnmr_at_fmr_{key}"] = point.fnmr
        body[f"threshold_at_fmr_{key}"] = point.threshold
    return body


# -- computing -------------------------------------------------------------------------------


def embedding_matrix(results: Sequence[EncodedImage]) -> np.ndarray:
    """(N, D) float64 with a row of NaN for every image that could not be encoded."""
    dim = next((r.embedding.size for r in results if r.embedding is not None), 128)
    matrix = np.full((len(results), dim), np.nan)
    for i, result in enumerate(results):
        if result.embedding is not None:
            matrix[i] = result.embedding
    return matrix


def all_pairs_scores(embeddings: np.ndarray, persons: Sequence[str]) -> metrics.Scores:
    _, labels = np.unique(np.asarray(persons), return_inverse=True)
    return metrics.all_pairs(embeddings, labels)


def all_pairs_metrics(embeddings: np.ndarray, persons: Sequence[str], *, threshold: float) -> AllPairsMetrics:
    return scores_metrics(all_pairs_scores(embeddings, persons), embeddings, threshold=threshold)


def scores_metrics(scores: metrics.Scores, embeddings: np.ndarray, *, threshold: float) -> AllPairsMetrics:
    eer, eer_threshold = metrics.equal_error_rate(scores)
    return AllPairsMetrics(
        images=len(embeddings),
        failed_images=int(np.isnan(embeddings).any(axis=1).sum()),
        genuine_pairs=int(scores.genuine.size),
        impostor_pairs=int(scores.impostor.size),
        eer=eer,
        eer_threshold=eer_threshold,
        operating_points=tuple(metrics.operating_point(scores, t) for t in TARGET_FMRS),
        threshold=threshold,
        fmr_at_threshold=metrics.fmr_at(scores.impostor, threshold),
        fnmr_at_threshold=metrics.fnmr_at(scores.genuine, threshold),
    )


def pairs_metrics(dataset: Dataset, embeddings: np.ndarray, *, threshold: float) -> PairsMetrics:
    left = np.array([p.left for p in dataset.pairs])
    right = np.array([p.right for p in dataset.pairs])
    same = np.array([p.same for p in dataset.pairs], dtype=bool)
    d = metrics.pair_distances(embeddings, left, right)
    failed = ~np.isfinite(d)
    match = d <= threshold
    folds: tuple[metrics.FoldAccuracy, ...] = ()
    if dataset.has_folds:
        folds = metrics.protocol_accuracy(d, same, np.array([p.fold for p in dataset.pairs]), failed=failed)
    return PairsMetrics(
        pairs=int(d.size),
        genuine=int(same.sum()),
        impostor=int((~same).sum()),
        failed=int(failed.sum()),
        threshold=threshold,
        genuine_match_rate=float(match[same].mean()) if same.any() else 0.0,
        impostor_reject_rate=float((~match[~same]).mean()) if (~same).any() else 0.0,
        accuracy=metrics.accuracy(d, same, threshold, failed=failed),
        folds=folds,
    )


def quality_summary(results: Sequence[EncodedImage]) -> dict[str, Any]:
    qualities = [r.quality for r in results if r.quality is not None]
    if not qualities:
        return {}
    flags = Counter(flag for q in qualities for flag in q.flags)
    fields = ("inter_eye_px", "sharpness", "brightness", "yaw_deg", "pitch_deg")
    return {
        "flag_rates": {flag: round(count / len(qualities), 4) for flag, count in sorted(flags.items())},
        "acceptable_rate": round(sum(q.acceptable for q in qualities) / len(qualities), 4),
        "median": {f: round(float(np.median([getattr(q, f) for q in qualities])), 2) for f in fields},
        "p05": {f: round(float(np.percentile([getattr(q, f) for q in qualities], 5)), 2) for f in fields},
    }


def build_report(
    dataset: Dataset,
    results: Sequence[EncodedImage],
    *,
    threshold: float,
    engine: str,
    engine_options: Mapping[str, Any],
    timing: str = "wall",
) -> EvaluationReport:
    embeddings = embedding_matrix(results)
    by_fold: dict[int, AllPairsMetrics] = {}
    if dataset.has_folds:
        for fold in sorted({p.fold for p in dataset.pairs if p.fold is not None}):
            members = sorted({i for p in dataset.pairs if p.fold == fold for i in (p.left, p.right)})
            by_fold[fold] = all_pairs_metrics(
                embeddings[members], [dataset.persons[i] for i in members], threshold=threshold
            )
    scores = all_pairs_scores(embeddings, dataset.persons)
    _, fmr, fnmr = metrics.det_curve(scores)
    return EvaluationReport(
        dataset=dataset.name,
        engine=engine,
        engine_options=engine_options,
        images=len(results),
        failures_by_code=dict(sorted(Counter(r.error for r in results if r.error).items())),
        overall=scores_metrics(scores, embeddings, threshold=threshold),
        by_fold=by_fold,
        pairs=pairs_metrics(dataset, embeddings, threshold=threshold) if dataset.pairs else None,
        ms_per_image_median=float(np.median([r.timings.total_ms for r in results])) if results else 0.0,
        ms_per_image_mean=float(np.mean([r.timings.total_ms for r in results])) if results else 0.0,
        ms_by_stage_median={
            stage: float(np.median([getattr(r.timings, stage) for r in results])) if results else 0.0
            for stage in ("decode_ms", "detect_ms", "embed_ms")
        },
        quality=quality_summary(results),
        timing=timing,
        det=(fmr, fnmr),
    )


def write_report(report: EvaluationReport, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.json"
    path.write_text(json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def summary_table(report: EvaluationReport) -> Table:
    table = Table(title=f"{report.engine} on {report.dataset}", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    o = report.overall
    rows = [
        ("images", f"{report.images}"),
        ("failure to enrol", f"{report.failure_to_enrol:.2%} ({sum(report.failures_by_code.values())})"),
        ("genuine / impostor pairs", f"{o.genuine_pairs:,} / {o.impostor_pairs:,}"),
        ("EER", f"{o.eer:.4f} (t={o.eer_threshold:.3f})"),
    ]
    for target in TARGET_FMRS:
        p = o.at(target)
        rows.append((f"FNMR @ FMR {target:g}", f"{p.fnmr:.4f} (t={p.threshold:.4f})"))
    rows.append((f"at threshold {o.threshold:g}", f"FMR {o.fmr_at_threshold:.2e}, FNMR {o.fnmr_at_threshold:.4f}"))
    if report.pairs is not None:
        pm = report.pairs
        rows.append(("pairs.csv accuracy", f"{pm.accuracy:.4f} ({pm.pairs} pairs, {pm.failed} failed)"))
        if pm.folds:
            per_fold = ", ".join(f"{f.fold}: {f.accuracy:.4f}" for f in pm.folds)
            rows.append(("protocol accuracy", f"{pm.protocol_accuracy_mean:.4f} ({per_fold})"))
    for fold, m in report.by_fold.items():
        p = m.at(1e-4)
        rows.append((f"fold {fold}: FNMR @ FMR 1e-4", f"{p.fnmr:.4f} ({m.impostor_pairs:,} impostor pairs)"))
    rows.append((f"ms / image ({report.timing})", f"median {report.ms_per_image_median:.1f}, mean {report.ms_per_image_mean:.1f}"))
    for name, value in rows:
        table.add_row(name, value)
    return table
