"""The place a storyboard shot happens in, painted once per shot as depth layers the camera moves over.

Five layers, back to front (sky, far, mid, ground, foreground), each moving at its own rate so a pan or orbit
shows parallax. What is painted comes only from the words (setting, time of day, weather) and the plan's
style, through a stable hash: two shots in the same place look like the same place, and a new place looks
new. Random placements are drawn over a fixed range of the frame, never over the layer's own size, so a
wider layer (a longer pan) shows the same hills and trees where a narrower one does.
"""

from __future__ import annotations

import math
import random
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from reelwright.generation.pictograms import emoji_sprite

Colour = tuple[int, int, int]
#: How far each layer moves for a camera move of one ground pixel: the sky barely, the foreground most.
RATES: dict[str, float] = {"sky": 0.12, "far": 0.35, "mid": 0.65, "ground": 1.0, "fore": 1.45}
#: Where the horizon and the ground's near edge sit, as fractions of the frame height.
HORIZON = 0.56
GROUND = 0.66
SKIES: dict[str, tuple[Colour, Colour]] = {
    "day": ((64, 132, 218), (186, 218, 245)),
    "dawn": ((92, 106, 170), (252, 186, 150)),
    "sunset": ((64, 44, 108), (250, 140, 72)),
    "night": ((8, 12, 36), (36, 46, 92)),
}
#: Far, mid, ground and foreground colours of each setting by day.
LANDS: dict[str, tuple[Colour, Colour, Colour, Colour]] = {
    "snow": ((150, 170, 205), (212, 222, 238), (226, 233, 244), (236, 241, 250)),
    "field": ((120, 160, 130), (96, 160, 80), (118, 178, 88), (70, 130, 60)),
    "forest": ((70, 110, 95), (40, 100, 60), (70, 100, 55), (35, 80, 40)),
    "desert": ((205, 160, 112), (226, 182, 122), (236, 198, 138), (214, 170, 110)),
    "beach": ((64, 140, 200), (48, 128, 190), (238, 214, 162), (226, 200, 146)),
    "ocean": ((72, 142, 202), (42, 112, 178), (30, 96, 162), (230, 242, 250)),
    "mountains": ((118, 128, 160), (104, 118, 132), (126, 130, 112), (92, 98, 86)),
    "city": ((96, 102, 124), (72, 78, 98), (84, 84, 94), (56, 56, 66)),
    "fire": ((72, 32, 30), (54, 28, 26), (48, 28, 22), (30, 16, 14)),
    "space": ((90, 70, 140), (70, 70, 90), (128, 126, 136), (100, 98, 108)),
    "underwater": ((30, 90, 130), (40, 110, 120), (196, 178, 128), (170, 150, 110)),
    "interior": ((236, 222, 196), (150, 104, 70), (176, 128, 88), (120, 84, 56)),
}
#: Pictograms that dress each setting: (layer, emoji, count, height as a fraction of the frame).
PROPS: dict[str, tuple[tuple[str, str, int, float], ...]] = {
    "snow": (("mid", "🌲", 9, 0.16),),
    "forest": (("far", "🌲", 22, 0.12), ("mid", "🌳", 12, 0.24), ("mid", "🌲", 8, 0.28), ("fore", "🌿", 4, 0.2)),
    "field": (("mid", "🌳", 5, 0.18), ("fore", "🌾", 5, 0.16), ("ground", "🌼", 10, 0.04)),
    "desert": (("mid", "🌵", 5, 0.14),),
    "beach": (("mid", "🌴", 3, 0.32),),
    "fire": (("mid", "🔥", 6, 0.1),),
    "underwater": (("mid", "🪸", 6, 0.12), ("fore", "🌿", 4, 0.22)),
    "mountains": (("mid", "🌲", 6, 0.1),),
    "interior": (("mid", "🪴", 2, 0.16), ("mid", "🫙", 2, 0.08)),
    "space": (("sky", "🪐", 1, 0.2),),
}


#: What stands on the counter of a room named so (one of each, on top of the plants and jars of any room).
ROOMS: dict[str, str] = {
    "bakery": "🥖🥐🍞",
    "kitchen": "🍳🧂🫖",
    "oven": "🍳🧂🫖",
    "stove": "🍳🧂🫖",
    "breakfast": "🍳🥞☕",
    "dinner": "🍽️🍷🕯️",
    "cafe": "☕🥐🍰",
    "café": "☕🥐🍰",
    "restaurant": "🍷🍽️🕯️",
    "office": "🖥️📚☕",
    "desk": "🖥️📚☕",
    "studio": "🎨🖼️💡",
    "classroom": "📚✏️🌍",
    "library": "📚📖📚",
    "lab": "🧪🔬⚗️",
    "laboratory": "🧪🔬⚗️",
    "workshop": "🔨🪚🧰",
    "bedroom": "🛏️💡🧸",
}


