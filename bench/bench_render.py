"""Benchmark of the embedded default, measured side by side in one run on this machine.

Prints: render time per second of video, and the cost of composition (captions + label + watermark +
H.264/AAC) as a ratio against a plain encode of the same frames with the same encoder settings.
Planning has its own benchmark (``bench/bench_planning.py``). Run: ``.venv/bin/python bench/bench_render.py``.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import av

from reelwright.bot.render_service import RenderOutcome
from reelwright.bot.service import ConversationService
from reelwright.generation.compose import FINAL_CRF, ComposedShot, Provenance, compose, frame_ranges
from reelwright.generation.video_io import read_frames
from reelwright.generation.watermark import Watermarker
from reelwright.records import UserRef, VersionRecord
from reelwright.settings import Settings

REQUEST = "a 12 second video of a fox running through snow at dawn, 3 shots"


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def plain_encode(frames: list, path: Path, fps: int) -> None:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.options = {"crf": FINAL_CRF, "preset": "veryfast"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch) / "data", llm_provider="template")
        service = ConversationService(settings)

        async def render_once() -> tuple[float, VersionRecord, RenderOutcome]:
            version = await service.plan(UserRef("bench", "bench"), REQUEST)
            start = time.perf_counter()
            outcome = await (await service.render(None, version.project_id)).result()
            elapsed = time.perf_counter() - start
            await service.close()
            return elapsed, version, outcome

        render_s, version, outcome = asyncio.run(render_once())
        plan = version.plan
        clips = [service.store.lookup(str(shot["clip_hash"])) for shot in outcome.shots]
        assert all(clips), "rendered clips are in the cache"
        frames = [frame for clip in clips for frame in read_frames(clip)]
        ranges = frame_ranges([s.duration_s for s in plan.shots], plan.fps)
        shots = [
            ComposedShot(clip, start, count, shot.narration) for clip, shot, (start, count) in zip(clips, plan.shots, ranges, strict=True)
        ]
        marker = Watermarker("bench")
        compose_runs, plain_runs = [], []
        for _ in range(3):
            plain_runs.append(timed(lambda: plain_encode(frames, Path(scratch) / "plain.mp4", plan.fps)))
            compose_runs.append(
                timed(
                    lambda: compose(
                        shots,
                        out_path=Path(scratch) / "composed.mp4",
                        width=plan.width,
                        height=plan.height,
                        fps=plan.fps,
                        audio=None,
                        captions=True,
                        provenance=Provenance("bench", "0a1b2c3d", 1, 1, "t"),
                        watermarker=marker,
                        progress=lambda fraction: None,
                    )
                )
            )

    print(
        f"render (animatic + Piper + compose), {plan.total_duration_s:g} s of {plan.width}x{plan.height}: "
        f"{render_s:.2f} s = {render_s / plan.total_duration_s:.2f} s per second of video"
    )
    print(
        f"compose+mark+encode {statistics.median(compose_runs):.2f} s vs plain encode {statistics.median(plain_runs):.2f} s "
        f"of the same {len(frames)} frames (decode included in compose): ratio {statistics.median(compose_runs) / statistics.median(plain_runs):.2f}"
    )


if __name__ == "__main__":
    main()
