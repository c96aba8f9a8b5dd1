"""``civicid verify``: decision, JSON shape and exit codes on real photos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from civicid.cli.main import app
from civicid.settings import Settings

DEFAULT_FACE_THRESHOLD = Settings().threshold_of(Settings().face_engine)

pytestmark = pytest.mark.data

runner = CliRunner()


def run(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["verify", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_same_person_matches_with_exit_0(faces_dir: Path) -> None:
    # Runs the command exactly as a user would, building its own engine from Settings().
    code, body = run(str(faces_dir / "images/obama/1.jpg"), str(faces_dir / "images/obama/4.jpg"))
    assert code == 0
    assert body["match"] is True
    assert body["distance"] <= body["threshold"] == DEFAULT_FACE_THRESHOLD
    for side in ("left", "right"):
        assert set(body[side]["quality"]) == {"inter_eye_px", "sharpness", "brightness", "yaw_deg", "pitch_deg"}
        assert isinstance(body[side]["flags"], list)


def test_different_people_do_not_match_with_exit_1(loaded_engine, faces_dir: Path) -> None:
    code, body = run(str(faces_dir / "images/obama/1.jpg"), str(faces_dir / "images/biden/2.jpg"))
    assert code == 1
    assert body["match"] is False and body["distance"] > body["threshold"]


@pytest.mark.parametrize("name, code", [("truncated.jpg", "image.corrupt"), ("group_017_0.jpg", "face.not_found")])
def test_an_unusable_image_exits_2_with_its_code(loaded_engine, faces_dir: Path, name: str, code: str) -> None:
    exit_code, body = run(str(faces_dir / "images/obama/1.jpg"), str(faces_dir / "multi" / name))
    assert exit_code == 2
    assert body["error"]["code"] == code
    assert body["error"]["detail"]["image"] == "right"


def test_a_missing_file_exits_2(loaded_engine, tmp_path: Path, faces_dir: Path) -> None:
    exit_code, body = run(str(tmp_path / "nope.jpg"), str(faces_dir / "images/obama/1.jpg"))
    assert (exit_code, body["error"]["code"]) == (2, "image.unreadable")


def test_human_output_names_the_decision(loaded_engine, faces_dir: Path) -> None:
    result = runner.invoke(app, ["verify", str(faces_dir / "images/obama/1.jpg"), str(faces_dir / "images/biden/2.jpg")])
    assert result.exit_code == 1
    assert "no match" in result.stdout and "threshold" in result.stdout
