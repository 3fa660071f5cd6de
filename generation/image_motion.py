"""The embedded image-to-video backend: the person's image brought to life, rendered on a CPU.

The image stays the subject, whole and sharp; what moves is a guess at its depth. The picture is split into
three layers by a depth estimate (lower rows and busier, sharper regions are nearer; smoothed, with soft
edges between layers), and the layers move at different rates under the shot's camera move, so a pan, tilt
or orbit shows parallax rather than a flat Ken Burns crop. A still camera drifts the near layer across the
far one; zooms push in or pull out; words like wind, waves or leaves sway the near layers. Every layer is
cut from a picture with room around the frame for its largest offset, so no edge ever shows blank.
A diffusers image-to-video backend (``diffusers_backend.py``, with an I2V model) replaces it on GPUs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np
from PIL import Image, ImageFilter, ImageOps

from reelwright.errors import GenerationError
from reelwright.generation.backends import ClipRequest, Progress
from reelwright.generation.capabilities import Capabilities
from reelwright.generation.frames import CameraShift, camera_at
from reelwright.generation.storyboard_words import ACTIONS, words_of
from reelwright.plan import CameraMove

#: How much of the camera's storyboard move a photo gets: enough to read, little enough to keep it whole.
GENTLE = 0.35
#: How far each depth layer moves for one pixel of camera travel over the nearest layer.
RATES = (0.55, 0.8, 1.0)
#: Words whose things move in the wind or the water: the near layers sway.
SWAY_WORDS = frozenset(
    "wind windy breeze breezy wave waves leaves leaf water sea ocean flag grass hair tree trees flower flowers sway swaying "
    "rippling ripples flowing river lake field wheat dress curtain branches storm".split()
)
TRAVELLING = frozenset(ACTIONS["running"] + ACTIONS["walking"] + ACTIONS["flying"] + ACTIONS["driving"] + ACTIONS["sailing"])


def cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale and centre-crop ``image`` so it fills ``size`` exactly."""
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS)


def depth_guess(image: Image.Image) -> np.ndarray:
    """Nearness in [0, 1] on a coarse grid (96 columns): lower rows are nearer, and so are busy, sharp regions
    (what is in focus is usually the subject), smoothed so the layers part along soft, large shapes."""
    width = 96
    height = max(2, round(width * image.height / image.width))
    small = np.asarray(image.convert("L").resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32) / 255
    detail = np.abs(4 * small - np.roll(small, 1, 0) - np.roll(small, -1, 0) - np.roll(small, 1, 1) - np.roll(small, -1, 1))
    detail = _blurred(detail / (detail.max() or 1.0), 4)
    rows = np.linspace(0, 1, height, dtype=np.float32)[:, None] ** 1.3
    depth = _blurred(0.65 * rows + 0.35 * detail / (detail.max() or 1.0), 3)
    return (depth - depth.min()) / max(1e-6, float(depth.max() - depth.min()))


def _blurred(values: np.ndarray, radius: float) -> np.ndarray:
    """A Gaussian blur of values in [0, 1] (Pillow blurs 8-bit images; the grid is coarse, so that is plenty)."""
    image = Image.fromarray((np.clip(values, 0, 1) * 255).astype(np.uint8))
    return np.asarray(image.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32) / 255


def _smoothstep(values: np.ndarray, low: float, high: float) -> np.ndarray:
    x = np.clip((values - low) / (high - low), 0, 1)
    return x * x * (3 - 2 * x)


@dataclass(frozen=True)
class Motion:
    """What moves in the shot: the camera (storyboard move, gentled), a drift of the near layer, a sway."""

    camera: CameraMove
    drift: float
    sway: float
    bob: float


def motion_for(request: ClipRequest) -> Motion:
    """The shot's motion from its camera move and words: travelling verbs drift the layers past each other
    further, wind and water words sway them; a still camera still drifts a little, so the photo lives."""
    words = set(words_of(request.prompt))
    travelling = bool(words & TRAVELLING)
    drift = 0.05 if travelling else 0.025 if request.camera == "static" else 0.0
    swaying = bool(words & SWAY_WORDS)
    watery = bool(words & {"water", "sea", "ocean", "waves", "wave", "lake", "river"})
    return Motion(request.camera, drift, 0.012 if swaying else 0.0, 0.008 if watery else 0.0)


