"""Frame-level helpers shared by the renderers: camera moves, colour grades, text drawing."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from reelwright.plan import CameraMove, Grade

#: How much bigger than the frame the "world" image is, so pans and zooms never show its edge.
OVERSCAN = 1.3


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled scalable font: no system fonts needed."""
    return ImageFont.load_default(size=size)


def ease(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * t)


def camera_frames(world: Image.Image, move: CameraMove, size: tuple[int, int], count: int) -> Iterator[Image.Image]:
    """Frames of ``size`` that move a virtual camera over ``world`` (at least OVERSCAN x the frame)."""
    world_w, world_h = world.size
    for index in range(count):
        t = ease(index / max(1, count - 1))
        zoom = {"zoom_in": 1 + 0.25 * t, "zoom_out": 1.25 - 0.25 * t}.get(move, 1.0)
        view_w, view_h = world_w / OVERSCAN / zoom, world_h / OVERSCAN / zoom
        spare_x, spare_y = world_w - view_w, world_h - view_h
        fx, fy = {
            "pan_left": (1 - t, 0.5),
            "pan_right": (t, 0.5),
            "tilt_up": (0.5, 1 - t),
            "tilt_down": (0.5, t),
            "orbit": (0.5 + 0.4 * math.sin(2 * math.pi * t) * 0.5, 0.5),
        }.get(move, (0.5, 0.5))
        left, top = spare_x * fx, spare_y * fy
        box = (left, top, left + view_w, top + view_h)
        if move == "orbit":
            yield orbit_view(world, box, size, t)
        else:
            yield world.resize(size, Image.Resampling.BILINEAR, box=box)


def orbit_view(world: Image.Image, box: tuple[float, float, float, float], size: tuple[int, int], t: float) -> Image.Image:
    """Parallax: the bottom of the picture (the foreground) slides further than the top."""
    left, top, right, bottom = box
    sx, sy = (right - left) / size[0], (bottom - top) / size[1]
    shear = 0.08 * math.sin(2 * math.pi * t)
    coefficients = (sx, shear * sx, left - shear * sx * size[1] / 2, 0, sy, top)
    return world.transform(size, Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR)


def apply_grade(frame: np.ndarray, grade: Grade) -> np.ndarray:
    """Brightness, contrast, saturation and warmth on an RGB uint8 frame."""
    if grade.is_neutral:
        return frame
    pixels = frame.astype(np.float32) / 255.0
    luma = pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    pixels = luma[..., None] + (pixels - luma[..., None]) * (1 + grade.saturation)
    pixels = (pixels - 0.5) * (1 + grade.contrast) + 0.5
    pixels = pixels * (1 + grade.brightness) if grade.brightness < 0 else pixels + (1 - pixels) * grade.brightness * 0.6
    pixels = pixels + np.array([0.08, 0.0, -0.08], dtype=np.float32) * grade.warmth
    return (np.clip(pixels, 0, 1) * 255).astype(np.uint8)


def text_panel(size: tuple[int, int], text: str, *, font_px: int, anchor: str, max_chars: int, opacity: int = 150) -> Image.Image:
    """A transparent RGBA layer with ``text`` on a dark rounded panel, at the top or bottom."""
    width, height = size
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    lines = textwrap.wrap(text, width=max_chars)[:4]
    if not lines:
        return layer
    draw = ImageDraw.Draw(layer)
    face = font(font_px)
    line_h = int(font_px * 1.25)
    pad = font_px // 2
    block_h = line_h * len(lines) + 2 * pad
    block_w = max(int(draw.textlength(line, font=face)) for line in lines) + 2 * pad
    x0 = (width - block_w) // 2
    y0 = int(height * 0.05) if anchor == "top" else height - block_h - int(height * 0.08)
    draw.rounded_rectangle((x0, y0, x0 + block_w, y0 + block_h), radius=pad, fill=(0, 0, 0, opacity))
    for index, line in enumerate(lines):
        line_w = draw.textlength(line, font=face)
        draw.text(((width - line_w) / 2, y0 + pad + index * line_h), line, font=face, fill=(255, 255, 255, 255))
    return layer


@dataclass(frozen=True)
class Overlay:
    """A pre-rendered RGBA layer, cropped to its bounding box and premultiplied, ready to blend."""

    rows: slice
    cols: slice
    colour: np.ndarray  # premultiplied RGB, float32
    transparency: np.ndarray  # 1 - alpha, float32, (h, w, 1)


def premultiply(layer: Image.Image) -> Overlay | None:
    array = np.asarray(layer, dtype=np.float32)
    alpha = array[..., 3:] / 255.0
    rows, cols = np.flatnonzero(alpha[..., 0].any(axis=1)), np.flatnonzero(alpha[..., 0].any(axis=0))
    if rows.size == 0:
        return None
    box_rows, box_cols = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    return Overlay(box_rows, box_cols, (array[..., :3] * alpha)[box_rows, box_cols], 1 - alpha[box_rows, box_cols])


def blend(frame: np.ndarray, overlay: Overlay | None) -> np.ndarray:
    """``frame`` with ``overlay`` on top; only the overlay's box is touched."""
    if overlay is None:
        return frame
    out = frame.copy()
    region = out[overlay.rows, overlay.cols].astype(np.float32)
    out[overlay.rows, overlay.cols] = (overlay.colour + region * overlay.transparency).astype(np.uint8)
    return out
