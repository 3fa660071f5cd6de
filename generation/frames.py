"""Frame-level helpers shared by the renderers: camera moves, colour grades, text drawing."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from reelwright.generation import typography
from reelwright.plan import CameraMove, Grade


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Noto Sans (Latin, Greek, Cyrillic) at ``size`` px; Pillow's bundled font where the font package is missing.

    Text in any script goes through ``text_panel`` (``typography``), which picks a face per character."""
    face = typography.text_face()
    return typography.load(face, size) if face is not None else ImageFont.load_default(size=size)


#: How far the camera travels in a shot, as fractions of the frame: a pan covers this much ground per second
#: (at least PAN_MIN, at most PAN_MAX of the width in all), a tilt likewise of the height; a zoom ends at ZOOM x.
PAN_PER_S, PAN_MIN, PAN_MAX = 0.14, 0.3, 0.6
TILT_PER_S, TILT_MIN, TILT_MAX = 0.1, 0.22, 0.4
ORBIT = 0.7
ZOOM = 1.35
#: Seconds a move takes to reach full speed (and to stop): short, so a move reads within the first second.
RAMP_S = 0.3


@dataclass(frozen=True)
class CameraShift:
    """Where the camera is at one frame: the view's offset over the ground plane in pixels (right and down
    positive), its zoom, and whether the move is an orbit (layers move relative to the subject's plane)."""

    x: float
    y: float
    zoom: float
    orbit: bool = False

    def offset(self, rate: float) -> tuple[float, float]:
        """How far a layer that moves ``rate`` times as fast as the ground is shifted (parallax)."""
        factor = rate - 1 if self.orbit else rate
        return self.x * factor, self.y * factor


def progress(seconds: float, duration: float) -> float:
    """0 -> 1 over ``duration`` at constant speed, with RAMP_S to start and to stop: no slow cosine start,
    so a pan has visibly moved well before the first second is over."""
    ramp = min(RAMP_S, duration / 4)
    if duration <= 0:
        return 1.0
    seconds = min(max(seconds, 0.0), duration)
    if seconds < ramp:
        done = seconds * seconds / (2 * ramp)
    elif seconds <= duration - ramp:
        done = ramp / 2 + (seconds - ramp)
    else:
        done = duration - ramp - (duration - seconds) ** 2 / (2 * ramp)
    return done / (duration - ramp)


def camera_at(move: CameraMove, index: int, count: int, fps: int, size: tuple[int, int]) -> CameraShift:
    """The camera at frame ``index`` of ``count``: strong enough to read on a phone, the same for every renderer."""
    width, height = size
    duration = max(1, count - 1) / fps
    done = progress(index / fps, duration)
    pan = min(max(PAN_PER_S * duration, PAN_MIN), PAN_MAX) * width
    tilt = min(max(TILT_PER_S * duration, TILT_MIN), TILT_MAX) * height
    if move in ("pan_left", "pan_right"):
        direction = 1 if move == "pan_right" else -1
        return CameraShift(direction * pan * (done - 0.5), 0.0, 1.0)
    if move == "tilt_up":  # from the ground up to the sky, ending where the ground is still in view
        return CameraShift(0.0, tilt * (0.8 - done), 1.0)
    if move == "tilt_down":
        return CameraShift(0.0, tilt * (done - 0.2), 1.0)
    if move in ("zoom_in", "zoom_out"):
        return CameraShift(0.0, 0.0, 1 + (ZOOM - 1) * (done if move == "zoom_in" else 1 - done))
    if move == "orbit":
        return CameraShift(ORBIT * width * (done - 0.5), 0.0, 1.0, orbit=True)
    return CameraShift(0.0, 0.0, 1.0)


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


def text_panel(
    size: tuple[int, int],
    text: str,
    *,
    font_px: int,
    anchor: str,
    opacity: int = 150,
    max_lines: int = 4,
    width_fraction: float = 0.9,
    language: str | None = None,
) -> Image.Image:
    """A transparent RGBA layer with ``text`` (white, dark-outlined) on a dark rounded panel, at the top or bottom.

    The text wraps by pixel width so the panel spans at most ``width_fraction`` of the frame, in faces that have
    its script (``typography``); text that needs more than ``max_lines`` (or than the frame holds) ends in an
    ellipsis. ``language`` (ISO 639-1, the plan's) picks the CJK face and the direction of neutral text.
    """
    width, height = size
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    pad = font_px // 2
    room = max(1, (int(height * 0.87) - 2 * pad) // round(font_px * typography.LINE_SPACING))
    max_width = width * width_fraction - 2 * pad
    lines = typography.wrap(text, size=font_px, max_width=max_width, max_lines=min(max_lines, room), language=language)
    if not lines:
        return layer
    block = typography.render_block(lines, font_px, pad=pad, outline=max(1, font_px // 24))
    x0 = (width - block.width) // 2
    y0 = int(height * 0.05) if anchor == "top" else max(0, height - block.height - int(height * 0.08))
    ImageDraw.Draw(layer).rounded_rectangle((x0, y0, x0 + block.width - 1, y0 + block.height - 1), radius=pad, fill=(0, 0, 0, opacity))
    layer.alpha_composite(block, (x0, y0))
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
