"""The reference of issue #13's speed target, shared by the benches: x264 ``medium`` alone."""

from __future__ import annotations

import time
from pathlib import Path

import av

from reelwright.generation.compose import FINAL_CRF


def bare_medium_encode(frames: list[av.VideoFrame], path: Path, fps: int) -> float:
    """Seconds x264 ``preset=medium`` takes to encode ``frames`` (yuv420p, converted before the clock starts),
    with frame threads, as the ffmpeg command line uses."""
    start = time.perf_counter()
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames[0].width, frames[0].height, "yuv420p"
        stream.thread_type = "FRAME"
        stream.options = {"crf": FINAL_CRF, "preset": "medium"}
        for frame in frames:
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return time.perf_counter() - start
