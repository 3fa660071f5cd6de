"""Composing as the frames come (the speed of issue #13) keeps every promise of the slower path: each new
shot's clip is still cached, a failure leaves no clip and no file, the soundtrack may come late, and
overlays blended in the encoder's planes look as they did blended in RGB."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from reelwright.errors import Cancelled, GenerationError
from reelwright.generation.backends import ClipRequest, Progress, Sound, SoundRequest
from reelwright.generation.compose import ComposedShot, Composer, Provenance, label_layer, split_planes, stamps_of
from reelwright.generation.frames import blend
from reelwright.generation.mix import MIX_RATE
from reelwright.generation.pipeline import RenderPipeline
from reelwright.generation.video_io import read_frames, rgb_of, yuv_planes
from reelwright.generation.watermark import Watermarker
from reelwright.plan import Music, ShotPlan
from tests.generation.test_shot_tags import Clips, Flat, FlatDraft, Voiceless, plan, render


class Gradient(Flat):
    """Frames that differ from each other, so a dropped or repeated frame shows."""

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]:
        self.calls += 1
        for index in range(request.num_frames):
            frame = np.zeros((request.height, request.width, 3), np.uint8)
            frame[..., 0] = np.linspace(0, 255, request.width, dtype=np.uint8)
            frame[..., 1] = 40 + 8 * index
            yield frame


class Failing(Flat):
    """Fails in the middle of its second shot."""

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]:
        self.calls += 1
        for index in range(request.num_frames):
            if self.calls == 2 and index == 10:
                raise GenerationError("the model ran out of memory")
            yield np.full((request.height, request.width, 3), 128, np.uint8)


def test_a_new_shots_clip_is_cached_while_its_frames_are_composed_straight_away(tmp_path: Path) -> None:
    clips = Clips(tmp_path / "clips")
    backend = Gradient()
    first = render(backend, clips, tmp_path / "first.mp4", tmp_path)
    for shot in first.shots:
        clip = clips.lookup(shot.clip_hash)
        assert clip is not None and not shot.reused
        greens = [float(frame[..., 1].mean()) for frame in read_frames(clip)]
        assert len(greens) == 24 and greens == sorted(greens)  # every frame, in order
    again = render(backend, clips, tmp_path / "again.mp4", tmp_path)
    assert backend.calls == 2 and all(shot.reused for shot in again.shots)
    composed = [list(read_frames(path)) for path in (first.output, again.output)]
    assert len(composed[0]) == len(composed[1]) == 48
    # Made from the rendered frames or from the cached clips: the same picture (CRF 14 clips, then CRF 20).
    assert np.mean([np.abs(a.astype(np.float32) - b).mean() for a, b in zip(*composed, strict=True)]) < 2


def test_a_render_that_fails_midway_caches_no_partial_clip_and_leaves_no_file(tmp_path: Path) -> None:
    clips = Clips(tmp_path / "clips")
    out = tmp_path / "out" / "video.mp4"
    with pytest.raises(GenerationError):
        render(Failing(), clips, out, tmp_path)
    assert len(list(clips.root.iterdir())) == 1  # the first shot, complete; never the second's ten frames
    assert list(out.parent.iterdir()) == []  # neither the video nor its partial file


def test_the_soundtrack_may_come_after_the_frames_and_is_interleaved_with_them(tmp_path: Path) -> None:
    out = tmp_path / "late.mp4"
    frames = [yuv_planes(np.full((180, 320, 3), 60 + index, np.uint8)) for index in range(48)]
    with Composer(
        out_path=out,
        width=320,
        height=180,
        fps=24,
        total_frames=48,
        captions=True,
        provenance=Provenance("test", "0a1b2c3d", 1, 1, "late"),
        watermarker=Watermarker("test"),
    ) as composer:
        composer.add_shot(ComposedShot(None, 0, 48, "a caption"), frames)
        composer.add_soundtrack(np.zeros((2, 2 * MIX_RATE), np.float32))
        composer.finish()
    with av.open(str(out)) as container:
        kinds = [packet.stream.type for packet in container.demux() if packet.size]
        audio = container.streams.audio[0]
        assert audio.codec_context.channels == 2
    assert kinds.count("video") == 48
    assert kinds.index("audio") < len(kinds) - 1 - kinds[::-1].index("video")  # not all audio after all video


def test_overlays_blended_in_the_encoders_planes_look_as_blended_in_rgb() -> None:
    width, height = 640, 360
    frame = np.zeros((height, width, 3), np.uint8)
    frame[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)
    frame[..., 2] = np.linspace(255, 0, height, dtype=np.uint8)[:, None]
    label = label_layer((width, height))
    assert label is not None
    in_rgb = rgb_of(yuv_planes(blend(frame, label)))
    planes = yuv_planes(frame)
    for stamp in stamps_of(label):
        stamp.apply(split_planes(planes, width, height))
    in_planes = rgb_of(planes)
    box = (label.rows, label.cols)
    difference = np.abs(in_rgb[box].astype(np.float32) - in_planes[box])
    assert difference.mean() < 1.5 and np.percentile(difference, 99) < 16  # chroma at the text's edges
    assert np.array_equal(in_rgb[: label.rows.start - 2], in_planes[: label.rows.start - 2])  # nothing else touched


class Steps:
    """A sound model that reports each of its many steps, as the diffusers audio models do."""

    name = "steps"
    version = "1"

    def __init__(self, started: threading.Event | None = None, log: list[str] | None = None) -> None:
        self.started, self.log, self.steps = started, log, 0

    def generate(self, request: SoundRequest, progress: Progress) -> Sound:
        if self.log is not None:
            self.log.append("sound")
        if self.started is not None:
            self.started.set()
        for step in range(2000):
            self.steps += 1
            progress(step / 2000)
            time.sleep(0.001)
        return Sound(np.zeros((2, round(request.duration_s * MIX_RATE)), np.float32), MIX_RATE)


class CancelledOnceSoundStarts(FlatDraft):
    """A draft whose render is cancelled once the sound model is busy."""

    def __init__(self, started: threading.Event) -> None:
        super().__init__()
        self.started = started

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]:
        assert self.started.wait(10)
        raise Cancelled("The render was cancelled.")
        yield  # a generator


class Logged(Flat):
    """A model's shots (not drafts), each noted when its last frame is made."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]:
        yield from super().render(request, progress)
        self.log.append("shot")


