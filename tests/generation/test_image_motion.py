"""The image-to-video draft keeps the image the subject and moves it in depth: near things shift more than
far ones (parallax), a still camera still drifts, wind and water words sway it, and no edge ever shows blank."""

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from reelwright.errors import GenerationError
from reelwright.generation.backends import ClipRequest
from reelwright.generation.image_motion import ImageMotionBackend, depth_guess
from reelwright.plan import CAMERA_MOVES, CameraMove

SIZE = (480, 270)


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A landscape: smooth sky, far hills, and a busy red bush near the camera in the lower middle."""
    width, height = 800, 500
    rows = np.linspace(0, 1, height)[:, None, None]
    sky = (np.array([90, 150, 220]) * (1 - rows) + np.array([230, 230, 240]) * rows) * np.ones((1, width, 1))
    image = Image.fromarray(sky.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.polygon([(0, 300), (200, 150), (400, 270), (600, 130), (800, 300), (800, 500), (0, 500)], fill=(90, 110, 90))
    draw.rectangle((0, 380, 800, 500), fill=(70, 120, 50))
    rng = np.random.default_rng(0)
    for _ in range(300):
        x, y = rng.integers(300, 500), rng.integers(300, 460)
        draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=(200 + int(rng.integers(0, 55)), 30, 30))
    path = tmp_path_factory.mktemp("photo") / "photo.png"
    image.save(path)
    return path


def request(photo: Path, camera: CameraMove, prompt: str = "a red bush in the hills", frames: int = 48) -> ClipRequest:
    return ClipRequest(
        prompt=prompt,
        negative_prompt="",
        width=SIZE[0],
        height=SIZE[1],
        fps=24,
        num_frames=frames,
        camera=camera,
        seed=0,
        style="",
        source_image=photo,
    )


def render(clip: ClipRequest) -> list[np.ndarray]:
    return list(ImageMotionBackend().render(clip, lambda fraction: None))


def shift_between(a: np.ndarray, b: np.ndarray, rows: slice) -> int:
    """How far band ``rows`` moved horizontally from ``a`` to ``b`` (best match over whole-pixel shifts)."""
    first, second = a[rows].astype(float).mean(axis=-1), b[rows].astype(float).mean(axis=-1)
    width = first.shape[1]

    def error(shift: int) -> float:
        return float(np.abs(first[:, max(0, -shift) : width - max(0, shift)] - second[:, max(0, shift) : width - max(0, -shift)]).mean())

    return min(range(-60, 61), key=error)


def test_the_depth_guess_puts_low_rows_and_busy_regions_nearer(photo: Path) -> None:
    depth = depth_guess(Image.open(photo).convert("RGB"))
    height, width = depth.shape
    assert depth[-height // 4 :].mean() > depth[: height // 4].mean() + 0.3
    bush = depth[int(height * 0.65) : int(height * 0.85), int(width * 0.42) : int(width * 0.58)].mean()
    grass = depth[int(height * 0.65) : int(height * 0.85), : int(width * 0.15)].mean()
    assert bush > grass


@pytest.mark.parametrize("camera", CAMERA_MOVES)
def test_every_move_fills_every_frame_exactly(photo: Path, camera: CameraMove) -> None:
    frames = render(request(photo, camera, frames=30))
    assert len(frames) == 30 and all(frame.shape == (SIZE[1], SIZE[0], 3) for frame in frames)
    for frame in frames:
        edges = np.concatenate([frame[0], frame[-1], frame[:, 0], frame[:, -1]])
        assert edges.max(axis=-1).min() > 20  # nothing blank (black) at any edge


def test_a_pan_moves_near_things_further_than_far_ones(photo: Path) -> None:
    frames = render(request(photo, "pan_right"))
    near = shift_between(frames[0], frames[-1], slice(int(SIZE[1] * 0.7), int(SIZE[1] * 0.9)))
    far = shift_between(frames[0], frames[-1], slice(int(SIZE[1] * 0.3), int(SIZE[1] * 0.45)))
    assert near < 0 and far < 0  # the view moves right, the picture left
    assert abs(near) > abs(far) + 3


def test_a_still_camera_still_drifts_the_near_layer(photo: Path) -> None:
    frames = render(request(photo, "static"))
    near = shift_between(frames[0], frames[-1], slice(int(SIZE[1] * 0.7), int(SIZE[1] * 0.9)))
    far = shift_between(frames[0], frames[-1], slice(int(SIZE[1] * 0.3), int(SIZE[1] * 0.45)))
    assert abs(near) >= 4 and abs(far) < abs(near)


def test_wind_words_sway_the_picture(photo: Path) -> None:
    calm = render(request(photo, "static", prompt="a red bush in the hills", frames=72))
    windy = render(request(photo, "static", prompt="a red bush swaying in the wind", frames=72))
    band = slice(int(SIZE[1] * 0.7), int(SIZE[1] * 0.9))
    calm_path = [shift_between(calm[0], frame, band) for frame in calm[::8]]
    windy_path = [shift_between(windy[0], frame, band) for frame in windy[::8]]
    assert np.ptp(np.diff(windy_path)) > np.ptp(np.diff(calm_path))  # back and forth, not only one way


def test_a_push_in_enlarges_the_subject(photo: Path) -> None:
    frames = render(request(photo, "zoom_in"))

    def bush_width(frame: np.ndarray) -> int:
        red = (frame[..., 0] > 170) & (frame[..., 1] < 80)
        columns = np.flatnonzero(red.any(axis=0))
        return int(columns[-1] - columns[0])

    assert bush_width(frames[-1]) > 1.12 * bush_width(frames[0])


def test_no_image_is_refused(photo: Path) -> None:
    clip = request(photo, "static")
    with pytest.raises(GenerationError):
        render(ClipRequest(**{**clip.__dict__, "source_image": None}))


def test_the_cost_of_a_720p_frame_is_recorded(photo: Path, record_property: Callable[[str, object], None]) -> None:
    for camera in ("static", "pan_right", "zoom_in"):
        clip = ClipRequest(**{**request(photo, camera, frames=48).__dict__, "width": 1280, "height": 720})
        start, cpu = time.perf_counter(), time.process_time()
        render(clip)
        record_property(f"image_motion_ms_per_720p_frame_{camera}", round((time.perf_counter() - start) / 48 * 1000, 2))
        record_property(f"image_motion_cpu_ms_per_720p_frame_{camera}", round((time.process_time() - cpu) / 48 * 1000, 2))
