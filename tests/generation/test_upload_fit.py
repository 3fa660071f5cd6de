"""Results larger than a chat's upload limit are re-encoded to fit, or replaced by a shorter preview."""

from pathlib import Path

import numpy as np
import pytest
from tests_support import encode

from reelwright.generation.video_io import duration_of, fit_for_upload


@pytest.fixture(scope="module")
def noisy_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s clip encoded near-losslessly: smooth moving gradients with fine grain, like film."""
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 200, 640, dtype=np.float32)
    frames = []
    for index in range(72):
        base = np.broadcast_to(np.roll(ramp, index * 4)[None, :, None], (360, 640, 3))
        frames.append(np.clip(base + rng.normal(0, 6, (360, 640, 3)), 0, 255).astype(np.uint8))
    return encode(frames, tmp_path_factory.mktemp("fit") / "noisy.mp4", crf=8)


def test_a_file_under_the_limit_is_sent_as_it_is(noisy_video: Path, tmp_path: Path) -> None:
    assert fit_for_upload(noisy_video, noisy_video.stat().st_size, tmp_path) == (noisy_video, None)


def test_a_file_over_the_limit_is_reencoded_to_fit(noisy_video: Path, tmp_path: Path) -> None:
    limit = noisy_video.stat().st_size // 4
    fitted, preview = fit_for_upload(noisy_video, limit, tmp_path)
    assert preview is None and fitted is not None and fitted.stat().st_size <= limit
    assert abs(duration_of(fitted) - duration_of(noisy_video)) < 0.2


def test_when_nothing_fits_a_shorter_preview_is_offered(noisy_video: Path, tmp_path: Path) -> None:
    fitted, preview = fit_for_upload(noisy_video, 40_000, tmp_path)
    assert fitted is None and preview is not None and preview.stat().st_size <= 40_000
