"""Benchmark of the storyboard renderer (the embedded text-to-video draft), side by side in one run.

Prints, for 12 s of 1280x720 at 24 fps (the six shots of a planner-style video, one per camera move of the
planner's cycle plus an orbit):
- the renderer's cost per frame, wall and CPU milliseconds, each shot's layers painted inside the clock;
- a bare libx264 ``preset=medium`` encode of the same frames (x264 alone: the frames are converted to
  yuv420p before the clock starts; frame threads, as the ffmpeg command line uses);
- the ratio renderer / bare medium encode. Issue #13 allows the whole render 1.6x the bare encode, so the
  renderer's own share must be small (aim: <= 6 ms a frame on one core, a fraction of the encode).
Run: ``.venv/bin/python bench/bench_storyboard.py``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from reference_encode import bare_medium_encode

from reelwright.generation.storyboard import Storyboard, layout_for
from reelwright.plan import CameraMove

SIZE, FPS, SHOT_FRAMES = (1280, 720), 24, 48
SHOTS: list[tuple[str, CameraMove]] = [
    ("wide establishing shot of red fox running through fresh snow at dawn", "zoom_in"),
    ("medium shot of a dog walking down a city street at night", "pan_right"),
    ("close-up of tea being poured into a cup in a cosy kitchen", "static"),
    ("detail shot of a flower blooming in a garden", "tilt_up"),
    ("tracking shot of a car driving through the desert at sunset", "pan_left"),
    ("final wide shot of a sailboat on the ocean", "orbit"),
]


def render_all() -> tuple[list[np.ndarray], float, float]:
    """Every shot's frames, and the wall and CPU seconds it took (layouts and painting included)."""
    frames: list[np.ndarray] = []
    wall, cpu = time.perf_counter(), time.process_time()
    for prompt, camera in SHOTS:
        storyboard = Storyboard(layout_for(prompt, "cinematic", SIZE, FPS, SHOT_FRAMES, camera))
        frames.extend(storyboard.frame(index) for index in range(SHOT_FRAMES))
    return frames, time.perf_counter() - wall, time.process_time() - cpu


def as_yuv(frame: np.ndarray, pts: int) -> av.VideoFrame:
    """The frame as x264 takes it, converted before the clock starts: the reference is the encoder alone."""
    converted = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")
    converted.pts = pts
    return converted


def main() -> None:
    renders, encodes = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(3):  # alternated, so a busy moment on the machine weighs on both
            frames, wall, cpu = render_all()
            renders.append((wall, cpu))
            yuv = [as_yuv(frame, index) for index, frame in enumerate(frames)]
            encodes.append(bare_medium_encode(yuv, Path(scratch) / "medium.mp4", FPS))
    count = len(SHOTS) * SHOT_FRAMES
    wall = statistics.median(wall for wall, _ in renders)
    cpu = statistics.median(cpu for _, cpu in renders)
    encode = statistics.median(encodes)
    print(
        f"storyboard renderer, {count} frames of {SIZE[0]}x{SIZE[1]} ({count / FPS:g} s at {FPS} fps, {len(SHOTS)} shots): "
        f"{wall / count * 1000:.2f} ms a frame wall, {cpu / count * 1000:.2f} ms CPU "
        f"(runs: {', '.join(f'{w / count * 1000:.2f}' for w, _ in renders)} ms wall)"
    )
    print(
        f"bare libx264 preset=medium encode of the same frames: {encode / count * 1000:.2f} ms a frame "
        f"(runs: {', '.join(f'{e / count * 1000:.2f}' for e in encodes)}); renderer / bare medium: {wall / encode:.2f}"
    )


if __name__ == "__main__":
    main()
