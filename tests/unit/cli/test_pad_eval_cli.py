"""``civicid face pad-eval`` on the shared clips (4 genuine, 2 replays) and on a labelled subset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from civicid.cli.main import app

GENUINE = ("genuine_selfie_blinks_lp_d13.mp4", "genuine_selfie_headturn_tvl.mp4",
           "genuine_webcam_blink_turn_clm.mp4", "genuine_webcam_headturn_zub.mp4")
REPLAYS = ("spoof_phone_replay_les.mp4", "spoof_screen_replay_headturn_tvl.mp4")


@pytest.fixture(scope="module")
def shared_run(videos_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """One run over the shared folder (about 30 s), written to the default $CIVICID_HOME/pad-eval/videos."""
    home = tmp_path_factory.mktemp("home")
    result = CliRunner().invoke(app, ["face", "pad-eval", str(videos_dir), "--json"], env={"CIVICID_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), home / "pad-eval" / "videos"


@pytest.mark.data
def test_replays_are_detected_and_genuine_clips_accepted_at_the_default_threshold(shared_run) -> None:
    report, _ = shared_run
    assert report["labels_from"] == "file names"
    assert report["threshold"] == 0.3
    decisions = {c["file"]: c["decision"] for c in report["clips"]}
    assert decisions == {**{f: "bona_fide" for f in GENUINE}, **{f: "attack" for f in REPLAYS}}
    assert report["apcer"] == 0.0 and report["bpcer"] == 0.0
    assert report["failures_to_acquire"] == []
    assert report["apcer_by_attack_type"]["unspecified"]["decided"] == 2
    assert report["bona_fide_decided"] == 4


@pytest.mark.data
def test_the_measured_medians_and_the_sweep(shared_run) -> None:
    """Pins what was measured (docs/liveness.md): replays near 0, genuine clips from 0.61 (zub,
    glare and blur) to 1.0, so a threshold of 0.7 already rejects a genuine clip."""
    report, _ = shared_run
    medians = {c["file"]: c["median"] for c in report["clips"]}
    assert all(medians[f] < 0.01 for f in REPLAYS)
    assert min(medians[f] for f in GENUINE) > 0.55
    assert all(c["scored_frames"] >= 3 for c in report["clips"])
    sweep = {r["threshold"]: (r["apcer"], r["bpcer"]) for r in report["sweep"]}
    assert sweep[0.1] == sweep[0.5] == (0.0, 0.0)
    assert sweep[0.7] == (0.0, 0.25)


@pytest.mark.data
def test_the_report_and_plot_are_written_to_the_default_folder(shared_run) -> None:
    report, out = shared_run
    assert json.loads((out / "report.json").read_text()) == report
    assert (out / "medians.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.data
def test_labels_csv_attack_types_and_an_unreadable_clip(videos_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "labelled"
    root.mkdir()
    (root / "phone.mp4").symlink_to(videos_dir / "spoof_phone_replay_les.mp4")
    (root / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    (root / "labels.csv").write_text("file,label,attack_type\nphone.mp4,spoof,phone_replay\nbroken.mp4,live,\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["face", "pad-eval", str(root), "--out", str(out), "--threshold", "0.3",
                                      "--fps", "10", "--no-plot"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "failures to acquire: broken.mp4" in result.stdout
    assert "APCER phone_replay: 0.00% (0/1 accepted, 0 without decision)" in result.stdout
    report = json.loads((out / "report.json").read_text())
    assert not (out / "medians.png").exists()
    assert (report["threshold"], report["fps"], report["apcer"], report["bpcer"]) == (0.3, 10.0, 0.0, None)
    assert report["bpnrr"] == 1.0
    broken = next(c for c in report["clips"] if c["file"] == "broken.mp4")
    assert (broken["decision"], broken["reason"]) == ("no_decision", "video.unreadable")


def test_a_missing_folder_is_a_typed_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["face", "pad-eval", str(tmp_path / "nowhere"), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "dataset.invalid"


def test_a_folder_without_clips_is_a_typed_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("no videos here")
    result = CliRunner().invoke(app, ["face", "pad-eval", str(tmp_path)])
    assert result.exit_code == 2
    assert "dataset.invalid" in result.output
