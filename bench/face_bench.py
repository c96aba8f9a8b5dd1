"""CivicID's face pipeline against the face_recognition package, side by side, in one run.

Run: make bench   (or .venv/bin/python bench/face_bench.py [--quick])
Writes bench/results/face_bench.json and face_bench.png.

The same images go through four pipelines, each in a process pool sized to the cores:

  civicid          the CivicID engine with its default options (Settings)
  face_recognition face_recognition 1.3.0's default pipeline: load_image_file → face_locations
                   (HOG, upsample 1) → face_encodings (5-point landmarks, 1 jitter), first face

each on two builds of the same dlib 20.0.1 with the same weights: "bin" (the dlib-bin wheel, no
BLAS) and "blas" (built from source against OpenBLAS by `make fast`). Running both pipelines on
both builds separates what the pipeline gains from what the build gains. A worker puts its build
first on sys.path before dlib is imported (the pool uses spawn), so builds never mix.

Per pipeline: ms per image by stage (measured inside single-threaded workers, so it is CPU time),
images/s with all cores, failures to encode, FNMR at FMR 1e-3 and 1e-4 over all-vs-all pairs —
counting a genuine pair with an unencodable image as a false non-match (ISO/IEC 19795-1's
generalised rates) — and LFW View 1 fold-1 accuracy with the threshold chosen on fold 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from civicid.face.batch import encode_files
from civicid.face.dlib_engine import DlibFaceEngine
from civicid.face.evaluation import metrics
from civicid.face.evaluation.dataset import load_dataset
from civicid.settings import Settings

HERE = Path(__file__).parent
OUT = HERE / "results"
BUILDS = {"bin": HERE / ".dlib" / "bin", "blas": HERE / ".dlib" / "blas"}
console = Console(width=150)


# --- workers -----------------------------------------------------------------------------------

class OnBuild:
    """A picklable engine factory that makes a worker import dlib from ``path`` first."""

    def __init__(self, path: str, factory) -> None:
        self.path, self.factory = path, factory

    def __call__(self):
        sys.path.insert(0, self.path)
        return self.factory()


def civicid_engine() -> DlibFaceEngine:
    settings = Settings()
    return DlibFaceEngine(detector=settings.face_detector, quality_policy=settings.quality_policy)


_peer = None


def _peer_init(path: str) -> None:
    global _peer
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[variable] = "1"
    sys.path.insert(0, path)
    import face_recognition

    _peer = face_recognition


def _peer_encode(paths: list[str]) -> list[tuple[np.ndarray | None, str | None, tuple[float, float, float]]]:
    """face_recognition's default pipeline, timed by stage; the first face is encoded."""
    fr, out = _peer, []
    for path in paths:
        start = time.perf_counter()
        try:
            image = fr.load_image_file(path)
        except Exception as exc:  # the peer raises whatever PIL raises
            out.append((None, f"load:{type(exc).__name__}", ((time.perf_counter() - start) * 1e3, 0.0, 0.0)))
            continue
        loaded = time.perf_counter()
        locations = fr.face_locations(image)
        located = time.perf_counter()
        encodings = fr.face_encodings(image, known_face_locations=locations[:1]) if locations else []
        done = time.perf_counter()
        timing = ((loaded - start) * 1e3, (located - loaded) * 1e3, (done - located) * 1e3)
        out.append((np.asarray(encodings[0], np.float32) if encodings else None,
                    None if encodings else "face.not_found", timing))
    return out


# --- running -----------------------------------------------------------------------------------

@dataclass
class Run:
    pipeline: str
    build: str
    embeddings: list[np.ndarray | None]
    errors: list[str | None]
    timings: list[tuple[float, float, float]]
    wall_s: float


def run_civicid(paths: list[Path], build: str, workers: int, progress) -> Run:
    settings = Settings()
    start = time.perf_counter()
    results = encode_files(paths, engine_factory=OnBuild(str(BUILDS[build]), civicid_engine),
                           max_bytes=settings.image_max_bytes, max_pixels=settings.image_max_pixels,
                           workers=workers, progress=progress)
    wall = time.perf_counter() - start
    return Run("civicid", build, [r.embedding for r in results], [r.error for r in results],
               [(r.timings.decode_ms, r.timings.detect_ms, r.timings.embed_ms) for r in results], wall)