class ImageMotion:
    """One shot's layers, cut once, and its frames."""

    def __init__(self, picture: Image.Image, request: ClipRequest) -> None:
        self.size = (request.width, request.height)
        self.fps, self.count = request.fps, request.num_frames
        self.motion = motion_for(request)
        offsets = [self.offsets(index) for index in range(self.count)]
        self.margin = (
            max(abs(x) for frame in offsets for x, _ in frame[0]) + 2,
            max(abs(y) for frame in offsets for _, y in frame[0]) + 2,
        )
        width, height = self.size
        world = cover(picture, (width + 2 * self.margin[0], height + 2 * self.margin[1]))
        depth = Image.fromarray((depth_guess(world) * 255).astype(np.uint8)).resize(world.size, Image.Resampling.BILINEAR)
        nearness = np.asarray(depth, dtype=np.float32) / 255
        self.back = world
        self.layers = [self._layer(world, _smoothstep(nearness, low, low + 0.2)) for low in (0.35, 0.6)]

    @staticmethod
    def _layer(world: Image.Image, mask: np.ndarray) -> tuple[Image.Image, int]:
        """The world with ``mask`` as alpha, cropped to the rows it covers (fewer pixels to blend per frame)."""
        rows = np.flatnonzero(mask.max(axis=1) > 0.01)
        top, bottom = (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, 1)
        layer = world.crop((0, top, world.width, bottom)).convert("RGBA")
        layer.putalpha(Image.fromarray((mask[top:bottom] * 255).astype(np.uint8)))
        return layer, top

    def offsets(self, index: int) -> tuple[list[tuple[int, int]], float]:
        """Each layer's offset (back, mid, near) and the zoom, at frame ``index``."""
        width, height = self.size
        shift = camera_at(self.motion.camera, index, self.count, self.fps, self.size)
        shift = CameraShift(shift.x * GENTLE, shift.y * GENTLE, 1 + (shift.zoom - 1) * 0.6, shift.orbit)
        seconds = index / self.fps
        t = index / max(1, self.count - 1)
        layers = []
        for number, rate in enumerate(RATES):
            x, y = shift.offset(rate)
            x += (t - 0.5) * self.motion.drift * width * (rate - RATES[0]) / (1 - RATES[0]) * 2
            phase = 2 * math.pi * seconds / 2.8 + number * 0.7
            x += self.motion.sway * width * math.sin(phase) * number / 2
            y += self.motion.bob * height * math.sin(phase) * number / 2
            layers.append((round(x), round(y)))
        return layers, shift.zoom

    def frame(self, index: int) -> np.ndarray:
        (back, *near), zoom = self.offsets(index)
        width, height = self.size
        view_w, view_h = round(width / zoom), round(height / zoom)
        left, top = self.margin[0] + (width - view_w) // 2, self.margin[1] + (height - view_h) // 2
        canvas = self.back.crop((left + back[0], top + back[1], left + back[0] + view_w, top + back[1] + view_h))
        for (layer, layer_top), (dx, dy) in zip(self.layers, near, strict=True):
            canvas.paste(layer, (-(left + dx), layer_top - (top + dy)), layer)
        if (view_w, view_h) == self.size:
            return np.asarray(canvas)
        # A zoom: swscale's bilinear scaling costs half of Pillow's, and a photo needs better than nearest.
        zoomed = av.VideoFrame.from_ndarray(np.asarray(canvas), format="rgb24").reformat(width, height, interpolation="BILINEAR", threads=1)
        return zoomed.to_ndarray()


class ImageMotionBackend:
    """The image, filling the frame, in depth layers that move with the shot's camera and words."""

    name = "image-motion"
    #: 2: depth layers with parallax, drift and sway (was a flat crop under the camera move).
    version = "2"
    capabilities = Capabilities(takes_image=True, needs_image=True)
    #: A draft of the motion, not the finished look: composing tags its shots ("SHOT 2/3").
    draft = True

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]:
        if request.source_image is None:
            raise GenerationError("Image animation needs a source image.")
        with Image.open(request.source_image) as source:
            picture = ImageOps.exif_transpose(source).convert("RGB")
        motion = ImageMotion(picture, request)
        for index in range(request.num_frames):
            progress(index / request.num_frames)
            yield motion.frame(index)
        progress(1.0)
