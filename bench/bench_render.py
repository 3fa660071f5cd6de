"""Benchmark of the embedded default, measured side by side in one run on this machine.

Prints, for 12 s, 3-shot, 1280x720 24 fps renders with narration (three different requests, one service):
- the whole render (``service.render`` until its result: shots, narration, sound, mix, compose, signing,
  storing) in wall seconds per second of video;
- a bare libx264 ``preset=medium`` encode of the same number of 720p24 frames (x264 alone: the frames are
  converted to yuv420p before the clock starts; frame threads, as the ffmpeg command line uses), timed
  between the renders, and the ratio render / bare medium (issue #13: at most 1.6);
- the cost of composition (captions + label + watermark + H.264/AAC) as a ratio against a plain encode of
  the same frames with the same encoder settings.
Planning has its own benchmark (``bench/bench_planning.py``). Run: ``.venv/bin/python bench/bench_render.py``.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
from reference_encode import bare_medium_encode

from reelwright.bot.render_service import RenderOutcome
from reelwright.bot.service import ConversationService
from reelwright.generation.compose import FINAL_CRF, ComposedShot, Provenance, compose, frame_ranges
from reelwright.generation.video_io import read_frames, yuv_frame, yuv_planes
from reelwright.generation.watermark import Watermarker
from reelwright.records import UserRef, VersionRecord
from reelwright.settings import Settings

REQUESTS = [
    "a 12 second video of a fox running through snow at dawn, 3 shots",
    "a 12 second video of a lighthouse on a cliff at night, 3 shots",
    "a 12 second video of a baker making bread in a small bakery, 3 shots",
]


def timed(work: Callable[[], object]) -> float:
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
        renders: list[tuple[float, VersionRecord, RenderOutcome]] = []
        medium_runs: list[float] = []
        yuv: list[av.VideoFrame] = []

        async def render_once(request: str) -> tuple[float, VersionRecord, RenderOutcome]:
            version = await service.plan(UserRef("bench", "bench"), request)
            start = time.perf_counter()
            outcome = await (await service.render(None, version.project_id)).result()
            return time.perf_counter() - start, version, outcome

        async def run_all() -> None:
            for request in REQUESTS:
                renders.append(await render_once(request))
                if not yuv:  # the reference's frames: as many as one render's, at its size
                    yuv.extend(yuv_frame(yuv_planes(frame), index) for index, frame in enumerate(read_frames(renders[0][2].path)))
                medium_runs.append(bare_medium_encode(yuv, Path(scratch) / "medium.mp4", renders[0][1].plan.fps))
            await service.close()

        asyncio.run(run_all())
        _, version, outcome = renders[0]
        plan = version.plan
        clips = [service.store.lookup(str(shot["clip_hash"])) for shot in outcome.shots]
        assert all(clips), "rendered clips are in the cache"
        frames = [frame for clip in clips if clip is not None for frame in read_frames(clip)]
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

    seconds = [render_s / version.plan.total_duration_s for render_s, version, _ in renders]
    render_s, medium_s = statistics.median(render_s for render_s, _, _ in renders), statistics.median(medium_runs)
    print(
        f"render (animatic + Piper + compose), {plan.total_duration_s:g} s of {plan.width}x{plan.height} at {plan.fps} fps: "
        f"median {render_s:.2f} s = {statistics.median(seconds):.2f} s per second of video "
        f"(each: {', '.join(f'{value:.2f}' for value in seconds)}; the first in a fresh process)"
    )
    print(
        f"bare libx264 preset=medium encode of the same {len(yuv)} frames: median {medium_s:.2f} s "
        f"(each: {', '.join(f'{value:.2f}' for value in medium_runs)}); render / bare medium: {render_s / medium_s:.2f} (target <= 1.6)"
    )
    print(
        f"compose+mark+encode {statistics.median(compose_runs):.2f} s vs plain encode {statistics.median(plain_runs):.2f} s "
        f"of the same {len(frames)} frames (decode included in compose): ratio {statistics.median(compose_runs) / statistics.median(plain_runs):.2f}"
    )


if __name__ == "__main__":
    main()
