"""Verification error rates from comparison scores (pure numpy, no I/O).

Vocabulary and definitions of ISO/IEC 19795-1: a comparison *matches* when its distance is at
most the threshold. FMR(t) is the share of impostor comparisons with distance <= t, FNMR(t) the
share of genuine comparisons with distance > t. A comparison involving an image that could not
be encoded has distance +inf: it never matches, so it is a false non-match when genuine and a
correct rejection when impostor (the "generalised" rates of ISO/IEC 19795-1 §7.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

FAILED = np.inf
"""Distance of a comparison in which one side has no embedding."""


@dataclass(frozen=True, slots=True)
class Scores:
    """Genuine (same person) and impostor (different persons) distances."""

    genuine: np.ndarray
    impostor: np.ndarray


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """The largest threshold whose FMR stays within ``target_fmr``, and what it costs."""

    target_fmr: float
    threshold: float
    fmr: float
    fnmr: float


@dataclass(frozen=True, slots=True)
class FoldAccuracy:
    fold: int
    threshold: float
    accuracy: float
    pairs: int


# -- scoring -----------------------------------------------------------------------------------


def pair_distances(embeddings: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Distances of the pairs (left[i], right[i]); rows of NaN (failed images) give +inf."""
    e = np.asarray(embeddings, dtype=np.float64)
    d = np.linalg.norm(e[np.asarray(left)] - e[np.asarray(right)], axis=1)
    return np.where(np.isnan(d), FAILED, d)


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(start + size, n)


def all_pairs(embeddings: np.ndarray, labels: np.ndarray, *, chunk_rows: int = 512) -> Scores:
    """Every unordered pair of distinct images, split into genuine and impostor by label.

    Works in blocks of ``chunk_rows`` rows so that memory stays at O(chunk_rows x N) besides
    the output (LFW view 1: 4,991 images, 12.4 million pairs, 50 MB of float32).
    """
    e = np.asarray(embeddings, dtype=np.float64)
    labels = np.asarray(labels)
    n = len(e)
    failed = np.isnan(e).any(axis=1)
    e = np.where(failed[:, None], 0.0, e)
    sq = np.einsum("ij,ij->i", e, e)
    genuine, impostor = [], []
    for start, stop in _chunks(n, chunk_rows):
        block = sq[start:stop, None] + sq[None, :] - 2.0 * (e[start:stop] @ e.T)
        d = np.sqrt(np.maximum(block, 0.0))
        d[failed[start:stop], :] = FAILED
        d[:, failed] = FAILED
        rows = np.arange(start, stop)[:, None]
        upper = np.arange(n)[None, :] > rows  # each unordered pair once
        same = labels[start:stop, None] == labels[None, :]
        genuine.append(d[upper & same].astype(np.float32))
        impostor.append(d[upper & ~same].astype(np.float32))
    return Scores(
        genuine=np.concatenate(genuine) if genuine else np.empty(0, np.float32),
        impostor=np.concatenate(impostor) if impostor else np.empty(0, np.float32),
    )


# -- error rates -------------------------------------------------------------------------------


def fmr_at(impostor: np.ndarray, threshold: float) -> float:
    imp = np.asarray(impostor)
    return float(np.count_nonzero(imp <= threshold) / imp.size) if imp.size else 0.0


def fnmr_at(genuine: np.ndarray, threshold: float) -> float:
    gen = np.asarray(genuine)
    return float(np.count_nonzero(gen > threshold) / gen.size) if gen.size else 0.0


def threshold_at_fmr(impostor: np.ndarray, target_fmr: float) -> float:
    """The largest threshold t with FMR(t) <= target_fmr.

    With n impostor distances sorted ascending, at most k = floor(target x n) may match, so t
    is just below the (k+1)-th smallest distance. Returns +inf when every impostor may match.
    """
    imp = np.sort(np.asarray(impostor, dtype=np.float64))
    if imp.size == 0:
        return float("inf")
    k = int(np.floor(target_fmr * imp.size + 1e-9))
    if k >= imp.size:
        return float("inf")
    return float(np.nextafter(imp[k], -np.inf))


def operating_point(scores: Scores, target_fmr: float) -> OperatingPoint:
    """FNMR at the largest threshold that keeps FMR <= ``target_fmr``."""
    t = threshold_at_fmr(scores.impostor, target_fmr)
    return OperatingPoint(
        target_fmr=target_fmr, threshold=t, fmr=fmr_at(scores.impostor, t), fnmr=fnmr_at(scores.genuine, t)
    )


