"""The invisible watermark survives H.264 re-encoding and never fires on video it did not mark."""

import threading
from pathlib import Path

import numpy as np
import pytest
from tests_support import encode

from reelwright.generation.animatic import AnimaticBackend
from reelwright.generation.backends import ClipRequest
from reelwright.generation.video_io import read_frames
from reelwright.generation.watermark import Watermarker


def scene_frames(count: int = 48, seed: int = 1) -> list[np.ndarray]:
    request = ClipRequest(
        prompt="wide shot of a fox in the snow",
        negative_prompt="",
        width=640,
        height=360,
        fps=24,
        num_frames=count,
        camera="pan_right",
        seed=seed,
        style="cinematic",
    )
    return list(AnimaticBackend().render(request, lambda fraction: None))


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    return scene_frames()


def test_mark_decodes_after_reencoding_at_crf_28(frames, tmp_path: Path) -> None:
    marker = Watermarker("key")
    marked = [marker.embed(frame, 4_000_123) for frame in frames]
    first = encode(marked, tmp_path / "first.mp4", crf=20)
    second = encode(list(read_frames(first)), tmp_path / "second.mp4", crf=28)
    detection = marker.detect(read_frames(second))
    assert detection.mark_id == 4_000_123


def test_unmarked_video_and_other_keys_find_nothing(frames, tmp_path: Path) -> None:
    plain = encode(frames, tmp_path / "plain.mp4", crf=28)
    assert not Watermarker("key").detect(read_frames(plain)).found
    marked = encode([Watermarker("key").embed(f, 77) for f in frames], tmp_path / "marked.mp4", crf=28)
    assert not Watermarker("another key").detect(read_frames(marked)).found


def test_mark_is_faint(frames) -> None:
    marked = Watermarker("key").embed(frames[0], 1)
    difference = marked.astype(float) - frames[0]
    assert np.abs(difference).max() <= 3
    assert 10 * np.log10(255**2 / np.mean(difference**2)) > 40  # PSNR in dB


def test_renders_marking_at_the_same_time_each_carry_their_own_id(frames) -> None:
    marker = Watermarker("key")
    turns = threading.Barrier(2, timeout=30)
    marked: dict[int, list[np.ndarray]] = {11: [], 22: []}
    failures: list[BaseException] = []

    def render(mark_id: int) -> None:
        try:
            for frame in frames:
                turns.wait()  # the two renders take turns frame by frame, as worker threads would
                marked[mark_id].append(marker.embed(frame, mark_id))
        except BaseException as error:
            failures.append(error)
            turns.abort()

    workers = [threading.Thread(target=render, args=(mark_id,)) for mark_id in marked]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    assert {mark_id: marker.detect(iter(found)).mark_id for mark_id, found in marked.items()} == {11: 11, 22: 22}
