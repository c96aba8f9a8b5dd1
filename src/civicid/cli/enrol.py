"""``civicid enrol``: the enrolment flow from the command line, on frames or a video."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from civicid.cli.output import EXIT_NEGATIVE, EXIT_OK, console, print_json, typed_errors
from civicid.enrolment.frames import Frame
from civicid.errors import InvalidInput
from civicid.runtime import build_runtime
from civicid.settings import Settings

SAMPLE_FPS = 15.0
FRAME_SUFFIXES = {".jpg", ".jpeg"}


def enrol(
    id_number: str = typer.Option(..., "--id-number", help="The claimed national ID number."),
    name: str = typer.Option(..., "--name", help="The claimed full name."),
    frames_dir: Path | None = typer.Option(None, "--frames", file_okay=False, exists=True,
                                           help="Folder of JPEG frames; a number in the file name is its time in ms."),
    video: Path | None = typer.Option(None, "--video", dir_okay=False, exists=True,
                                      help="Video to sample frames from (15 fps)."),
    start: float = typer.Option(0.0, "--start", help="With --video: first second to sample."),
    end: float | None = typer.Option(None, "--end", help="With --video: last second to sample."),
    actions: str | None = typer.Option(None, "--actions",
                                       help="Pin the challenge's actions for a recording: their order is checked, "
                                            "their timing is not (a recording cannot follow live prompts)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Enrol a citizen. Exit 0 = enrolled, 1 = rejected, 2 = error."""
    from civicid.enrolment.service import EnrolmentService, decide_session
    with typed_errors(as_json):
        if (frames_dir is None) == (video is None):
            raise InvalidInput("Give exactly one of --frames DIR or --video FILE.")
        runtime = build_runtime(Settings())
        frames = _load_frames(frames_dir, runtime.settings) if frames_dir else _sample(video, start, end, runtime.settings)
        client = "cli"
        with runtime.transaction() as session:
            started = EnrolmentService(runtime, session).start(id_number=id_number, name=name, client=client,
                                                               actions=actions)
        if not as_json:
            console.print("Challenge: " + ", ".join(started.challenge.actions))
            if started.challenge.prompts_ms is None:
                console.print("Prompt timing is not checked: the actions are pinned (--actions), so only their order is.")
        try:
            decision = decide_session(runtime, EnrolmentService, started.session_id, frames, client=client)
        finally:
            runtime.close()
    result = {"decision": decision.decision, "reasons": list(decision.reasons), "frames": len(frames),
              "challenge": list(started.challenge.actions),
              "prompt_timing_checked": started.challenge.prompts_ms is not None}
    if decision.network_id:
        result["network_id"] = decision.network_id
    if decision.assessment is not None and decision.assessment.distance is not None:
        result["distance"] = round(decision.assessment.distance, 4)
        result["threshold"] = decision.assessment.threshold
    if as_json:
        print_json(result)
    else:
        colour = "green" if decision.decision == "enrolled" else "red"
        console.print(f"[{colour}]{decision.decision}[/{colour}] " + " ".join(decision.reasons))
        if decision.network_id:
            console.print(f"network id: {decision.network_id}")
    raise typer.Exit(EXIT_OK if decision.decision == "enrolled" else EXIT_NEGATIVE)


def _load_frames(folder: Path, settings) -> list[Frame]:
    files = sorted(path for path in folder.iterdir() if path.suffix.lower() in FRAME_SUFFIXES)
    if len(files) > settings.enrolment_max_frames:
        raise InvalidInput(f"At most {settings.enrolment_max_frames} frames are accepted.")
    frames = []
    for index, path in enumerate(files):
        digits = re.findall(r"\d+", path.stem)
        t_ms = int(digits[-1]) if digits else round(index * 1000 / SAMPLE_FPS)
        frames.append(Frame(t_ms, path.read_bytes()))
    return sorted(frames, key=lambda frame: frame.t_ms)


def _sample(video: Path, start: float, end: float | None, settings) -> list[Frame]:
    from civicid.face.video import sample_frames

    sampled = sample_frames(video, fps=SAMPLE_FPS, start_s=start, end_s=end,
                            max_frames=settings.enrolment_max_frames)
    return [Frame(frame.t_ms, frame.jpeg) for frame in sampled]