def equal_error_rate(scores: Scores) -> tuple[float, float]:
    """(EER, threshold): the smallest max(FMR(t), FNMR(t)) over all thresholds t.

    Where the FMR and FNMR step curves cross at one threshold this is their common value.
    FNMR only drops at genuine distances and FMR only grows with t, so only the genuine
    distances (and -inf) need to be tried.
    """
    gen = np.sort(np.asarray(scores.genuine, dtype=np.float64))
    imp = np.sort(np.asarray(scores.impostor, dtype=np.float64))
    if gen.size == 0 or imp.size == 0:
        return 0.0, float("inf")
    candidates = np.concatenate([[-np.inf], gen[np.isfinite(gen)]])
    fmr = np.searchsorted(imp, candidates, side="right") / imp.size
    fnmr = 1.0 - np.searchsorted(gen, candidates, side="right") / gen.size
    worst = np.maximum(fmr, fnmr)
    best = int(np.argmin(worst))
    return float(worst[best]), float(candidates[best])


def det_curve(scores: Scores, *, points: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(thresholds, FMR, FNMR) at thresholds spread evenly in log(FMR) and over the genuine
    distances, ready for a DET plot."""
    gen = np.sort(np.asarray(scores.genuine, dtype=np.float64))
    imp = np.sort(np.asarray(scores.impostor, dtype=np.float64))
    finite_imp = imp[np.isfinite(imp)]
    finite_gen = gen[np.isfinite(gen)]
    picks = []
    if finite_imp.size:
        ranks = np.unique(np.geomspace(1, finite_imp.size, points).astype(int) - 1)
        picks.append(finite_imp[ranks])
    if finite_gen.size:
        picks.append(np.quantile(finite_gen, np.linspace(0, 1, points)))
    if not picks:
        empty = np.empty(0)
        return empty, empty, empty
    thresholds = np.unique(np.concatenate(picks))
    fmr = np.searchsorted(imp, thresholds, side="right") / max(imp.size, 1)
    fnmr = 1.0 - np.searchsorted(gen, thresholds, side="right") / max(gen.size, 1)
    return thresholds, fmr, fnmr


# -- pair protocol (LFW) -----------------------------------------------------------------------


def accuracy(distances: np.ndarray, same: np.ndarray, threshold: float, *, failed: np.ndarray | None = None) -> float:
    """Share of pairs decided correctly; a pair marked ``failed`` always counts as wrong."""
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same, dtype=bool)
    if d.size == 0:
        return 0.0
    correct = (d <= threshold) == s
    if failed is not None:
        correct &= ~np.asarray(failed, dtype=bool)
    return float(np.count_nonzero(correct) / d.size)


def best_accuracy_threshold(distances: np.ndarray, same: np.ndarray) -> float:
    """The threshold of highest accuracy: midway between the two sorted distances that bound
    the best split (the first such split when several tie)."""
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same, dtype=bool)
    finite = np.isfinite(d)
    d, s = d[finite], s[finite]
    if d.size == 0:
        return 0.0
    order = np.argsort(d, kind="stable")
    d, s = d[order], s[order]
    # Cutting after position i (t between d[i] and d[i+1]) accepts pairs 0..i.
    correct = np.concatenate([[0], np.cumsum(s)]) + (np.count_nonzero(~s) - np.concatenate([[0], np.cumsum(~s)]))
    # Only cuts between distinct distances are realisable.
    valid = np.concatenate([[True], d[1:] != d[:-1], [True]])
    correct = np.where(valid, correct, -1)
    cut = int(np.argmax(correct))
    if cut == 0:
        return float(d[0] - 1e-6)
    if cut == d.size:
        return float(d[-1] + 1e-6)
    return float((d[cut - 1] + d[cut]) / 2)


def protocol_accuracy(
    distances: np.ndarray, same: np.ndarray, folds: np.ndarray, *, failed: np.ndarray | None = None
) -> tuple[FoldAccuracy, ...]:
    """LFW's protocol: for each fold, pick the threshold on the other folds (best accuracy)
    and measure accuracy on this one. Pairs with a failed image count as wrong."""
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same, dtype=bool)
    f = np.asarray(folds)
    bad = np.zeros(d.size, dtype=bool) if failed is None else np.asarray(failed, dtype=bool)
    results = []
    for fold in np.unique(f):
        test = f == fold
        train = ~test & ~bad
        threshold = best_accuracy_threshold(d[train], s[train])
        results.append(
            FoldAccuracy(
                fold=int(fold),
                threshold=threshold,
                accuracy=accuracy(d[test], s[test], threshold, failed=bad[test]),
                pairs=int(np.count_nonzero(test)),
            )
        )
    return tuple(results)
