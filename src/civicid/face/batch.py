"""Encoding many image files in a process pool sized to the cores.

Face work is CPU-bound and dlib holds the GIL, so throughput comes from processes: each worker
builds its engine once (in the pool initializer, models loading on its first image) and runs
single-threaded BLAS so that N workers use N cores. Every image yields either an embedding or
the typed error code that stopped it, with per-stage timings.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Sequence

import numpy as np

from civicid.errors import CivicIDError
from civicid.face.decode import decode_image
from civicid.face.errors import ImageUnreadable
from civicid.face.interfaces import FaceEngine
from civicid.face.models import Quality
from civicid.face.probe import primary_face, single_face

Selection = Literal["primary", "single", "first"]
"""Which face of an image is encoded: the primary (largest, central) one, the only one (a
probe: several faces are an error), or the detector's first (as face_recognition does)."""

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True, slots=True)
class StageTimings:
    decode_ms: float
    detect_ms: float
    embed_ms: float

    @property
    def total_ms(self) -> float:
        return self.decode_ms + self.detect_ms + self.embed_ms


@dataclass(frozen=True, slots=True, eq=False)
class EncodedImage:
    """One image's outcome: ``embedding`` (float32, 128) or the typed ``error`` code."""

    path: str
    embedding: np.ndarray | None
    error: str | None
    faces: int
    quality: Quality | None
    timings: StageTimings

    @property
    def ok(self) -> bool:
        return self.embedding is not None


def read_limited(path: Path, *, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes, so an oversized file is refused without reading it all."""
    with open(path, "rb") as handle:
        return handle.read(max_bytes + 1)


def encode_bytes(
    engine: FaceEngine,
    data: bytes,
    *,
    name: str,
    max_bytes: int,
    max_pixels: int,
    select: Selection = "primary",
    clock: Callable[[], float] = time.perf_counter,
) -> EncodedImage:
    """Decode, detect and embed one image; a CivicIDError becomes the result's ``error``."""
    started = clock()
    decoded_at = detected_at = None
    faces_found = 0
    try:
        image = decode_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
        decoded_at = clock()
        faces = engine.detect(image)
        faces_found = len(faces)
        if select == "single":
            face = single_face(faces)
        elif select == "first":
            face = single_face(faces[:1])
        else:
            face = primary_face(faces, image)
        detected_at = clock()
        (face,) = engine.embed(image, [face])
        done = clock()
    except CivicIDError as exc:
        now = clock()
        decode_end = decoded_at or now
        detect_end = detected_at or max(now, decode_end)
        timings = StageTimings(
            decode_ms=(decode_end - started) * 1e3,
            detect_ms=(detect_end - decode_end) * 1e3,
            embed_ms=(now - detect_end) * 1e3,
        )
        return EncodedImage(name, None, exc.code, faces_found, None, timings)
    timings = StageTimings(
        decode_ms=(decoded_at - started) * 1e3,
        detect_ms=(detected_at - decoded_at) * 1e3,
        embed_ms=(done - detected_at) * 1e3,
    )
    return EncodedImage(name, face.embedding, None, faces_found, face.quality, timings)


# -- the pool --------------------------------------------------------------------------------

EngineFactory = Callable[[], FaceEngine]

_worker_engine: FaceEngine | None = None  # one per worker process, built by _init_worker


def single_threaded() -> None:
    """In a worker process: one BLAS/OpenMP thread, so N workers use N cores."""
    for variable in _THREAD_VARIABLES:
        os.environ[variable] = "1"


def _init_worker(factory: EngineFactory) -> None:
    global _worker_engine
    single_threaded()
    _worker_engine = factory()


def _encode_chunk(
    paths: Sequence[str], max_bytes: int, max_pixels: int, select: Selection, clock: Callable[[], float]
) -> list[EncodedImage]:
    if _worker_engine is None:
        raise RuntimeError("worker not initialised")
    return [_encode_path(_worker_engine, path, max_bytes, max_pixels, select, clock) for path in paths]


def _encode_path(
    engine: FaceEngine, path: str, max_bytes: int, max_pixels: int, select: Selection, clock: Callable[[], float]
) -> EncodedImage:
    try:
        data = read_limited(Path(path), max_bytes=max_bytes)
    except OSError:
        return EncodedImage(path, None, ImageUnreadable.code, 0, None, StageTimings(0.0, 0.0, 0.0))
    return encode_bytes(engine, data, name=path, max_bytes=max_bytes, max_pixels=max_pixels, select=select, clock=clock)


def encode_files(
    paths: Sequence[Path | str],
    *,
    engine_factory: EngineFactory,
    max_bytes: int,
    max_pixels: int,
    workers: int,
    select: Selection = "primary",
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = 8,
    clock: Callable[[], float] = time.perf_counter,
) -> list[EncodedImage]:
    """Encode every file, in input order. ``engine_factory`` must be picklable (a class or a
    ``functools.partial`` of one) when ``workers > 1``; ``workers <= 1`` runs in this process.
    ``progress(done, total)`` is called in this process as images finish. ``clock`` times the
    stages: wall time by default, ``time.process_time`` for CPU time on a busy machine."""
    names = [str(path) for path in paths]
    total = len(names)
    if workers <= 1 or total <= chunk_size:
        engine = engine_factory()
        results = []
        for done, name in enumerate(names, start=1):
            results.append(_encode_path(engine, name, max_bytes, max_pixels, select, clock))
            if progress:
                progress(done, total)
        return results
    chunks = [names[start : start + chunk_size] for start in range(0, total, chunk_size)]
    by_chunk: dict[int, list[EncodedImage]] = {}
    done = 0
    # spawn: workers must not inherit a parent's BLAS thread pool or loaded models.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(engine_factory,)) as pool:
        futures = {pool.submit(_encode_chunk, chunk, max_bytes, max_pixels, select, clock): i for i, chunk in enumerate(chunks)}
        for future in as_completed(futures):
            by_chunk[futures[future]] = future.result()
            done += len(by_chunk[futures[future]])
            if progress:
                progress(done, total)
    return [result for i in range(len(chunks)) for result in by_chunk[i]]