def with_music(shots: int = 2) -> ShotPlan:
    return plan(shots).model_copy(update={"music": Music(prompt="calm piano")})


def test_a_cancel_stops_the_sound_model_between_its_steps(tmp_path: Path) -> None:
    started = threading.Event()
    sound = Steps(started)
    pipeline = RenderPipeline(
        CancelledOnceSoundStarts(started), Flat(), Voiceless(), sound, Clips(tmp_path / "c"), Watermarker("t"), tmp_path
    )  # type: ignore[arg-type]
    with pytest.raises(Cancelled):
        pipeline.render(
            with_music(), project_id="0a1b2c3d", version=1, mark_id=1, out_path=tmp_path / "v.mp4", images={}, progress=lambda *_: None
        )
    assert sound.steps < 2000  # it stopped at a step, and the render did not wait for the rest


def test_beside_a_model_the_soundtrack_is_made_after_the_shots(tmp_path: Path) -> None:
    """A voice or sound model would compete with the video model for the GPU's memory."""
    log: list[str] = []
    backend = Logged(log)
    pipeline = RenderPipeline(backend, backend, Voiceless(), Steps(log=log), Clips(tmp_path / "c"), Watermarker("t"), tmp_path)  # type: ignore[arg-type]
    pipeline.render(
        with_music(), project_id="0a1b2c3d", version=1, mark_id=1, out_path=tmp_path / "v.mp4", images={}, progress=lambda *_: None
    )
    assert log == ["shot", "shot", "sound"]
