"""The visible label is found by looking at the frames: on every labelled video, never on plain ones."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests_support import animatic, encode, ffmpeg

from reelwright.generation.compose import label_layer
from reelwright.generation.frames import blend
from reelwright.generation.label_check import find_label
from reelwright.generation.video_io import read_frames


def scene(width: int, height: int, seed: int, prompt: str = "wide shot of a fox in the snow") -> list[np.ndarray]:
    return animatic(width, height, prompt=prompt, camera="pan_right", seed=seed, frames=12)


def labelled(frames: list[np.ndarray]) -> list[np.ndarray]:
    height, width = frames[0].shape[:2]
    layer = label_layer((width, height))
    return [blend(frame, layer) for frame in frames]


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (720, 1280), (640, 640)])
def test_the_label_is_found_after_encoding_at_every_aspect(tmp_path: Path, width: int, height: int) -> None:
    video = encode(labelled(scene(width, height, seed=2)), tmp_path / "labelled.mp4", crf=28)
    check = find_label(read_frames(video))
    assert check.found and check.score > 0.6


def test_a_half_size_copy_still_shows_the_label(tmp_path: Path) -> None:
    video = encode(labelled(scene(1280, 720, seed=3)), tmp_path / "labelled.mp4", crf=20)
    half = ffmpeg(video, tmp_path / "half.mp4", "-vf", "scale=640:360", "-crf", "28")
    assert find_label(read_frames(half)).found


@pytest.mark.parametrize("prompt", ["a city street at night with neon signs", "white text on a black sign", "a snowy mountain"])
def test_plain_videos_never_show_the_label(tmp_path: Path, prompt: str) -> None:
    video = encode(scene(1280, 720, seed=5, prompt=prompt), tmp_path / "plain.mp4", crf=20)
    assert not find_label(read_frames(video)).found


def test_a_label_painted_over_is_not_found() -> None:
    frames = labelled(scene(640, 360, seed=4))
    layer = label_layer((640, 360))
    assert layer is not None
    covered = [frame.copy() for frame in frames]
    for frame in covered:
        frame[layer.rows, layer.cols] = np.asarray(Image.fromarray(frame[layer.rows, layer.cols]).resize((1, 1))).reshape(1, 1, 3)
    assert find_label(frames).found and not find_label(covered).found
