"""CivicID's face engines against the face_recognition package, side by side, in one run.

Run: make bench   (or .venv/bin/python bench/face_bench.py [--limit N] [--workers N])
Writes bench/results/face_bench.json and face_bench.png.

The same images (faces/, then LFW View 1; ``--limit N`` keeps the first N of each) go through:

  civicid:<default>  the engine the service runs as installed (Settings().face_engine, fr-feature
                     unless CIVICID_FACE_ENGINE says otherwise), with the service's detection options
                     (civicid.runtime.service_engine_factory) and its primary-face selection
  civicid:<other>    the other pinned engines (mobilefacenet, dlib) with the same options
  face_recognition   face_recognition 1.3.0 on dlib-bin, as its README uses it: load_image_file →
                     face_locations (HOG, upsample 1) → face_encodings (5 points, 1 jitter) of the
                     faces found; the first encoding is the image's

Alternation: each pipeline has its own pool of ``--workers`` spawned processes for the whole run,
built and warmed once (models loaded, one image encoded and discarded) so loading is not timed.
The images are cut into blocks of ``--block``; every block goes through every pipeline, one pipeline
at a time with all workers, and the pipelines' order rotates by one from block to block, so each
pipeline runs first, second, ... equally often and any drift of the machine over the run falls on
all of them alike. To show it, the JSON gives each pipeline's median per quarter of the run and the
default-to-peer ratio per quarter (quarters hold different images: compare within a quarter).

Per pipeline: CPU ms per image (time.process_time in the single-threaded worker: the measure on a
machine shared with other work) by stage, failures to encode, and, over all pairs of images, EER
and FNMR at FMR 1e-3 / 1e-4 (civicid.face.evaluation.metrics: a pair with an image that could not
be encoded never matches, ISO/IEC 19795-1's generalised rates); on LFW, fold-1 accuracy with the
threshold chosen on fold 0. Then the ratio of the default engine's CPU per image to
face_recognition's (the issue asks for <= 0.5).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PIL import Image
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from civicid.face.batch import EncodedImage, StageTimings, encode_files
from civicid.face.evaluation.dataset import Dataset, load_dataset
from civicid.face.evaluation.report import EvaluationReport, build_report
from civicid.face.interfaces import FaceEngine
from civicid.runtime import service_engine_factory
from civicid.settings import Settings

HERE = Path(__file__).parent
OUT = HERE / "results"
PEER = "face_recognition"
PEER_THRESHOLD = 0.6  # face_recognition's default tolerance
ENGINES = ("fr-feature", "mobilefacenet", "dlib")
DATASETS = ("faces", "lfw_view1")
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
console = Console(width=150)


# --- workers (one engine per process, kept for the whole run) --------------------------------

@dataclass(frozen=True)
class Pipeline:
    name: str
    engine: str  # a CivicID engine name, or PEER
    threshold: float
    factory: Callable[[], FaceEngine] | None  # None for the peer
    max_bytes: int
    max_pixels: int


_pipeline: Pipeline | None = None
_engine: FaceEngine | None = None
_peer: Any = None


def _worker_engine() -> FaceEngine:
    if _engine is None:
        raise RuntimeError("worker not started")
    return _engine


def _start_worker(pipeline: Pipeline, warm_up: str) -> None:
    """Build the engine once and encode one image, so model loading is not in any timing."""
    global _pipeline, _engine, _peer
    _pipeline = pipeline
    if pipeline.factory is None:
        import face_recognition  # loads its dlib models at import

        _peer = face_recognition
    else:
        _engine = pipeline.factory()
    _encode([warm_up])


def _encode(paths: list[str]) -> list[EncodedImage]:
    p = _pipeline
    if p is None:
        raise RuntimeError("worker not started")
    if p.factory is None:
        return [_peer_encode(path) for path in paths]
    # workers=1 runs in this process with this worker's engine: the path `civicid face eval` takes.
    return encode_files(paths, engine_factory=_worker_engine, max_bytes=p.max_bytes, max_pixels=p.max_pixels,
                        workers=1, clock=time.process_time)


def _peer_encode(path: str) -> EncodedImage:
    """face_recognition's README pipeline, CPU-timed by stage; the first face found is the image's."""
    fr, clock = _peer, time.process_time
    start = clock()
    try:
        image = fr.load_image_file(path)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return EncodedImage(path, None, f"peer.load.{type(exc).__name__}", 0, None,
                            StageTimings((clock() - start) * 1e3, 0.0, 0.0))
    loaded = clock()
    locations = fr.face_locations(image)
    located = clock()
    encodings = fr.face_encodings(image, known_face_locations=locations) if locations else []
    done = clock()
    timings = StageTimings((loaded - start) * 1e3, (located - loaded) * 1e3, (done - located) * 1e3)
    if not encodings:
        return EncodedImage(path, None, "face.not_found", len(locations), None, timings)
    return EncodedImage(path, np.asarray(encodings[0], np.float32), None, len(locations), None, timings)


# --- the run -----------------------------------------------------------------------------------

def pipelines(settings: Settings) -> list[Pipeline]:
    """The default engine first, then the others, then the peer."""
    default = settings.face_engine
    names = [default, *(name for name in ENGINES if name != default)]
    out = []
    for name in names:
        factory = service_engine_factory(settings.model_copy(update={"face_engine": name}))
        label = f"civicid:{name}" + (" (default)" if name == default else "")
        out.append(Pipeline(label, name, settings.threshold_of(name), factory,
                            settings.image_max_bytes, settings.image_max_pixels))
    out.append(Pipeline(f"{PEER} {metadata.version('face_recognition')}", PEER, PEER_THRESHOLD, None,
                        settings.image_max_bytes, settings.image_max_pixels))
    return out


@dataclass
class Outcome:
    results: list[EncodedImage | None]
    wall_s: float = 0.0
    block_of: list[int] = field(default_factory=list)  # the block each image ran in


def run_dataset(dataset: Dataset, lines: list[Pipeline], pools: dict[str, ProcessPoolExecutor], *,
                block: int, chunk: int, progress: Progress) -> dict[str, Outcome]:
    paths = [str(dataset.path(i)) for i in range(len(dataset.images))]
    blocks = [range(start, min(start + block, len(paths))) for start in range(0, len(paths), block)]
    outcomes = {p.name: Outcome([None] * len(paths), block_of=[0] * len(paths)) for p in lines}
    task = progress.add_task(f"{dataset.name}: {len(lines)} pipelines", total=len(paths) * len(lines))
    for b, indices in enumerate(blocks):
        order = lines[b % len(lines):] + lines[:b % len(lines)]  # rotate: each runs first in turn
        for p in order:
            chunks = [list(indices[i:i + chunk]) for i in range(0, len(indices), chunk)]
            started = time.perf_counter()
            futures = {pools[p.name].submit(_encode, [paths[i] for i in c]): c for c in chunks}
            wait(futures)
            outcomes[p.name].wall_s += time.perf_counter() - started
            for future, c in futures.items():
                for i, result in zip(c, future.result()):
                    outcomes[p.name].results[i] = result
                    outcomes[p.name].block_of[i] = b
            progress.advance(task, len(indices))
    return outcomes


def summarise(dataset: Dataset, p: Pipeline, outcome: Outcome, blocks: int) -> tuple[dict, EvaluationReport]:
    results = [r for r in outcome.results if r is not None]
    report = build_report(dataset, results, threshold=p.threshold, engine=p.engine,
                          engine_options={"pipeline": p.name}, timing="cpu")
    body = report.to_json()
    totals = np.array([r.timings.total_ms for r in results])
    quarter = np.minimum(np.array(outcome.block_of) * 4 // max(blocks, 1), 3)
    row = {
        "pipeline": p.name,
        **{k: body[k] for k in ("engine", "images", "failed_images", "failures_by_code", "ms_per_image_median",
                                "ms_per_image_mean", "ms_by_stage_median", "eer", "eer_threshold",
                                "fnmr_at_fmr_1e-3", "threshold_at_fmr_1e-3", "fnmr_at_fmr_1e-4",
                                "threshold_at_fmr_1e-4", "genuine_pairs", "impostor_pairs", "threshold",
                                "fmr_at_threshold", "fnmr_at_threshold")},
        "ms_per_image_median_by_quarter": [round(float(np.median(totals[quarter == q])), 2)
                                           for q in range(4) if (quarter == q).any()],
        "ms_per_image_total": round(float(totals.sum()), 1),
        "wall_s_all_workers": round(outcome.wall_s, 2),
    }
    protocol = body.get("pairs", {}).get("protocol", [])
    if len(protocol) == 2:  # LFW View 1: train on fold 0, test on fold 1
        row["lfw_fold1_accuracy"] = next(f["accuracy"] for f in protocol if f["fold"] == 1)
    return row, report


def ratio(default: dict, peer: dict) -> dict:
    return {"median": round(default["ms_per_image_median"] / peer["ms_per_image_median"], 3),
            "mean": round(default["ms_per_image_mean"] / peer["ms_per_image_mean"], 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description="CivicID's engines vs face_recognition, same images, one run")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("CIVICID_DATA", "../shared/data")))
    parser.add_argument("--limit", type=int, default=0, help="the first N images of each dataset (0 = all)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes per pipeline")
    parser.add_argument("--block", type=int, default=64, help="images per block (pipelines alternate per block)")
    parser.add_argument("--chunk", type=int, default=8, help="images per task")
    args = parser.parse_args()
    try:
        peer_version = metadata.version("face_recognition")
    except metadata.PackageNotFoundError:
        console.print("face_recognition is not installed: run `make bench`, or "
                      "`.venv/bin/pip install --no-deps face_recognition==1.3.0`.")
        return 2
    for variable in THREAD_VARIABLES:  # inherited by the spawned workers: one core each
        os.environ[variable] = "1"
    settings = Settings()
    datasets = [_limited(load_dataset(args.data / name), args.limit) for name in DATASETS]
    lines = pipelines(settings)
    default, peer = lines[0], lines[-1]
    warm_up = str(datasets[0].path(0))
    report: dict[str, Any] = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "bench/face_bench.py " + " ".join(f"--{k} {v}" for k, v in vars(args).items() if k != "data"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": {name: metadata.version(name) for name in ("dlib-bin", "onnxruntime", "ai-edge-litert")}
        | {PEER: peer_version},
        "timing": "CPU time (time.process_time) per image in single-threaded worker processes",
        "alternation": f"blocks of {args.block} images; every block through every pipeline, one at a time, "
                       "in an order rotated by one per block",
        "default_engine": default.engine, "workers_per_pipeline": args.workers, "datasets": {},
    }
    context = get_context("spawn")
    pools = {p.name: ProcessPoolExecutor(args.workers, mp_context=context, initializer=_start_worker,
                                         initargs=(p, warm_up)) for p in lines}
    plots: dict[str, dict[str, EvaluationReport]] = {}
    try:
        with Progress(console=console, transient=True) as progress:
            outcomes = {d.name: run_dataset(d, lines, pools, block=args.block, chunk=args.chunk, progress=progress)
                        for d in datasets}
    finally:
        for pool in pools.values():
            pool.shutdown()
    report["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for d in datasets:
        blocks = -(-len(d.images) // args.block)
        rows, plots[d.name] = [], {}
        for p in lines:
            row, plots[d.name][p.name] = summarise(d, p, outcomes[d.name][p.name], blocks)
            rows.append(row)
        # Quarters hold different images: compare pipelines within a quarter, not quarters.
        by_quarter = [round(a / b, 3) for a, b in zip(rows[0]["ms_per_image_median_by_quarter"],
                                                      rows[-1]["ms_per_image_median_by_quarter"])]
        report["datasets"][d.name] = {"images": len(d.images), "rows": rows,
                                      "cpu_ratio_default_to_peer": ratio(rows[0], rows[-1]),
                                      "cpu_ratio_default_to_peer_median_by_quarter": by_quarter}
    everything = [np.concatenate([[r.timings.total_ms for r in outcomes[d.name][p.name].results] for d in datasets])
                  for p in (default, peer)]
    report["all_images"] = {
        "images": int(everything[0].size),
        "default_ms_per_image": {"median": float(np.median(everything[0])), "mean": float(np.mean(everything[0]))},
        "peer_ms_per_image": {"median": float(np.median(everything[1])), "mean": float(np.mean(everything[1]))},
        "cpu_ratio_default_to_peer": {"median": round(float(np.median(everything[0]) / np.median(everything[1])), 3),
                                      "mean": round(float(np.mean(everything[0]) / np.mean(everything[1])), 3)},
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "face_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    _table(report)
    _plot(report, plots, OUT / "face_bench.png")
    console.print(f"wrote {OUT / 'face_bench.json'} and {OUT / 'face_bench.png'}")
    return 0


def _limited(dataset: Dataset, limit: int) -> Dataset:
    """The first ``limit`` images (whole persons come first, so genuine pairs remain) and their pairs."""
    if not limit or limit >= len(dataset.images):
        return dataset
    pairs = tuple(pair for pair in dataset.pairs if pair.left < limit and pair.right < limit)
    return replace(dataset, images=dataset.images[:limit], persons=dataset.persons[:limit], pairs=pairs)


# --- output ------------------------------------------------------------------------------------

def _table(report: dict) -> None:
    for name, entry in report["datasets"].items():
        r = entry["cpu_ratio_default_to_peer"]
        quarters = " ".join(f"{v:.2f}" for v in entry["cpu_ratio_default_to_peer_median_by_quarter"])
        table = Table(title=f"{name}: {entry['images']} images; default / {PEER} CPU per image: "
                            f"{r['median']:.2f} (median), {r['mean']:.2f} (mean); by quarter {quarters}")
        for column in ("pipeline", "CPU ms/img median (mean)", "by quarter", "FTE", "EER",
                       "FNMR@1e-3", "FNMR@1e-4", "fold-1 acc"):
            table.add_column(column)
        for row in entry["rows"]:
            table.add_row(row["pipeline"], f"{row['ms_per_image_median']:.1f} ({row['ms_per_image_mean']:.1f})",
                          " ".join(f"{v:.0f}" for v in row["ms_per_image_median_by_quarter"]),
                          str(row["failed_images"]), f"{row['eer']:.4f}", f"{row['fnmr_at_fmr_1e-3']:.4f}",
                          f"{row['fnmr_at_fmr_1e-4']:.4f}",
                          f"{row['lfw_fold1_accuracy']:.4f}" if "lfw_fold1_accuracy" in row else "-")
        console.print(table)
    a = report["all_images"]
    r = a["cpu_ratio_default_to_peer"]
    console.print(f"all {a['images']} images: default {a['default_ms_per_image']['median']:.1f} ms vs {PEER} "
                  f"{a['peer_ms_per_image']['median']:.1f} ms CPU per image (median): "
                  f"ratio {r['median']:.2f} (mean {r['mean']:.2f})")


def _plot(report: dict, reports: dict[str, dict[str, EvaluationReport]], path: Path) -> None:
    """Top: CPU ms per image (bar median, dot mean); bottom: DET curves. One column per dataset."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(report["datasets"])
    figure = Figure(figsize=(6.5 * len(names), 9), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, len(names), squeeze=False)
    for column, name in enumerate(names):
        rows = report["datasets"][name]["rows"]
        bars, det = axes[0][column], axes[1][column]
        x = np.arange(len(rows))
        medians = np.array([r["ms_per_image_median"] for r in rows])
        bars.bar(x, medians, color=[f"C{i}" for i in range(len(rows))], label="median")
        bars.plot(x, [r["ms_per_image_mean"] for r in rows], "ko", markersize=4, label="mean")
        for i, r in enumerate(rows):
            top = max(medians[i], r["ms_per_image_mean"])  # above the mean's dot too
            bars.text(i, top, f"{medians[i] / medians[-1]:.2f}×\nFTE {r['failed_images']}",
                      ha="center", va="bottom", fontsize=7)
        bars.set_xticks(x, [r["pipeline"].replace(" (default)", "\n(default)") for r in rows], fontsize=7)
        bars.set_ylabel("CPU ms per image")
        bars.set_title(f"{name}: {report['datasets'][name]['images']} images, CPU per image (× = to {PEER})")
        bars.set_ylim(0, max(max(medians), max(r["ms_per_image_mean"] for r in rows)) * 1.25)
        bars.legend(fontsize=7)
        for i, (label, evaluation) in enumerate(reports[name].items()):
            fmr, fnmr = evaluation.det
            shown = (fmr > 0) & (fnmr > 0)
            if shown.any():
                det.plot(fmr[shown], fnmr[shown], color=f"C{i}", linewidth=1.4,
                         label=f"{label} (EER {evaluation.overall.eer:.3f})")
        if det.lines:  # a small --limit run may have no errors to draw
            det.set_xscale("log")
            det.set_yscale("log")
        det.set_xlabel("false match rate (FMR)")
        det.set_ylabel("false non-match rate (FNMR)")
        det.set_title(f"{name}: DET, all pairs (failures count as non-matches)")
        det.grid(True, which="both", alpha=0.3)
        if det.lines:
            det.legend(fontsize=7, loc="lower left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


if __name__ == "__main__":
    raise SystemExit(main())
