"""Pass 1 of a live stream in worker processes: contiguous runs of frames located in parallel.

DESIGN.md, Scale: "Face work is CPU-bound and runs in a process pool sized to the cores." dlib's
detector holds the GIL, so threads would take turns; processes split one decision's frames (the
latency a citizen waits for) and serve several decisions at once (throughput). Each worker builds
its engine once, from a picklable factory, and runs single-threaded.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from civicid.face.batch import EngineFactory, single_threaded
from civicid.face.interfaces import FaceEngine
from civicid.face.models import Face

_engine: FaceEngine | None = None  # one per worker process, built by _start


def _start(factory: EngineFactory) -> None:
    global _engine
    single_threaded()
    _engine = factory()
    _engine.load()  # type: ignore[attr-defined]


def _locate_run(jpegs: Sequence[bytes], max_bytes: int, max_pixels: int, full_scan_every: int) -> list[tuple[Face, ...]]:
    from civicid.face.stream import locate_all

    if _engine is None:
        raise RuntimeError("worker not started")
    return locate_all(jpegs, _engine, max_bytes=max_bytes, max_pixels=max_pixels, full_scan_every=full_scan_every)


class LocatorPool:
    """``workers`` processes, each with its own engine from ``factory`` (loaded when the pool starts)."""

    def __init__(self, factory: EngineFactory, *, workers: int) -> None:
        if workers < 2:
            raise ValueError("a pool needs at least two workers; locate in process otherwise")
        self.workers = workers
        # spawn: workers must not inherit a parent's threads, locks or loaded models.
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start, initargs=(factory,))

    def locate(self, jpegs: Sequence[bytes], *, max_bytes: int, max_pixels: int,
               full_scan_every: int) -> list[tuple[Face, ...]]:
        """Faces of every frame, in order. Each run starts with a whole-frame scan, then tracks."""
        size = -(-len(jpegs) // self.workers)
        runs = [jpegs[start:start + size] for start in range(0, len(jpegs), size)]
        futures = [self._pool.submit(_locate_run, run, max_bytes, max_pixels, full_scan_every) for run in runs]
        return [faces for future in futures for faces in future.result()]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