def run_peer(paths: list[Path], build: str, workers: int, progress, chunk: int = 8) -> Run:
    names = [str(p) for p in paths]
    chunks = [names[i:i + chunk] for i in range(0, len(names), chunk)]
    results: dict[int, list] = {}
    start = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_peer_init,
                             initargs=(str(BUILDS[build]),)) as pool:
        futures = {pool.submit(_peer_encode, c): i for i, c in enumerate(chunks)}
        done = 0
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            done += len(results[futures[future]])
            progress(done, len(names))
    wall = time.perf_counter() - start
    flat = [item for i in range(len(chunks)) for item in results[i]]
    return Run("face_recognition", build, [e for e, _, _ in flat], [err for _, err, _ in flat], [t for _, _, t in flat], wall)


# --- measuring ---------------------------------------------------------------------------------

def generalised_rates(run: Run, persons: list[str], targets=(1e-3, 1e-4)) -> dict:
    """All-vs-all FNMR at fixed FMR; a genuine pair with a failed image is a false non-match."""
    labels = np.array(persons)
    ok = np.array([e is not None for e in run.embeddings])
    _, counts = np.unique(labels, return_counts=True)
    genuine_total = int((counts * (counts - 1) // 2).sum())
    impostor_total = len(labels) * (len(labels) - 1) // 2 - genuine_total
    emb = np.stack([e for e in run.embeddings if e is not None])
    scores = metrics.all_pairs(emb, labels[ok])
    genuine = np.sort(scores.genuine)
    impostor = np.sort(scores.impostor)
    failed_genuine = genuine_total - genuine.size
    out = {"genuine_pairs": genuine_total, "impostor_pairs": impostor_total,
           "genuine_pairs_lost_to_failures": failed_genuine}
    for target in targets:
        allowed = int(np.floor(target * impostor_total))  # impostor pairs that may fall under t
        threshold = float(impostor[allowed]) if allowed < impostor.size else float("inf")
        false_matches = int(np.searchsorted(impostor, threshold, side="left"))
        misses = int(genuine.size - np.searchsorted(genuine, threshold, side="left")) + failed_genuine
        out[f"fnmr_at_fmr_{target:g}"] = misses / genuine_total
        out[f"threshold_at_fmr_{target:g}"] = threshold
        out[f"fmr_achieved_{target:g}"] = false_matches / impostor_total
    return out


def fold1_accuracy(run: Run, dataset) -> float:
    emb = np.stack([e if e is not None else np.zeros(128, np.float32) for e in run.embeddings])
    left = np.array([p.left for p in dataset.pairs])
    right = np.array([p.right for p in dataset.pairs])
    same = np.array([p.same for p in dataset.pairs])
    folds = np.array([p.fold for p in dataset.pairs])
    failed = np.array([run.embeddings[l] is None or run.embeddings[r] is None for l, r in zip(left, right)])
    distances = metrics.pair_distances(emb, left, right)
    train = (folds == 0) & ~failed
    threshold = metrics.best_accuracy_threshold(distances[train], same[train])
    test = folds == 1
    return metrics.accuracy(distances[test], same[test], threshold, failed=failed[test])


def summarise(run: Run, dataset, workers: int) -> dict:
    ok = [t for t, e in zip(run.timings, run.embeddings) if e is not None]
    stages = {name: statistics.median(t[i] for t in ok) for i, name in enumerate(("decode", "detect", "align_embed"))}
    total = [sum(t) for t in run.timings]
    summary = {
        "pipeline": run.pipeline, "dlib_build": run.build, "images": len(run.embeddings),
        "failure_to_encode": sum(e is None for e in run.embeddings),
        "failure_codes": {c: run.errors.count(c) for c in sorted({e for e in run.errors if e})},
        "ms_per_image_median": statistics.median(total), "ms_per_image_mean": statistics.fmean(total),
        "ms_by_stage_median": stages, "images_per_s_all_cores": len(total) / run.wall_s, "workers": workers,
        **generalised_rates(run, list(dataset.persons)),
    }
    if dataset.has_folds:
        summary["lfw_fold1_accuracy"] = fold1_accuracy(run, dataset)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description="CivicID vs face_recognition, same images, one run")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("CIVICID_DATA", "../shared/data")))
    parser.add_argument("--quick", action="store_true", help="faces/ only, for a smoke run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    builds = [name for name, path in BUILDS.items() if (path / "dlib").is_dir()]
    if not builds:
        console.print("No dlib builds under bench/.dlib: run `make bench`, which installs them.")
        return 2
    names = ["faces"] if args.quick else ["faces", "lfw_view1"]
    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
              "settings_threshold": Settings().face_threshold, "datasets": {}}
    for name in names:
        dataset = load_dataset(args.data / name)
        paths = [dataset.path(i) for i in range(len(dataset.images))]
        rows = []
        for build in builds:
            for pipeline, runner in (("civicid", run_civicid), ("face_recognition", run_peer)):
                with Progress(console=console, transient=True) as progress:
                    task = progress.add_task(f"{name}: {pipeline} on dlib-{build}", total=len(paths))
                    run = runner(paths, build, args.workers, lambda done, total: progress.update(task, completed=done))
                rows.append(summarise(run, dataset, args.workers))
                console.print(f"{name}: {pipeline} on dlib-{build}: {rows[-1]['ms_per_image_median']:.1f} ms/image, "
                              f"FNMR@1e-4 {rows[-1]['fnmr_at_fmr_0.0001']:.4f}, FTE {rows[-1]['failure_to_encode']}")
        report["datasets"][name] = rows
    OUT.mkdir(exist_ok=True)
    (OUT / "face_bench.json").write_text(json.dumps(report, indent=2))
    _table(report)
    _plot(report, OUT / "face_bench.png")
    return 0


