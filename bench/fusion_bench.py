"""Does fusing the best frames beat the single best frame for the 1:1 match?

Run: .venv/bin/python bench/fusion_bench.py
Writes bench/results/fusion_bench.json.

For each genuine clip, stretches of 3 s (the frames a decision sees, at 15 fps) are taken at
several offsets. Each stretch goes through the service's stream observer, and the probe is either
the best frame alone or the mean of the best 1..5 frames. It is compared with the same person's
registry photo (a frame from outside the stretch) and with the other people's photos. A better
probe has smaller genuine distances and larger impostor distances; the margin is the smallest
impostor distance minus the largest genuine one.
"""

from __future__ import annotations

import json
import os
import random
import statistics
from pathlib import Path

import numpy as np

from civicid.enrolment.assessment import fused
from civicid.face.decode import decode_image
from civicid.face.probe import primary_face
from civicid.face.stream import StreamPolicy, observe_stream
from civicid.face.video import sample_frames
from civicid.runtime import service_engine
from civicid.settings import Settings

OUT = Path(__file__).parent / "results"
LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 40_000_000}
# clip: (registry photo time, stretch start times); the registry frame lies outside every stretch
CLIPS = {
    "genuine_webcam_blink_turn_clm.mp4": (7.8, (0.0, 1.5, 3.0, 4.5)),
    "genuine_selfie_blinks_lp_d13.mp4": (7.8, (0.0, 1.5, 3.0, 4.5)),
    "genuine_webcam_headturn_zub.mp4": (7.8, (0.0, 1.5, 3.0, 4.5)),
    "genuine_selfie_headturn_tvl.mp4": (7.8, (0.0, 1.5, 3.0, 4.0)),
}
FUSED = (1, 2, 3, 4, 5)


def main() -> int:
    data = Path(os.environ.get("CIVICID_DATA", Path(__file__).parents[1] / ".." / "shared" / "data")).resolve()
    engine = service_engine(Settings())
    photos = {}
    for clip, (photo_s, _) in CLIPS.items():
        jpeg = sample_frames(data / "videos" / clip, fps=5, start_s=photo_s, end_s=photo_s + 0.3)[0].jpeg
        image = decode_image(jpeg, **LIMITS)
        photos[clip] = engine.embed(image, [primary_face(engine.detect(image), image)])[0].embedding
    results = {k: {"genuine": [], "impostor": []} for k in FUSED}
    for clip, (_, starts) in CLIPS.items():
        for start in starts:
            frames = sample_frames(data / "videos" / clip, fps=15, start_s=start, end_s=start + 3.0)
            seen = observe_stream(frames, engine=engine, rng=random.Random(0), pad=None,
                                  policy=StreamPolicy(best_frames=max(FUSED)), **LIMITS)
            for k in FUSED:
                if len(seen.best_embeddings) < k:
                    continue
                probe = fused(seen.best_embeddings[:k])
                for other, photo in photos.items():
                    distance = float(np.linalg.norm(probe - photo))
                    results[k]["genuine" if other == clip else "impostor"].append(distance)
    report = {"engine": engine.name, "threshold": engine.threshold, "by_frames_fused": {}}
    for k, found in results.items():
        genuine, impostor = found["genuine"], found["impostor"]
        report["by_frames_fused"][k] = {
            "genuine_mean": round(statistics.mean(genuine), 4), "genuine_max": round(max(genuine), 4),
            "impostor_min": round(min(impostor), 4), "margin": round(min(impostor) - max(genuine), 4),
            "genuine_over_threshold": sum(d > engine.threshold for d in genuine), "stretches": len(genuine)}
    OUT.mkdir(exist_ok=True)
    (OUT / "fusion_bench.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
