"""The invisible watermark carries project and version through what happens to videos in practice
(re-encodes, downscales, crops, frame-rate changes, cuts, screen recordings), and never fires on video
that it did not mark, on video marked with another key, or on a payload whose tag is not the key's."""

import threading
from pathlib import Path

import numpy as np
import pytest
from tests_support import ATTACKS, animatic, encode, ffmpeg, unmarked

from reelwright.generation.compose import FINAL_CRF
from reelwright.generation.video_io import sample_frames
from reelwright.generation.watermark import Mark, Reading, Watermarker

KEY = "key"
MARK = Mark("0a1b2c3d", 42)
WIDTH, HEIGHT = 640, 360


def verify(marker: Watermarker, path: Path) -> Mark | None:
    """What ``reelwright verify`` reads from a file: up to 96 frames, at most 1280 wide."""
    return marker.detect(sample_frames(path, 96, 1280)).mark


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    return animatic(WIDTH, HEIGHT, prompt="wide shot of a fox in the snow", camera="pan_right", seed=1, frames=96)


@pytest.fixture(scope="module")
def rendered(frames: list[np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A marked 4 s clip as a render writes it."""
    marker = Watermarker(KEY)
    return encode([marker.embed(frame, MARK) for frame in frames], tmp_path_factory.mktemp("render") / "marked.mp4", crf=int(FINAL_CRF))


def test_a_render_decodes_to_its_project_and_version(rendered: Path) -> None:
    detection = Watermarker(KEY).detect(sample_frames(rendered, 96, 1280))
    assert detection.found and detection.mark == MARK and detection.frames_used == 96


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_mark_survives_what_happens_to_videos_in_practice(attack: str, rendered: Path, tmp_path: Path) -> None:
    attacked = ffmpeg(rendered, tmp_path / "attacked.mp4", *ATTACKS[attack](WIDTH, HEIGHT))
    assert verify(Watermarker(KEY), attacked) == MARK


def test_detail_that_changes_every_frame_does_not_hide_the_mark(tmp_path: Path) -> None:
    """Grain, water, foliage, a diffusion model's noise: busy in every frame, but it averages away."""
    rng = np.random.default_rng(3)
    base = np.linspace(60, 190, WIDTH, dtype=np.float32)[None, :, None]
    busy = [np.clip(base + rng.normal(0, 40, (HEIGHT, WIDTH, 3)), 0, 255).astype(np.uint8) for _ in range(48)]
    marker = Watermarker(KEY)
    video = encode([marker.embed(frame, MARK) for frame in busy], tmp_path / "busy.mp4", crf=int(FINAL_CRF))
    assert verify(marker, video) == MARK


def test_unmarked_videos_never_decode(tmp_path: Path) -> None:
    marker = Watermarker(KEY)
    found = [index for index in range(30) if verify(marker, encode(unmarked(index), tmp_path / f"{index}.mp4", crf=int(FINAL_CRF)))]
    assert found == []


def test_a_video_marked_with_another_key_does_not_decode(rendered: Path) -> None:
    assert verify(Watermarker("another key"), rendered) is None


def test_a_payload_with_the_right_bits_but_not_the_keys_tag_does_not_decode(frames, tmp_path: Path, monkeypatch) -> None:
    forger = Watermarker(KEY)
    monkeypatch.setattr(forger, "tag", lambda project, version: Watermarker(KEY).tag(project, version) ^ 1)
    forged = encode([forger.embed(frame, MARK) for frame in frames[:48]], tmp_path / "forged.mp4", crf=int(FINAL_CRF))
    marker = Watermarker(KEY)
    reading = marker.read(sample_frames(forged, 96, 1280))
    assert np.array_equal(reading.soft_bits > 0, forger.bits_for(MARK).astype(bool))  # every bit read as forged
    assert marker.verdict(reading).mark is None


@pytest.mark.parametrize(
    ("project_id", "version"), [("0A1B2C3D", 1), ("0a1b2c3", 1), ("0a1b2c3d0", 1), ("p", 1), ("0a1b2c3d", 0), ("0a1b2c3d", 4096)]
)
def test_a_mark_that_does_not_fit_is_refused(project_id: str, version: int) -> None:
    with pytest.raises(ValueError):
        Mark(project_id, version)


def test_mark_is_faint(frames) -> None:
    marked = Watermarker(KEY).embed(frames[0], MARK)
    difference = marked.astype(float) - frames[0]
    assert np.abs(difference).max() <= 3
    assert 10 * np.log10(255**2 / np.mean(difference**2)) > 40  # PSNR in dB


def test_no_frames_find_nothing() -> None:
    detection = Watermarker(KEY).detect(iter([]))
    assert not detection.found and detection.frames_used == 0


def test_renders_marking_at_the_same_time_each_carry_their_own_mark(frames) -> None:
    marker = Watermarker(KEY)
    turns = threading.Barrier(2, timeout=30)
    marks = [Mark("0a1b2c3d", 11), Mark("ffff0000", 22)]
    marked: dict[Mark, list[np.ndarray]] = {mark: [] for mark in marks}
    failures: list[BaseException] = []

    def render(mark: Mark) -> None:
        try:
            for frame in frames[:48]:
                turns.wait()  # the two renders take turns frame by frame, as worker threads would
                marked[mark].append(marker.embed(frame, mark))
        except BaseException as error:
            failures.append(error)
            turns.abort()

    workers = [threading.Thread(target=render, args=(mark,)) for mark in marks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    assert {mark: marker.detect(iter(found)).mark for mark, found in marked.items()} == {mark: mark for mark in marks}


def reading_of(bits: np.ndarray, flipped: list[int]) -> Reading:
    """A reading whose ``flipped`` bits came out wrong, with the least evidence (as a hard attack leaves them)."""
    soft = np.where(bits > 0, 1.0, -1.0).astype(np.float32)
    for rank, bit in enumerate(flipped):
        soft[bit] = -soft[bit] * 0.01 * (rank + 1)
    return Reading(soft, confidence=8.0, frames_used=96)


def test_the_weakest_bits_of_a_reading_are_tried_flipped_before_giving_up() -> None:
    marker = Watermarker(KEY)
    bits = marker.bits_for(MARK)
    assert marker.verdict(reading_of(bits, [41])).mark == MARK
    assert marker.verdict(reading_of(bits, [3, 40, 60])).mark == MARK  # up to CHASE_BITS wrong, if they are the weakest
    assert marker.verdict(reading_of(bits, [3, 20, 40, 60])).mark is None  # more than that: no mark, never a wrong one
    assert Watermarker("another key").verdict(reading_of(bits, [41])).mark is None