@dataclass(frozen=True)
class Place:
    """Everything that decides what a place looks like; equal places paint equal layers."""

    setting: str
    time: str
    weather: str | None
    style: str
    room: str = ""

    @property
    def seed(self) -> int:
        return zlib.crc32(f"{self.setting}|{self.room}|{self.time}|{self.style}".encode())


@dataclass(frozen=True)
class Layer:
    """One depth layer, painted over the frame plus ``margin`` on each side for the camera to move over.

    It is kept in two parts: ``soft`` (RGBA, from row ``soft_top``), the rows with transparent or partly
    covered pixels, blended; and ``solid`` (RGB, from row ``solid_top`` to the bottom), the opaque rows,
    copied. Rows above ``soft_top`` are empty. Compositing a frame touches each pixel about once.
    """

    name: str
    rate: float
    margin: tuple[int, int]
    soft_top: int
    soft: Image.Image | None
    solid_top: int
    solid: Image.Image | None


class Canvas:
    """A layer being painted, drawn in frame coordinates (0..width is the frame when the camera is centred)."""

    def __init__(self, size: tuple[int, int], margin: tuple[int, int]) -> None:
        self.width, self.height = size
        self.margin = margin
        self.image = Image.new("RGBA", (size[0] + 2 * margin[0], size[1] + 2 * margin[1]), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.image)
        #: Translucent shapes (glows, clouds, light rays) go on a glaze laid over the layer when it is done,
        #: because drawing on RGBA replaces a pixel's alpha rather than blending with it.
        self.glaze = Image.new("RGBA", self.image.size, (0, 0, 0, 0))

    @property
    def unit(self) -> float:
        """One pixel of a frame whose short side is 720, so details keep their size relative to the frame."""
        return min(self.width, self.height) / 720

    def at(self, x: float, y: float) -> tuple[float, float]:
        return x + self.margin[0], y + self.margin[1]

    @property
    def span(self) -> tuple[float, float]:
        """The frame-coordinate range of x this layer covers."""
        return -self.margin[0], self.width + self.margin[0]

    def _pen(self, fill: tuple[int, ...]) -> ImageDraw.ImageDraw:
        return self.draw if len(fill) == 3 or fill[3] == 255 else ImageDraw.Draw(self.glaze)

    def columns(self) -> np.ndarray:
        """x positions for outlines, on a grid fixed to the frame: every layer width samples the same hills."""
        step = max(2, round(8 * self.unit))
        return np.arange(self.span[0] // step * step, self.span[1] + 2 * step, step, dtype=np.float32)

    def polygon(self, points: list[tuple[float, float]], fill: tuple[int, ...]) -> None:
        self._pen(fill).polygon([self.at(x, y) for x, y in points], fill=fill)

    def ellipse(self, x: float, y: float, rx: float, ry: float, fill: tuple[int, ...]) -> None:
        (left, top), (right, bottom) = self.at(x - rx, y - ry), self.at(x + rx, y + ry)
        self._pen(fill).ellipse((left, top, right, bottom), fill=fill)

    def finished(self) -> Image.Image:
        return Image.alpha_composite(self.image, self.glaze)

    def rect(self, box: tuple[float, float, float, float], fill: tuple[int, ...]) -> None:
        (left, top), (right, bottom) = self.at(box[0], box[1]), self.at(box[2], box[3])
        self.draw.rectangle((left, top, right, bottom), fill=fill)

    def gradient(self, top: float, bottom: float, start: Colour, end: Colour, *, below: float | None = None) -> None:
        """Fill the layer (from frame row ``below`` down, if given) with ``start`` at frame row ``top`` shading
        to ``end`` at ``bottom``, held beyond them: the same rows get the same colour whatever the margins."""
        first = 0 if below is None else max(0, int(self.at(0, below)[1]))
        if first >= self.image.height:
            return
        rows = np.arange(first, self.image.height, dtype=np.float32)[:, None] - self.margin[1]
        mix = np.clip((rows - top) / max(1.0, bottom - top), 0, 1)
        colours = np.array(start, np.float32) * (1 - mix) + np.array(end, np.float32) * mix
        band = np.concatenate([colours, np.full((len(rows), 1), 255, np.float32)], axis=1).astype(np.uint8)
        self.image.paste(Image.fromarray(np.broadcast_to(band[:, None, :], (len(rows), self.image.width, 4)).copy(), "RGBA"), (0, first))

    def ridge(
        self, base: float, amplitude: float, rng: random.Random, fill: tuple[int, ...], waves: int = 3, peaks: bool = False
    ) -> list[float]:
        """A skyline of hills (or sharp peaks) around ``base``, filled down to the layer's bottom; returns its heights."""
        phases = [rng.uniform(0, 2 * math.pi) for _ in range(waves)]
        lengths = [self.width * rng.uniform(0.25, 0.9) / (k + 1) for k in range(waves)]
        xs = self.columns()
        wave = sum(
            np.sin(xs / length * 2 * math.pi + phase) / (k + 1) for k, (length, phase) in enumerate(zip(lengths, phases, strict=True))
        )
        shape = 1 - 2 * np.abs(((xs / (self.width * 0.22) + phases[0]) % 1) - 0.5) if peaks else 0
        heights = base - amplitude * (0.5 * np.asarray(wave) + (1.2 * shape if peaks else 0))
        bottom = self.height + self.margin[1]
        self.polygon([(float(xs[0]), bottom), *zip(xs.tolist(), heights.tolist(), strict=True), (float(xs[-1]), bottom)], fill)
        return heights.tolist()

    def sprites(
        self,
        pictogram: str,
        count: int,
        height: float,
        rng: random.Random,
        rows: tuple[float, float],
        spread: tuple[float, float] = (-0.8, 1.8),
    ) -> None:
        """``count`` copies of a pictogram standing between ``rows`` (frame fractions), over a fixed ``spread`` of x;
        big ones keep out of the middle of the frame, where the subject stands."""
        spots = [(rng.uniform(*spread), rng.uniform(*rows), rng.uniform(0.7, 1.2)) for _ in range(count)]
        for fx, fy, scale in sorted(spots, key=lambda spot: spot[1]):
            if height > 0.15 and abs(fx - 0.5) < 0.16:
                fx += 0.32 if fx >= 0.5 else -0.32
            picture = emoji_sprite(pictogram, max(8, 8 * round(90 * self.unit * height * scale)))  # sizes in steps of 8 px: few cached
            x, y = (int(v) for v in self.at(fx * self.width - picture.width / 2, fy * self.height - picture.height))
            left, top = max(0, -x), max(0, -y)
            right, bottom = min(picture.width, self.image.width - x), min(picture.height, self.image.height - y)
            if right > left and bottom > top:
                self.image.alpha_composite(picture.crop((left, top, right, bottom)), (x + left, y + top))


def _pictograms_in(text: str) -> list[str]:
    """The single pictograms in ``text`` (a character and its variation selector, if any)."""
    return [match.group() for match in re.finditer(r".\ufe0f?", text)]


def tint(colour: Colour, time: str) -> Colour:
    """A colour as the time of day lights it: blue and dark at night, warm at dawn and sunset."""
    r, g, b = colour
    if time == "night":
        return (int(r * 0.3), int(g * 0.34), int(b * 0.5 + 18))
    warm = {"dawn": ((255, 176, 150), 0.2), "sunset": ((255, 130, 70), 0.28)}.get(time)
    if warm is None:
        return colour
    (wr, wg, wb), amount = warm
    return (int(r + (wr - r) * amount), int(g + (wg - g) * amount), int(b + (wb - b) * amount))


def _sky(canvas: Canvas, place: Place, rng: random.Random) -> None:
    top, horizon = SKIES[place.time]
    if place.setting == "underwater":
        top, horizon = (110, 190, 220), (16, 60, 110)
    if place.setting == "fire":
        top, horizon = (40, 12, 16), (190, 70, 30)
    canvas.gradient(-0.4 * canvas.height, canvas.height * GROUND, top, horizon)
    if place.setting == "interior":
        _room(canvas, place, rng)
        return
    if place.time == "night" or place.setting == "space":
        for _ in range(500 if place.setting == "space" else 220):
            x, y, r = rng.uniform(-1, 2) * canvas.width, rng.uniform(-0.4, 0.6) * canvas.height, rng.uniform(0.6, 1.8) * canvas.unit
            canvas.ellipse(x, y, r, r, (255, 255, 240, int(rng.uniform(140, 255))))
    if place.setting == "underwater":
        for _ in range(7):
            x = rng.uniform(-0.5, 1.5) * canvas.width
            canvas.polygon(
                [
                    (x, -0.5 * canvas.height),
                    (x + 0.05 * canvas.width, -0.5 * canvas.height),
                    (x + 0.2 * canvas.width, canvas.height),
                    (x + 0.11 * canvas.width, canvas.height),
                ],
                (220, 245, 255, 40),
            )
        return
    if place.setting not in {"space", "fire"}:
        sun_y = {"dawn": 0.46, "sunset": 0.44, "night": 0.16}.get(place.time, 0.14) * canvas.height
        sun_x, radius = rng.uniform(0.2, 0.8) * canvas.width, canvas.height * 0.06
        colour = (246, 244, 226) if place.time == "night" else (255, 236, 170)
        for ring in range(12, 0, -1):
            canvas.ellipse(sun_x, sun_y, radius * (1 + ring * 0.2), radius * (1 + ring * 0.2), (*colour, 8 * (13 - ring)))
        canvas.ellipse(sun_x, sun_y, radius, radius, (*colour, 255))
    if place.time != "night" and place.setting not in {"space", "fire"}:
        for _ in range(6):
            x, y = rng.uniform(-1, 2) * canvas.width, rng.uniform(0.05, 0.35) * canvas.height
            for _ in range(5):
                dx, dy, rx, ry = (rng.uniform(*bounds) * canvas.unit for bounds in ((-90, 90), (-14, 14), (40, 90), (14, 26)))
                canvas.ellipse(x + dx, y + dy, rx, ry, (255, 255, 255, 90))


def _room(canvas: Canvas, place: Place, rng: random.Random) -> None:
    """An interior's back wall: plain paint, a window onto the time of day, a picture and a shelf."""
    wall, counter, _, _ = LANDS["interior"]
    top, horizon = SKIES[place.time]
    canvas.rect((canvas.span[0], -canvas.margin[1], canvas.span[1], canvas.height + canvas.margin[1]), (*tint(wall, "day"), 255))
    edge = max(1.0, 8 * canvas.unit)
    for index in range(-1, 3):
        x = (index * 0.75 + 0.1) * canvas.width
        canvas.rect(
            (x - edge, canvas.height * 0.1 - edge, x + canvas.width * 0.22 + edge, canvas.height * 0.46 + edge), (250, 250, 250, 255)
        )
        canvas.rect((x, canvas.height * 0.1, x + canvas.width * 0.22, canvas.height * 0.46), (*horizon, 255))
        canvas.rect((x, canvas.height * 0.1, x + canvas.width * 0.22, canvas.height * 0.2), (*top, 255))
        canvas.rect((x + canvas.width * 0.107, canvas.height * 0.1, x + canvas.width * 0.113, canvas.height * 0.46), (250, 250, 250, 255))
        frame_x = x + canvas.width * 0.36
        canvas.rect((frame_x, canvas.height * 0.16, frame_x + canvas.width * 0.1, canvas.height * 0.32), (*counter, 255))
        canvas.rect(
            (frame_x + edge, canvas.height * 0.16 + edge, frame_x + canvas.width * 0.1 - edge, canvas.height * 0.32 - edge),
            (200, 190, 230, 255),
        )


def _windows(
    canvas: Canvas,
    box: tuple[float, float, float, float],
    size: float,
    rng: random.Random,
    lit: tuple[int, ...],
    dark: tuple[int, ...] | None,
) -> None:
    """A building's windows on a grid, some lit; ``size`` is a window's width as a fraction of the frame height."""
    left, top, right, bottom = box
    pane = size * canvas.height
    for wy in np.arange(top + pane * 1.5, bottom - pane * 1.5, pane * 2.6).tolist():
        for wx in np.arange(left + pane, right - pane * 1.5, pane * 2.2).tolist():
            colour = lit if rng.random() < 0.45 else dark
            if colour is not None:
                canvas.rect((wx, wy, wx + pane, wy + pane * 1.4), colour)


def _far(canvas: Canvas, place: Place, rng: random.Random) -> None:
    far = (*tint(LANDS[place.setting][0], place.time), 255)
    height = canvas.height
    if place.setting in {"snow", "mountains"}:
        heights = canvas.ridge(height * HORIZON, height * 0.2, rng, far, peaks=True)
        snowline = height * (HORIZON - 0.13)
        xs = canvas.columns().tolist()
        below = [max(y, min(y + height * 0.07, snowline)) for y in heights]
        canvas.polygon(
            [*zip(xs, heights, strict=True), *reversed(list(zip(xs, below, strict=True)))], (*tint((236, 240, 248), place.time), 255)
        )
    elif place.setting == "city":
        lit = (255, 214, 120, 255) if place.time in {"night", "sunset"} else (190, 210, 230, 255)
        for _ in range(60):
            x, w = rng.uniform(-1, 2) * canvas.width, rng.uniform(0.04, 0.09) * canvas.width
            top = height * rng.uniform(0.18, 0.45)
            canvas.rect((x, top, x + w, height * GROUND + 4), far)
            _windows(canvas, (x, top, x + w, height * GROUND), 0.011, rng, lit, None)
    elif place.setting in {"ocean", "beach"}:
        canvas.rect((canvas.span[0], height * HORIZON, canvas.span[1], height + canvas.margin[1]), far)
    elif place.setting == "fire":
        canvas.polygon(
            [
                (0.1 * canvas.width, height * GROUND),
                (0.42 * canvas.width, height * 0.2),
                (0.58 * canvas.width, height * 0.2),
                (0.9 * canvas.width, height * GROUND),
            ],
            far,
        )
        canvas.ellipse(0.5 * canvas.width, height * 0.2, 0.09 * canvas.width, height * 0.03, (255, 140, 40, 255))
        canvas.ridge(height * GROUND, height * 0.04, rng, far)
    elif place.setting != "space":
        canvas.ridge(height * HORIZON, height * 0.06, rng, far)


def _mid(canvas: Canvas, place: Place, rng: random.Random) -> None:
    mid = (*tint(LANDS[place.setting][1], place.time), 255)
    height = canvas.height
    if place.setting == "city":
        lit = (255, 220, 130, 255) if place.time in {"night", "sunset"} else (170, 195, 220, 255)
        for _ in range(30):
            x, w = rng.uniform(-1, 2) * canvas.width, rng.uniform(0.08, 0.14) * canvas.width
            top = height * rng.uniform(0.28, 0.5)
            canvas.rect((x, top, x + w, height * GROUND + 6), mid)
            _windows(canvas, (x, top, x + w, height * GROUND), 0.018, rng, lit, (*tint((50, 56, 70), place.time), 255))
    elif place.setting == "interior":
        canvas.rect((canvas.span[0], height * 0.5, canvas.span[1], height * 0.56), (*tint((196, 160, 120), "day"), 255))
        canvas.rect((canvas.span[0], height * 0.56, canvas.span[1], height * GROUND + 8), mid)
    elif place.setting == "ocean":
        canvas.rect((canvas.span[0], height * (HORIZON + 0.04), canvas.span[1], height + canvas.margin[1]), mid)
    elif place.setting not in {"space", "beach"}:
        canvas.ridge(height * (HORIZON + 0.06), height * 0.05, rng, mid)


def _ground(canvas: Canvas, place: Place, rng: random.Random) -> None:
    ground = tint(LANDS[place.setting][2], place.time)
    near = tuple(int(c * 0.8) for c in ground)
    height = canvas.height
    canvas.gradient(height * GROUND, height * 1.1, ground, (near[0], near[1], near[2]), below=height * GROUND)
    if place.setting == "beach":
        canvas.rect((canvas.span[0], height * (GROUND - 0.008), canvas.span[1], height * (GROUND + 0.006)), (250, 252, 255, 255))
    if place.setting == "city":
        for x in np.arange(-1.0, 2.0, 0.12):
            canvas.rect((x * canvas.width, height * 0.83, x * canvas.width + canvas.width * 0.06, height * 0.845), (236, 232, 200, 255))
        canvas.rect((canvas.span[0], height * GROUND, canvas.span[1], height * 0.7), (*tint((120, 120, 128), place.time), 255))
    red, green, blue = LANDS[place.setting][2]
    shade = (*tint((int(red * 0.9), int(green * 0.9), int(blue * 0.9)), place.time), 255)
    for _ in range(40):
        x, y = rng.uniform(-1, 2) * canvas.width, rng.uniform(GROUND + 0.04, 1.1) * height
        canvas.ellipse(x, y, rng.uniform(20, 70) * canvas.unit, rng.uniform(3, 8) * canvas.unit, shade)


def _fore(canvas: Canvas, place: Place, rng: random.Random) -> None:
    fore = (*tint(LANDS[place.setting][3], place.time), 255)
    if place.setting in {"snow", "desert", "beach", "mountains", "fire"}:
        for side in (-0.15, 1.15, 0.45 + rng.uniform(-1.5, 1.5)):
            canvas.ellipse(side * canvas.width, canvas.height * 1.04, canvas.width * 0.16, canvas.height * 0.08, fore)
    if place.setting == "ocean":
        for index in range(-12, 30):
            x = index * canvas.width * 0.09
            canvas.ellipse(x, canvas.height * 1.0, canvas.width * 0.06, canvas.height * 0.025, (*fore[:3], 170))


PAINTERS: dict[str, Callable[[Canvas, Place, random.Random], None]] = {
    "sky": _sky,
    "far": _far,
    "mid": _mid,
    "ground": _ground,
    "fore": _fore,
}


def _settle(name: str, canvas: Canvas, place: Place) -> Layer:
    image = canvas.finished()
    if place.weather == "fog" and name in {"far", "mid"}:
        hazy = Image.blend(image.convert("RGB"), Image.new("RGB", image.size, (230, 230, 235)), 0.4)
        image = Image.merge("RGBA", (*hazy.split(), image.getchannel("A")))
    if any(word in place.style for word in ("noir", "black and white", "monochrome")):
        grey = ImageOps.grayscale(image).convert("RGB")
        image = Image.merge("RGBA", (*grey.split(), image.getchannel("A")))
    elif "pastel" in place.style:
        image = Image.merge(
            "RGBA", (*Image.blend(image.convert("RGB"), Image.new("RGB", image.size, (255, 255, 255)), 0.3).split(), image.getchannel("A"))
        )
    alpha = np.asarray(image.getchannel("A"))
    filled = np.flatnonzero(alpha.any(axis=1))
    first = int(filled[0]) if filled.size else image.height
    not_opaque = np.flatnonzero((alpha < 255).any(axis=1))
    solid_top = max(first, int(not_opaque[-1]) + 1 if not_opaque.size else 0)
    soft = image.crop((0, first, image.width, solid_top)) if solid_top > first else None
    solid = image.crop((0, solid_top, image.width, image.height)).convert("RGB") if solid_top < image.height else None
    return Layer(name, RATES[name], canvas.margin, first, soft, solid_top, solid)


def _rows(layer: str, setting: str) -> tuple[float, float]:
    """Where a layer's props stand (frame fractions): on the horizon, the ground, the frame's bottom edge."""
    if setting == "interior":
        return (0.5, 0.5)
    return {"sky": (0.3, 0.4), "far": (GROUND - 0.02, GROUND), "mid": (GROUND - 0.01, GROUND + 0.04), "ground": (GROUND + 0.06, 1.08)}.get(
        layer, (1.02, 1.12)
    )


def paint(place: Place, size: tuple[int, int], margins: Mapping[str, tuple[int, int]], *, focus: float = 0.0) -> tuple[Layer, ...]:
    """The place's layers, back to front, each with room to move ``margins[name]`` pixels each way.

    ``focus`` > 0 softens the sky, far and mid layers (a shallow depth of field, for close-ups): 1 is about
    a 720p frame's 4 pixels."""
    layers = []
    for name, painter in PAINTERS.items():
        rng = random.Random(place.seed * 31 + zlib.crc32(name.encode()))
        canvas = Canvas(size, margins[name])
        painter(canvas, place, rng)
        for layer, pictogram, count, height in PROPS.get(place.setting, ()):
            if layer == name:
                canvas.sprites(pictogram, count, height, rng, _rows(name, place.setting))
        for thing in _pictograms_in(ROOMS.get(place.room, "")) if name == "mid" else ():
            canvas.sprites(thing, 1, 0.09, rng, _rows(name, place.setting), spread=(0.08, 0.92))
        if focus and name in {"sky", "far", "mid"}:
            canvas.image = _defocused(canvas.finished(), focus * canvas.unit)
            canvas.glaze = Image.new("RGBA", canvas.image.size, (0, 0, 0, 0))
        layers.append(_settle(name, canvas, place))
    return tuple(layer for layer in layers if layer.soft or layer.solid)


def _defocused(image: Image.Image, amount: float) -> Image.Image:
    """Out of focus, cheaply: shrunk, blurred and grown back, premultiplied so clear pixels do not darken edges."""
    factor = max(2, round(4 * amount))
    small = image.convert("RGBa").reduce(factor).filter(ImageFilter.GaussianBlur(1))
    return small.resize(image.size, Image.Resampling.BILINEAR).convert("RGBA")
