"""Benchmark of the invisible watermark: robustness per attack, false positives, and embedding cost.

Prints, measured in one run on this machine:
- per attack (ffmpeg, after the render's own H.264 encode at FINAL_CRF): bit accuracy (payload bits
  right at the best geometry, before the tag is checked) and detection rate (the right mark decoded) over
  marked animatic clips at 640x360 and 1280x720, read as ``reelwright verify`` reads them, and the
  same past the targets (harder re-encode, larger crops, smaller copies) to show where the mark gives out;
- false positives over unmarked clips (animatic renders with varied prompts, cameras, seeds and sizes,
  plus noise, flat and gradient clips), and over the marked clips read with another key;
- embedding cost per 720p frame, and its ratio to encoding that frame with H.264 (the render's settings).

Run: ``.venv/bin/python bench/bench_watermark.py [--quick]`` (a few minutes; ``--quick`` under one).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tests_support import ATTACKS, SCENES, animatic, encode, ffmpeg, unmarked  # the suite's attacks and clips, reused

from reelwright.generation.compose import FINAL_CRF
from reelwright.generation.video_io import sample_frames
from reelwright.generation.watermark import MIN_CONFIDENCE, Mark, Watermarker
from reelwright.plan import CameraMove

KEY = "bench key"
#: How ``reelwright verify`` samples a file (bot/service.py; not imported, so the bench needs no database stack).
VERIFY_SAMPLE_FRAMES, VERIFY_WIDTH = 96, 1280
#: Marked clips: (size, scene, camera). The unmarked ones (``tests_support.unmarked``) vary more, and are many more.
MARKED: list[tuple[tuple[int, int], int, CameraMove]] = [
    ((640, 360), 0, "pan_right"),
    ((1280, 720), 1, "static"),
    ((640, 360), 2, "zoom_in"),
    ((640, 360), 3, "orbit"),
    ((640, 360), 4, "tilt_up"),
    ((1280, 720), 5, "pan_left"),
    ((640, 360), 6, "zoom_out"),
    ((640, 360), 7, "static"),
]

#: Past the targets, to show where the mark gives out (the search covers crops of up to MAX_CROP per axis).
BEYOND: dict[str, Callable[[int, int], list[str]]] = {
    "re-encode CRF 35": lambda width, height: ["-crf", "35"],
    "crop 8% off left and top": lambda width, height: [
        "-vf",
        f"crop={round(width * 0.92) // 2 * 2}:{round(height * 0.92) // 2 * 2}:iw-ow:ih-oh",
    ],
    "crop 12% off left and top": lambda width, height: [
        "-vf",
        f"crop={round(width * 0.88) // 2 * 2}:{round(height * 0.88) // 2 * 2}:iw-ow:ih-oh",
    ],
    "third size": lambda width, height: ["-vf", f"scale={width // 6 * 2}:{height // 6 * 2}"],
}


def false_positive(index: int) -> tuple[bool, float]:
    """(found, confidence) for one unmarked clip, encoded as a render would be and read as verify reads it."""
    marker = Watermarker(KEY)
    with tempfile.TemporaryDirectory() as scratch:
        path = encode(unmarked(index), Path(scratch) / "plain.mp4", crf=int(FINAL_CRF))
        detection = marker.detect(sample_frames(path, VERIFY_SAMPLE_FRAMES, VERIFY_WIDTH))
    return detection.found, detection.confidence


def attack_results(
    clips: list[tuple[tuple[int, int], int, CameraMove]], scratch: Path
) -> tuple[dict[str, list[tuple[float, float, bool]]], int]:
    """Per attack, (bit accuracy, confidence, right mark decoded) for each clip; and how often another key found a mark."""
    marker, stranger = Watermarker(KEY), Watermarker("another key")
    attacks = {"none": None, **ATTACKS, **BEYOND}
    results: dict[str, list[tuple[float, float, bool]]] = {name: [] for name in attacks}
    other_key_found = 0
    for number, ((width, height), scene, camera) in enumerate(clips):
        mark = Mark(f"{number * 0x1F2E3D4C + 0x0A1B2C3D & 0xFFFFFFFF:08x}", 1 + number * 511 % 4095)
        frames = [
            marker.embed(frame, mark) for frame in animatic(width, height, prompt=SCENES[scene], camera=camera, seed=number, frames=96)
        ]
        rendered = encode(frames, scratch / f"marked-{number}.mp4", crf=int(FINAL_CRF))
        other_key_found += stranger.detect(sample_frames(rendered, VERIFY_SAMPLE_FRAMES, VERIFY_WIDTH)).found
        truth = marker.bits_for(mark)
        for name, attack in attacks.items():
            attacked = rendered if attack is None else ffmpeg(rendered, scratch / "attacked.mp4", *attack(width, height))
            sampled = list(sample_frames(attacked, VERIFY_SAMPLE_FRAMES, VERIFY_WIDTH))
            reading = marker.read(sampled)
            accuracy = float(np.mean((reading.soft_bits > 0) == truth))
            results[name].append((accuracy, reading.confidence, marker.detect(sampled).mark == mark))  # as verify decides
    return results, other_key_found


def embedding_cost(repeats: int) -> tuple[float, float, float]:
    """(ms to embed a 720p frame, ms to H.264-encode it, ms of the first embed of a mark at a new size)."""
    frames = animatic(1280, 720, prompt=SCENES[0], camera="pan_right", seed=0, frames=48)
    marker, mark = Watermarker(KEY), Mark("0a1b2c3d", 1)
    start = time.perf_counter()
    marker.embed(frames[0], mark)
    first_ms = (time.perf_counter() - start) * 1000
    embed_runs, encode_runs = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(repeats):
            start = time.perf_counter()
            for frame in frames:
                marker.embed(frame, mark)
            embed_runs.append((time.perf_counter() - start) / len(frames) * 1000)
            start = time.perf_counter()
            with av.open(str(Path(scratch) / "plain.mp4"), "w", format="mp4") as container:
                stream = container.add_stream("libx264", rate=24)
                stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
                stream.options = {"crf": FINAL_CRF, "preset": "veryfast"}
                for frame in frames:
                    container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
                container.mux(stream.encode())
            encode_runs.append((time.perf_counter() - start) / len(frames) * 1000)
    return statistics.median(embed_runs), statistics.median(encode_runs), first_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 marked clips and 100 unmarked ones")
    parser.add_argument("--unmarked", type=int, help="unmarked clips (default 1000, 100 with --quick)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the unmarked clips")
    args = parser.parse_args()
    clips = MARKED[:2] if args.quick else MARKED
    unmarked = args.unmarked or (100 if args.quick else 1000)

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        results, other_key_found = attack_results(clips, Path(scratch))
    sizes = ", ".join(sorted({f"{w}x{h}" for (w, h), _, _ in clips}))
    print(f"{len(clips)} marked clips ({sizes}, 4 s at 24 fps, rendered at CRF {FINAL_CRF}), {time.perf_counter() - start:.0f} s:")
    print(f"  {'attack':34s} {'bit accuracy min / mean':>24s} {'confidence min':>15s} {'detected':>9s}")
    for name, rows in results.items():
        if name == next(iter(BEYOND)):
            print("  beyond the targets:")
        accuracies = [accuracy for accuracy, _, _ in rows]
        detected = sum(found for _, _, found in rows)
        print(
            f"  {name:34s} {min(accuracies):15.3f} / {statistics.mean(accuracies):.3f} {min(c for _, c, _ in rows):15.1f} {detected:6d}/{len(rows)}"
        )
    print(f"  marked clips read with another key: {other_key_found}/{len(clips)} decoded")

    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        outcomes = list(pool.map(false_positive, range(unmarked), chunksize=8))
    confidences = sorted(confidence for _, confidence in outcomes)
    print(
        f"false positives: {sum(found for found, _ in outcomes)}/{unmarked} unmarked clips "
        f"(confidence median {statistics.median(confidences):.2f}, max {confidences[-1]:.2f}; a mark needs >= {MIN_CONFIDENCE:g}), "
        f"{time.perf_counter() - start:.0f} s"
    )

    embed_ms, encode_ms, first_ms = embedding_cost(repeats=3 if args.quick else 5)
    print(
        f"embedding at 1280x720: {embed_ms:.2f} ms/frame vs H.264 encode (CRF {FINAL_CRF}, veryfast) {encode_ms:.2f} ms/frame: "
        f"ratio {embed_ms / encode_ms:.3f} (first frame of a new mark or size: {first_ms:.1f} ms)"
    )


if __name__ == "__main__":
    main()