def _table(report: dict) -> None:
    for name, rows in report["datasets"].items():
        table = Table(title=f"{name}: {rows[0]['images']} images")
        for column in ("pipeline", "dlib", "ms/img (decode+detect+embed)", "img/s", "FTE", "FNMR@1e-3", "FNMR@1e-4", "fold-1 acc"):
            table.add_column(column)
        for r in rows:
            s = r["ms_by_stage_median"]
            table.add_row(r["pipeline"], r["dlib_build"],
                          f"{r['ms_per_image_median']:.1f} ({s['decode']:.1f}+{s['detect']:.1f}+{s['align_embed']:.1f})",
                          f"{r['images_per_s_all_cores']:.1f}", str(r["failure_to_encode"]),
                          f"{r['fnmr_at_fmr_0.001']:.4f}", f"{r['fnmr_at_fmr_0.0001']:.4f}",
                          f"{r['lfw_fold1_accuracy']:.4f}" if "lfw_fold1_accuracy" in r else "-")
        console.print(table)


def _plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(report["datasets"])
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4), squeeze=False)
    for ax, name in zip(axes[0], datasets):
        rows = report["datasets"][name]
        labels = [f"{r['pipeline']}\ndlib-{r['dlib_build']}" for r in rows]
        bottom = np.zeros(len(rows))
        for stage in ("decode", "detect", "align_embed"):
            values = np.array([r["ms_by_stage_median"][stage] for r in rows])
            ax.bar(labels, values, bottom=bottom, label=stage)
            bottom += values
        for i, r in enumerate(rows):
            ax.text(i, bottom[i], f"FNMR@1e-4\n{r['fnmr_at_fmr_0.0001']:.3f}", ha="center", va="bottom", fontsize=7)
        ax.set_title(f"{name}: median ms per image (one core)")
        ax.set_ylabel("ms")
        ax.set_ylim(0, bottom.max() * 1.3)
        ax.tick_params(axis="x", labelsize=7)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    raise SystemExit(main())
