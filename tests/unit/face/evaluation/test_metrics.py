"""Error-rate arithmetic on hand-made score sets (tests/vectors/face_metrics/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from civicid.face.evaluation import metrics

VECTORS = Path(__file__).parents[3] / "vectors" / "face_metrics"
SCORE_SETS = sorted(p for p in VECTORS.glob("*.json") if not p.name.startswith("protocol_"))
PROTOCOLS = sorted(VECTORS.glob("protocol_*.json"))


def _floats(values: list) -> np.ndarray:
    return np.array([np.inf if v is None or v == "inf" else v for v in values], dtype=np.float64)


def _scores(case: dict) -> metrics.Scores:
    return metrics.Scores(genuine=_floats(case["genuine"]), impostor=_floats(case["impostor"]))


@pytest.mark.parametrize("path", SCORE_SETS, ids=lambda p: p.stem)
def test_equal_error_rate(path: Path) -> None:
    case = json.loads(path.read_text())
    eer, threshold = metrics.equal_error_rate(_scores(case))
    assert eer == pytest.approx(case["eer"])
    assert threshold == pytest.approx(case["eer_threshold"])


@pytest.mark.parametrize("path", SCORE_SETS, ids=lambda p: p.stem)
def test_operating_points(path: Path) -> None:
    case = json.loads(path.read_text())
    scores = _scores(case)
    for expected in case["operating_points"]:
        point = metrics.operating_point(scores, expected["target_fmr"])
        low, high = _floats(expected["threshold_between"])
        assert low <= point.threshold < high
        assert point.fmr == pytest.approx(expected["fmr"])
        assert point.fnmr == pytest.approx(expected["fnmr"])
        assert point.fmr <= expected["target_fmr"]


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.stem)
def test_protocol_accuracy(path: Path) -> None:
    case = json.loads(path.read_text())
    folds = metrics.protocol_accuracy(
        _floats(case["distances"]),
        np.array(case["same"], dtype=bool),
        np.array(case["folds"]),
        failed=np.array(case["failed"], dtype=bool),
    )
    assert [(f.fold, f.pairs) for f in folds] == [(e["fold"], e["pairs"]) for e in case["expected"]]
    for got, expected in zip(folds, case["expected"]):
        assert got.threshold == pytest.approx(expected["threshold"])
        assert got.accuracy == pytest.approx(expected["accuracy"])
    assert np.mean([f.accuracy for f in folds]) == pytest.approx(case["mean_accuracy"])


def test_threshold_is_the_largest_that_keeps_the_fmr() -> None:
    rng = np.random.default_rng(7)
    impostor = rng.normal(0.8, 0.1, 10_000)
    t = metrics.threshold_at_fmr(impostor, 1e-3)
    assert metrics.fmr_at(impostor, t) <= 1e-3
    assert metrics.fmr_at(impostor, np.nextafter(t, np.inf)) > 1e-3


def test_all_pairs_matches_brute_force_and_marks_failures() -> None:
    rng = np.random.default_rng(3)
    embeddings = rng.normal(size=(23, 8))
    embeddings[5] = np.nan  # an image that could not be encoded
    labels = rng.integers(0, 6, size=23)
    scores = metrics.all_pairs(embeddings, labels, chunk_rows=4)
    genuine, impostor = [], []
    for i in range(23):
        for j in range(i + 1, 23):
            d = np.inf if 5 in (i, j) else np.linalg.norm(embeddings[i] - embeddings[j])
            (genuine if labels[i] == labels[j] else impostor).append(d)
    np.testing.assert_allclose(np.sort(scores.genuine), np.sort(genuine), rtol=1e-5)
    np.testing.assert_allclose(np.sort(scores.impostor), np.sort(impostor), rtol=1e-5)


def test_pair_distances_of_failed_images_are_infinite() -> None:
    embeddings = np.array([[0.0, 0.0], [3.0, 4.0], [np.nan, np.nan]])
    d = metrics.pair_distances(embeddings, np.array([0, 0]), np.array([1, 2]))
    assert d[0] == pytest.approx(5.0)
    assert d[1] == np.inf


def test_det_curve_is_monotone() -> None:
    rng = np.random.default_rng(11)
    scores = metrics.Scores(genuine=rng.normal(0.4, 0.1, 500), impostor=rng.normal(0.8, 0.1, 50_000))
    thresholds, fmr, fnmr = metrics.det_curve(scores)
    assert np.all(np.diff(thresholds) > 0)
    assert np.all(np.diff(fmr) >= 0) and np.all(np.diff(fnmr) <= 0)
    assert fmr[fmr > 0].min() == pytest.approx(1 / 50_000)  # reaches the smallest impostor
