"""Composed videos carry their narration captions in the request's script, not as boxes.

A real clip is composed (libx264, label and watermark included) with a Japanese caption and decoded again:
the caption region matches the panel ``text_panel`` draws with Noto Sans CJK, glyph for glyph, and not the
same text drawn with the missing-glyph boxes Pillow's bundled ASCII font showed before.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reelwright.generation.compose import ComposedShot, Provenance, compose
from reelwright.generation.frames import premultiply, text_panel
from reelwright.generation.video_io import read_frames, write_clip
from reelwright.generation.watermark import Watermarker

WIDTH, HEIGHT, FPS = 640, 360, 12
CAPTION = "夕暮れの海辺で、少女は静かに波の音を聞いていた。"


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def caption_text(text: str, font_px: int) -> tuple[slice, slice, np.ndarray]:
    """Where the caption panel lies and how white each of its pixels is."""
    panel = premultiply(text_panel((WIDTH, HEIGHT), text, font_px=font_px, anchor="bottom", opacity=120))
    assert panel is not None
    return panel.rows, panel.cols, panel.colour.mean(axis=2) * (panel.transparency[..., 0] < 0.01)


def test_a_japanese_caption_is_composed_in_japanese_glyphs_not_boxes(tmp_path: Path) -> None:
    clip = tmp_path / "shot.mp4"
    grey = np.full((HEIGHT, WIDTH, 3), 150, dtype=np.uint8)
    count = write_clip([grey] * FPS, clip, FPS, WIDTH, HEIGHT)
    out = tmp_path / "video.mp4"
    compose(
        [ComposedShot(clip, 0, count, CAPTION)],
        out_path=out,
        width=WIDTH,
        height=HEIGHT,
        fps=FPS,
        audio=None,
        captions=True,
        provenance=Provenance("Reelwright", "0a1b2c3d", 1, 1, "海辺"),
        watermarker=Watermarker("caption test key"),
        progress=lambda fraction: None,
    )
    frame = next(iter(read_frames(out))).astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)

    font_px = max(16, round(min(HEIGHT * 0.045, WIDTH * 0.06)))
    rows, cols, text = caption_text(CAPTION, font_px)
    region = frame[rows, cols]
    assert correlation(region, text) > 0.8

    # The same panel with a box for every character (what a missing glyph looks like) does not match.
    _, _, tofu = caption_text("\U000f0000" * len(CAPTION), font_px)
    assert correlation(region[:, : tofu.shape[1]], tofu[:, : region.shape[1]]) < 0.5
