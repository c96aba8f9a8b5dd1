"""Enrolment decisions as a citizen gets them: the web page's frames, over HTTP, on the default install.

Run: .venv/bin/python bench/enrol_bench.py [--runs 20] [--frames 150]
Writes bench/results/enrol_bench.json and enrol_bench.png.

What it sends is what the enrol page sends: a capture of up to 10 s at no more than 150 frames
(the page samples at max(20 fps, capture/150)), each frame drawn at 640x480 and encoded as JPEG at
quality 0.85, in one multipart upload with capture times. The frames are the genuine webcam clip
(turn right, turn left, blink; 8 s at 25 fps, VIDEOS.md) scaled to 640x480. The server is
`civicid serve` as `make run` starts it (SQLite and a local key file in a fresh CIVICID_HOME, the
default face engine and presentation-attack model), with two differences that a recording needs
and the figures do not depend on: CIVICID_ENVIRONMENT=test with CIVICID_TEST_CHALLENGE set to what
the clip shows (a recording cannot follow random prompts), and a start limit raised so that one
client can run the bench. Every run enrols a new registry person (same face, new ID number).

Measured per decision: the wall time of the frames upload as the client sees it, and the CPU time
the server's processes spent on it (/proc, the server and its children).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
from PIL import Image
from rich.progress import track

from civicid.face.video import sample_frames
from civicid.ids.generator import generate_id_number

OUT = Path(__file__).parent / "results"
CLIP = "videos/genuine_webcam_blink_turn_clm.mp4"
CHALLENGE = "turn_right,turn_left,blink"
PHOTO_AT_S = 3.0  # frontal, between the turns and the blink
NAME = "Bench Person"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def page_frames(clip: Path, count: int) -> list[tuple[int, bytes]]:
    """``count`` frames spread over the clip, as the page draws them: 640x480 JPEG q85."""
    sampled = sample_frames(clip, fps=25.0, max_frames=1000)
    picked = sorted({round(i * (len(sampled) - 1) / max(count - 1, 1)) for i in range(count)})
    return [(sampled[i].t_ms, _jpeg_640x480(sampled[i].jpeg, quality=85)) for i in picked]


def _jpeg_640x480(jpeg: bytes, *, quality: int) -> bytes:
    image = Image.open(io.BytesIO(jpeg)).convert("RGB").resize((640, 480), Image.BILINEAR)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def process_tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of ``root`` and every live descendant."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(pid, 0.0) for pid in tree)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, port: int, civicid: Path) -> subprocess.Popen:
    env = {**os.environ, "CIVICID_HOME": str(home), "CIVICID_ENVIRONMENT": "test",
           "CIVICID_TEST_CHALLENGE": CHALLENGE, "CIVICID_ENROLMENT_STARTS_PER_CLIENT_PER_HOUR": "100000",
           "CIVICID_PUBLIC_URL": f"http://localhost:{port}"}
    env.pop("CIVICID_DATABASE_URL", None)
    server = subprocess.Popen([str(civicid), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("civicid serve did not answer within 60 s")


def add_people(civicid: Path, home: Path, photo: bytes, count: int) -> list[str]:
    rng = random.Random(2026)
    numbers = [generate_id_number(rng, today=date(2026, 11, 30)) for _ in range(count)]
    photo_path = home / "registry-photo.jpg"
    photo_path.write_bytes(photo)
    env = {**os.environ, "CIVICID_HOME": str(home)}
    for number in track(numbers, description="registry people"):
        subprocess.run([str(civicid), "registry", "add", "--photo", str(photo_path), "--name", NAME,
                        "--id-number", number], env=env, check=True, capture_output=True)
    return numbers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--frames", type=int, default=150)
    args = parser.parse_args()
    data = Path(os.environ.get("CIVICID_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")).resolve()
    clip = data / CLIP
    if not clip.is_file():
        raise SystemExit(f"{clip} not found: put the shared data beside the checkout or set CIVICID_DATA")
    civicid = Path(sys.executable).parent / "civicid"
    frames = page_frames(clip, args.frames)
    photo = _jpeg_640x480(sample_frames(clip, fps=5, start_s=PHOTO_AT_S, end_s=PHOTO_AT_S + 0.3)[0].jpeg, quality=90)
    upload_bytes = sum(len(jpeg) for _, jpeg in frames)

    with tempfile.TemporaryDirectory(prefix="civicid-enrol-bench-") as scratch:
        home, port = Path(scratch), free_port()
        numbers = add_people(civicid, home, photo, args.runs + 1)
        server = start_server(home, port, civicid)
        try:
            runs = [_decide(port, number, frames, server.pid) for number in track(numbers, description="decisions")]
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    warm = runs[1:]  # the first decision loads the models
    report = {
        "what": "one enrolment decision over HTTP: the web page's frames, default install (SQLite, local keys)",
        "frames": len(frames), "frame_size": "640x480 JPEG q85", "upload_bytes": upload_bytes,
        "capture_ms": frames[-1][0] - frames[0][0], "runs": len(warm),
        "decisions": sorted({run["decision"] for run in warm}),
        "wall_s": {"p50": statistics.median(r["wall_s"] for r in warm), "p95": percentile([r["wall_s"] for r in warm], 0.95),
                   "max": max(r["wall_s"] for r in warm)},
        "server_cpu_s": {"p50": statistics.median(r["cpu_s"] for r in warm),
                         "p95": percentile([r["cpu_s"] for r in warm], 0.95)},
        "first_decision": runs[0],
        "targets": {"wall_s_p95": 2.0, "server_cpu_s_p95": 3.0},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "per_run": warm,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "enrol_bench.json").write_text(json.dumps(report, indent=2))
    _plot(report, OUT / "enrol_bench.png")
    print(json.dumps({k: report[k] for k in ("frames", "runs", "decisions", "wall_s", "server_cpu_s")}, indent=2))
    return 0


def _decide(port: int, number: str, frames: list[tuple[int, bytes]], server_pid: int) -> dict:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        started = client.post("/api/v1/enrolments", json={"id_number": number, "name": NAME})
        started.raise_for_status()
        files = [("frames", (f"{i:03d}.jpg", jpeg, "image/jpeg")) for i, (_, jpeg) in enumerate(frames)]
        data = {"timestamps_ms": ",".join(str(t - frames[0][0]) for t, _ in frames)}
        cpu_before, wall_before = process_tree_cpu_s(server_pid), time.perf_counter()
        decided = client.post(f"/api/v1/enrolments/{started.json()['session_id']}/frames", files=files, data=data)
        wall = time.perf_counter() - wall_before
        cpu = process_tree_cpu_s(server_pid) - cpu_before
    decided.raise_for_status()
    return {"decision": decided.json()["decision"], "reasons": decided.json()["reasons"],
            "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}


def _plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = report["per_run"]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot([r["wall_s"] for r in runs], "o-", label="wall (client)")
    ax.plot([r["cpu_s"] for r in runs], "s-", label="CPU (server)")
    ax.axhline(2.0, color="grey", linestyle="--", linewidth=1, label="wall target p95 2 s")
    ax.set_xlabel("decision")
    ax.set_ylabel("seconds")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Enrolment decision, {report['frames']} frames 640x480 over HTTP")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
