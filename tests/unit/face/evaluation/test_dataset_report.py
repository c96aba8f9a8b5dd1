"""Dataset layout, report arithmetic and the DET plot, on made-up embeddings (no model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from civicid.face.batch import EncodedImage, StageTimings
from civicid.face.evaluation.dataset import DatasetError, load_dataset
from civicid.face.evaluation.plot import plot_det
from civicid.face.evaluation.report import build_report, summary_table, write_report
from civicid.face.models import Quality


def make_dataset(root: Path, pairs: str | None) -> Path:
    for person, count in (("ann", 3), ("bob", 2), ("cy", 1)):
        (root / "images" / person).mkdir(parents=True)
        for i in range(count):
            (root / "images" / person / f"{i}.jpg").write_bytes(b"")
    if pairs is not None:
        (root / "pairs.csv").write_text(pairs)
    return root


def test_load_dataset_reads_persons_and_pairs(tmp_path: Path) -> None:
    root = make_dataset(tmp_path, "left,right,same,fold\nimages/ann/0.jpg,images/ann/1.jpg,1,0\nimages/ann/0.jpg,images/bob/0.jpg,0,1\n")
    dataset = load_dataset(root)
    assert dataset.images[:3] == ("images/ann/0.jpg", "images/ann/1.jpg", "images/ann/2.jpg")
    assert dataset.persons == ("ann", "ann", "ann", "bob", "bob", "cy")
    assert [(p.left, p.right, p.same, p.fold) for p in dataset.pairs] == [(0, 1, True, 0), (0, 3, False, 1)]
    assert dataset.has_folds


@pytest.mark.parametrize(
    "pairs",
    ["left,right\nimages/ann/0.jpg,images/ann/1.jpg\n", "left,right,same\nimages/ann/0.jpg,images/zed/1.jpg,1\n", "left,right,same\nimages/ann/0.jpg,images/ann/1.jpg,yes\n"],
)
def test_bad_pairs_are_a_typed_error(tmp_path: Path, pairs: str) -> None:
    with pytest.raises(DatasetError):
        load_dataset(make_dataset(tmp_path, pairs))


def result(path: str, vector: list[float] | None, error: str | None = None) -> EncodedImage:
    quality = Quality(40.0, 100.0, 120.0, 0.0, 0.0, ("blurry",) if vector and vector[0] > 5 else ())
    embedding = None if vector is None else np.array(vector, dtype=np.float32)
    return EncodedImage(path, embedding, error, 0 if vector is None else 1, None if vector is None else quality, StageTimings(1.0, 2.0, 3.0))


def test_report_counts_pairs_failures_and_rates(tmp_path: Path) -> None:
    dataset = load_dataset(make_dataset(tmp_path / "d", "left,right,same\nimages/ann/0.jpg,images/ann/2.jpg,1\nimages/ann/1.jpg,images/cy/0.jpg,0\n"))
    results = [
        result("a0", [0.0, 0.0]), result("a1", [0.1, 0.0]), result("a2", None, "face.not_found"),
        result("b0", [1.0, 0.0]), result("b1", [1.0, 0.2]), result("c0", [9.0, 0.0]),
    ]
    report = build_report(dataset, results, threshold=0.5, engine="fake", engine_options={})
    body = report.to_json()
    # ann: 3 genuine pairs (two with the failed image), bob: 1 → 4 genuine; 15 - 4 = 11 impostor.
    assert (body["genuine_pairs"], body["impostor_pairs"]) == (4, 11)
    assert body["failure_to_enrol"] == pytest.approx(1 / 6)
    assert body["failures_by_code"] == {"face.not_found": 1}
    assert body["fnmr_at_threshold"] == pytest.approx(2 / 4)  # the two pairs with the failed image
    assert body["fmr_at_threshold"] == 0.0
    assert body["ms_per_image_median"] == pytest.approx(6.0)
    assert body["pairs"]["failed"] == 1 and body["pairs"]["accuracy"] == pytest.approx(0.5)
    assert body["quality"]["flag_rates"] == {"blurry": pytest.approx(1 / 5)}
    assert "protocol_accuracy_mean" not in body
    assert (write_report(report, tmp_path / "out")).is_file()
    assert summary_table(report).row_count > 5


def test_plot_det_writes_a_png(tmp_path: Path) -> None:
    fmr = np.array([0.0, 1e-4, 1e-2, 1.0])
    fnmr = np.array([1.0, 0.1, 0.01, 0.0])
    path = plot_det({"engine": (fmr, fnmr)}, tmp_path / "det.png", title="t", marks={"threshold": (1e-4, 0.1)})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
