"""A draft's storyboard annotation: "SHOT n/N" drawn when composing, never in the cached clips."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from reelwright.generation.backends import ClipRequest, Progress, Sound, SoundRequest
from reelwright.generation.pipeline import RenderPipeline, RenderResult
from reelwright.generation.typography import OPENMOJI_CREDIT
from reelwright.generation.video_io import container_metadata, read_frames
from reelwright.generation.voices import VoiceChoice
from reelwright.generation.watermark import Watermarker
from reelwright.plan import Shot, ShotPlan, Voice

GREY = 128
#: Where the tag sits at 320x180 (the tag's box starts a few pixels in from the corner).
TAG = (slice(8, 22), slice(8, 64))


class Flat:
    """A finished-looking backend: every frame flat grey."""

    name = "flat"
    version = "1"
    draft = False

    def __init__(self) -> None:
        self.calls = 0

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]:
        self.calls += 1
        for index in range(request.num_frames):
            progress(index / request.num_frames)
            yield np.full((request.height, request.width, 3), GREY, np.uint8)


class FlatDraft(Flat):
    """The same pictures from a storyboard backend: a draft, with pictograms someone asks to be credited for."""

    draft = True
    credits = OPENMOJI_CREDIT


class Voiceless:
    def choose(self, voice: Voice, language: str, *, clone_sample: Path | None = None) -> VoiceChoice:
        return VoiceChoice(None, 0.0)

    def engine(self, voice: object) -> object:
        raise AssertionError("no narration is spoken here")


class Quiet:
    name = "quiet"
    version = "1"

    def generate(self, request: SoundRequest, progress: Progress) -> Sound:
        raise AssertionError("no music or ambience here")


class Clips:
    """The clip cache: files kept under their key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def lookup(self, cache_key: str) -> Path | None:
        path = self.root / f"{cache_key}.mp4"
        return path if path.exists() else None

    def store(self, cache_key: str, file: Path, kind: str, duration_s: float) -> Path:
        return Path(shutil.copyfile(file, self.root / f"{cache_key}.mp4"))


def plan(shots: int = 2) -> ShotPlan:
    return ShotPlan(
        title="Greys",
        width=320,
        height=180,
        narration=False,
        shots=tuple(Shot(id=n, prompt=f"grey {n}", duration_s=1, seed=n) for n in range(1, shots + 1)),
    )


def render(backend: Flat, clips: Clips, out: Path, tmp_path: Path) -> RenderResult:
    pipeline = RenderPipeline(backend, backend, Voiceless(), Quiet(), clips, Watermarker("test"), tmp_path)  # type: ignore[arg-type]
    return pipeline.render(plan(), project_id="0a1b2c3d", version=1, mark_id=1, out_path=out, images={}, progress=lambda *_: None)


def tag_region(frame: np.ndarray) -> np.ndarray:
    return frame[TAG].astype(np.float32)


@pytest.fixture
def clips(tmp_path: Path) -> Clips:
    return Clips(tmp_path / "clips")


def test_a_drafts_shots_carry_their_number_in_the_top_left_corner(clips: Clips, tmp_path: Path) -> None:
    result = render(FlatDraft(), clips, tmp_path / "draft.mp4", tmp_path)
    frames = list(read_frames(result.output))
    assert len(frames) == 48
    first, second = frames[12], frames[36]
    assert tag_region(first).mean() < GREY - 30  # a dark tag with light text over the grey
    assert tag_region(first).max() > 200
    assert np.abs(tag_region(first) - tag_region(second)).mean() > 2  # "SHOT 1/2" is not "SHOT 2/2"
    assert abs(first[90:150, 100:220].astype(np.float32).mean() - GREY) < 4  # the picture itself is untouched


def test_a_finished_backends_shots_carry_no_tag(clips: Clips, tmp_path: Path) -> None:
    result = render(Flat(), clips, tmp_path / "final.mp4", tmp_path)
    frames = list(read_frames(result.output))
    assert all(abs(tag_region(frame).mean() - GREY) < 4 for frame in frames)


def test_the_tag_is_drawn_when_composing_so_clips_and_their_cache_keys_do_not_change(clips: Clips, tmp_path: Path) -> None:
    finished = Flat()
    first = render(finished, clips, tmp_path / "final.mp4", tmp_path)
    draft = FlatDraft()
    second = render(draft, clips, tmp_path / "draft.mp4", tmp_path)
    assert [shot.clip_hash for shot in first.shots] == [shot.clip_hash for shot in second.shots]
    assert all(shot.reused for shot in second.shots) and draft.calls == 0
    for shot in first.shots:
        clip = clips.lookup(shot.clip_hash)
        assert clip is not None
        assert all(abs(tag_region(frame).mean() - GREY) < 3 for frame in read_frames(clip))  # no tag in the cached clip
    assert tag_region(next(read_frames(second.output))).mean() < GREY - 30


def test_a_backends_credits_reach_the_metadata_and_a_finished_videos_has_none(clips: Clips, tmp_path: Path) -> None:
    draft = container_metadata(render(FlatDraft(), clips, tmp_path / "draft.mp4", tmp_path).output)
    finished = container_metadata(render(Flat(), clips, tmp_path / "final.mp4", tmp_path).output)
    assert draft["credits"] == OPENMOJI_CREDIT and OPENMOJI_CREDIT in draft["comment"]
    assert "credits" not in finished and OPENMOJI_CREDIT not in finished["comment"]


def test_an_emoji_in_a_caption_credits_the_font_that_draws_it(clips: Clips, tmp_path: Path) -> None:
    captioned = plan(1).model_copy(
        update={"narration": True, "shots": (Shot(id=1, prompt="grey", duration_s=1, seed=1, narration="Hello 🦊"),)}
    )
    plain = captioned.model_copy(update={"shots": (Shot(id=1, prompt="grey", duration_s=1, seed=1, narration="Hello fox"),)})
    pipeline = RenderPipeline(Flat(), Flat(), Voiceless(), Quiet(), clips, Watermarker("test"), tmp_path)  # type: ignore[arg-type]
    assert pipeline.credits_of(captioned) == OPENMOJI_CREDIT
    assert pipeline.credits_of(plain) == ""
    result = pipeline.render(
        captioned, project_id="0a1b2c3d", version=1, mark_id=1, out_path=tmp_path / "c.mp4", images={}, progress=lambda *_: None
    )
    assert container_metadata(result.output)["credits"] == OPENMOJI_CREDIT
