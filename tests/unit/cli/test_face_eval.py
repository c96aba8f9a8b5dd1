"""``civicid face eval`` on a tiny dataset made of links to LFW images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.cli.main import app

pytestmark = pytest.mark.data

PERSONS = {
    "Aaron_Peirsol": ("Aaron_Peirsol_0001.jpg", "Aaron_Peirsol_0002.jpg"),
    "Aaron_Sorkin": ("Aaron_Sorkin_0001.jpg", "Aaron_Sorkin_0002.jpg"),
    "Abdullah": ("Abdullah_0001.jpg", "Abdullah_0002.jpg"),
}


@pytest.fixture
def tiny_dataset(lfw_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    for person, files in PERSONS.items():
        (root / "images" / person).mkdir(parents=True)
        for name in files:
            (root / "images" / person / name).symlink_to(lfw_dir / "images" / person / name)
    (root / "images" / "Nobody").mkdir()
    (root / "images" / "Nobody" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    a, b, c = (f"images/{p}/{files[0]}" for p, files in PERSONS.items())
    a2, b2, _ = (f"images/{p}/{files[1]}" for p, files in PERSONS.items())
    (root / "pairs.csv").write_text(
        "left,right,same,fold\n"
        f"{a},{a2},1,0\n{a},{b},0,0\n{b},{b2},1,1\n{b},{c},0,1\n{c},images/Nobody/broken.jpg,0,1\n"
    )
    return root


def test_eval_writes_the_report_and_the_det_plot(loaded_engine, tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("civicid.cli.face.engine_factory", lambda name, **kw: lambda: loaded_engine)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["face", "eval", str(tiny_dataset), "--out", str(out), "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert json.loads(result.stdout) == report
    assert (out / "det.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report["images"] == 7
    assert report["failures_by_code"] == {"image.corrupt": 1}
    assert report["failure_to_enrol"] == pytest.approx(1 / 7)
    assert (report["genuine_pairs"], report["impostor_pairs"]) == (3, 18)
    for key in ("eer", "fnmr_at_fmr_1e-3", "fnmr_at_fmr_1e-4", "threshold_at_fmr_1e-4", "ms_per_image_median"):
        assert isinstance(report[key], float), key
    # The pair with the broken image counts as wrong even though it is an impostor pair.
    assert report["pairs"]["failed"] == 1
    assert report["protocol_accuracy_mean"] <= (1.0 + 2 / 3) / 2
    assert set(report["folds"]) == {"0", "1"}


def test_eval_refuses_a_folder_without_images(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["face", "eval", str(tmp_path), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "dataset.invalid"
