"""A storyboard shot: what is drawn where in every frame (``StoryboardLayout``), and the frames (``Storyboard``).

The layout is a pure function of the request's words, size, length and camera move, never of the shot's
seed: the subject looks the same, faces the same way and crosses the frame the same way in every shot of a
video, so it leaves one shot on one side and enters the next from the other. It is also the renderer's own
record of what it drew, which tests (and a debug view) read instead of guessing from pixels.

Frames are cheap by construction: the place's layers are painted once per shot, then each frame crops them
at the camera's offsets, pastes a few small sprites, and hands the picture back (about 5 ms at 720p).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from reelwright.generation import typography
from reelwright.generation.frames import CameraShift, camera_at, font
from reelwright.generation.pictograms import Pictogram, pictogram, sprite
from reelwright.generation.storyboard_scene import RATES, Layer, Place, paint
from reelwright.generation.storyboard_words import MOVED_BY_OTHERS, SETTINGS, ShotWords, read_prompt, words_of
from reelwright.plan import CameraMove

Box = tuple[int, int, int, int]
Role = Literal["subject", "object", "prop"]
#: How tall the subject is (fraction of the frame's short side) and where its feet are (of its height), by framing.
SUBJECT: dict[str, tuple[float, float]] = {
    "wide": (0.22, 0.8),
    "medium": (0.42, 0.9),
    "tracking": (0.4, 0.9),
    "close": (0.62, 0.98),
    "detail": (0.7, 0.9),
}
#: How much of the frame width a travelling subject crosses in one shot, by framing.
SPAN = {"wide": 0.62, "medium": 0.5, "tracking": 0.12, "close": 0.26, "detail": 0.12}
#: Where the objects stand (x, feet as fractions of the frame) and how tall they are (of the short side), by framing.
OBJECT_SPOTS: dict[str, tuple[tuple[float, float], ...]] = {
    "wide": ((0.18, 0.84), (0.84, 0.86), (0.68, 0.76)),
    "medium": ((0.13, 0.96), (0.87, 0.96), (0.74, 0.8)),
    "close": ((0.1, 0.99), (0.9, 0.99)),
}
OBJECT_HEIGHT = {"wide": 0.15, "medium": 0.22, "close": 0.18}
TRAVELLING = frozenset({"running", "walking", "flying", "swimming", "sailing", "driving"})
POURERS = frozenset({"teapot", "kettle", "jug", "pitcher", "bottle", "glass", "carafe", "pot"})
LIQUIDS: dict[str, tuple[int, int, int]] = {"tea": (160, 96, 40), "coffee": (110, 66, 36), "milk": (250, 250, 245), "wine": (150, 20, 50)}
FRAMING_NAMES = {"wide": "WIDE", "medium": "MEDIUM", "tracking": "TRACKING", "close": "CLOSE-UP", "detail": "DETAIL"}
ANGLE_STEP = 5
#: How far out of focus the background is, by framing: a close-up's shallow depth of field.
FOCUS = {"close": 1.0, "detail": 1.5}


@dataclass(frozen=True)
class Actor:
    """A pictogram in the shot: what it is, how tall (px at zoom 1), where its feet are when the camera is
    centred (frame px), which layer carries it, which way it faces, and how it moves."""

    pictogram: Pictogram
    role: Role
    height: int
    size: tuple[int, int]
    feet: tuple[float, float]
    layer: str
    mirrored: bool
    motion: str | None
    phase: float = 0.0


@dataclass(frozen=True)
class Pose:
    """An actor in one frame: its centre in canvas px, scale and angle, and its box in the output frame."""

    actor: int
    centre: tuple[float, float]
    scale: float
    angle: int
    box: Box


@dataclass(frozen=True)
class View:
    """The camera in one frame: each layer's crop offset and the part of the canvas shown (a zoom)."""

    shift: CameraShift
    window: tuple[int, int, int, int]
    extra: tuple[float, float] = (0.0, 0.0)

    def offset(self, rate: float) -> tuple[int, int]:
        x, y = self.shift.offset(rate)
        return round(x + self.extra[0] * rate), round(y + self.extra[1] * rate)


@dataclass(frozen=True)
class StoryboardLayout:
    """Everything the renderer draws in a shot, as data: read from the words, placed by the framing."""

    words: ShotWords
    place: Place
    size: tuple[int, int]
    fps: int
    frames: int
    camera: CameraMove
    heading: int
    actors: tuple[Actor, ...]
    annotation: str
    liquid: tuple[int, int, int] = (90, 160, 230)
    margins: dict[str, tuple[int, int]] = field(default_factory=dict)

    def view(self, index: int) -> View:
        width, height = self.size
        shift = camera_at(self.camera, index, self.frames, self.fps, self.size)
        extra = (0.0, 0.0)
        if self.words.framing == "tracking" and self.words.action in TRAVELLING:
            extra = (self.heading * 0.45 * width * (index / max(1, self.frames - 1) - 0.5), 0.0)
        view_w, view_h = round(width / shift.zoom), round(height / shift.zoom)
        anchor_x, anchor_y = self.zoom_anchor
        left = round(anchor_x * (1 - 1 / shift.zoom))
        top = round(anchor_y * (1 - 1 / shift.zoom))
        return View(shift, (left, top, view_w, view_h), extra)

    @cached_property
    def zoom_anchor(self) -> tuple[float, float]:
        """Where a zoom closes in: the middle of the subject's path over the shot, so it stays in view."""
        subject = self.actors[0]
        samples = [
            move(subject, self, *subject.feet, index / self.fps, index / max(1, self.frames - 1))
            for index in range(0, self.frames, max(1, self.frames // 12))
        ]
        x = sum(sample[0] for sample in samples) / len(samples)
        y = sum(sample[1] for sample in samples) / len(samples) - subject.size[1] / 2
        return min(max(x, 0.0), float(self.size[0])), min(max(y, 0.0), float(self.size[1]))

    def poses(self, index: int) -> tuple[Pose, ...]:
        view = self.view(index)
        return tuple(self._pose(number, actor, index, view) for number, actor in enumerate(self.actors))

    def subject_box(self, index: int) -> Box:
        return self.poses(index)[0].box

    def _pose(self, number: int, actor: Actor, index: int, view: View) -> Pose:
        seconds = index / self.fps
        t = index / max(1, self.frames - 1)
        width = self.size[0]
        dx, dy = view.offset(RATES[actor.layer])
        x, y = actor.feet[0] - dx, actor.feet[1] - dy
        x, y, scale, angle = move(actor, self, x, y, seconds, t)
        w, h = actor.size[0] * scale, actor.size[1] * scale
        angle = int(round(angle / ANGLE_STEP) * ANGLE_STEP) % 360 if actor.pictogram.emoji else 0  # labels stay level
        centre = (x, y - h / 2)
        radians = math.radians(angle)
        bw = abs(w * math.cos(radians)) + abs(h * math.sin(radians))
        bh = abs(w * math.sin(radians)) + abs(h * math.cos(radians))
        left, top, view_w, _ = view.window
        zoom = width / view_w
        box = (
            round((centre[0] - bw / 2 - left) * zoom),
            round((centre[1] - bh / 2 - top) * zoom),
            round((centre[0] + bw / 2 - left) * zoom),
            round((centre[1] + bh / 2 - top) * zoom),
        )
        return Pose(number, centre, scale, angle, box)


def move(actor: Actor, layout: StoryboardLayout, x: float, y: float, seconds: float, t: float) -> tuple[float, float, float, float]:
    """Where the action puts an actor: (x, feet y, scale, angle in degrees, anticlockwise).

    Verbs move things visibly: travelling verbs cross the frame in the subject's heading, falling falls,
    growing grows from a sprout, pouring tilts the vessel; everything else at least breathes.
    """
    width, height = layout.size
    h, heading = actor.height, layout.heading
    forward = -heading  # PIL turns anticlockwise; leaning forward to the right is clockwise
    span = SPAN.get(layout.words.framing, 0.5) * width
    if actor.role == "object" and layout.words.action in MOVED_BY_OTHERS:  # a kite: it loops about where it is held
        x += 0.1 * width * math.sin(2 * math.pi * seconds / 3)
    elif actor.motion in TRAVELLING:
        ahead = 0.22 * width if actor.role == "object" else 0.0  # what is chased runs ahead
        x = width / 2 + heading * (span * (t - 0.5) + ahead)
    match actor.motion:
        case "running":
            return x, y - 0.07 * h * abs(math.sin(math.pi * seconds / 0.32)), 1.0, 6 * forward
        case "walking":
            return x, y - 0.035 * h * abs(math.sin(math.pi * seconds / 0.5)), 1.0, 3 * forward * math.sin(math.pi * seconds / 0.5)
        case "driving":
            return x, y - 2 * (int(seconds * 12) % 2), 1.0, 0.0
        case "flying":
            lift = height * 0.3 if actor.role != "prop" else 0.0
            return (
                x,
                y - lift - 0.05 * height * math.sin(2 * math.pi * seconds / 1.6),
                1.0,
                5 * forward * math.cos(2 * math.pi * seconds / 1.6),
            )
        case "swimming":
            y -= 0.25 * height if layout.words.setting == "underwater" and actor.role != "prop" else 0.0
            return x, y - 0.02 * height * math.sin(2 * math.pi * seconds / 1.2), 1.0, 6 * math.sin(2 * math.pi * seconds / 1.2)
        case "sailing":
            y -= 0.3 * height if layout.words.setting == "space" and actor.role != "prop" else 0.0
            return x, y - 0.012 * height * math.sin(2 * math.pi * seconds / 1.8), 1.0, 6 * math.sin(2 * math.pi * seconds / 1.8)
        case "falling":
            cycle = t if actor.role != "prop" else (t * 2 + actor.phase) % 1.0  # the subject falls once, leaves keep falling
            drop = min(1.0, cycle / 0.85) ** 1.6
            top = h * 1.05 + (0.04 if actor.role != "prop" else -0.2) * height
            sway = 0.04 * width * math.sin(2 * math.pi * (seconds / 1.4 + actor.phase))
            return x + sway, top + (y - top) * drop, 1.0, 18 * math.sin(2 * math.pi * (seconds / 1.4 + actor.phase))
        case "jumping":
            return x, y - 0.5 * h * abs(math.sin(math.pi * seconds / 0.8)), 1.0, 0.0
        case "dancing":
            beat = 2 * math.pi * seconds / 0.7
            return x + 0.02 * width * math.sin(beat / 2), y - 0.05 * h * abs(math.sin(beat)), 1.0, 12 * math.sin(beat)
        case "spinning":
            return x, y, 1.0, -360 * seconds / 1.2
        case "growing":
            grown = min(1.0, t / 0.8)
            return x, y, round((0.15 + 0.85 * (3 * grown**2 - 2 * grown**3)) * 24) / 24, 0.0
        case "pouring":
            return x, y, 1.0, -heading * 40 * min(1.0, t / 0.2)
        case "launching":
            rise = t**2 * (y - h * 1.05 - 0.02 * height)
            return x + 2 * math.sin(seconds * 40), y - rise, 1.0, 0.0
        case "working":
            return x, y - 0.03 * h * abs(math.sin(math.pi * (seconds / 0.45 + actor.phase))), 1.0, 0.0
        case "resting":
            return x, y - 0.01 * h * (1 + math.sin(2 * math.pi * seconds / 3)), 1.0, 0.0
    return x, y - 0.012 * h * (1 + math.sin(2 * math.pi * seconds / 2)), 1.0, 0.0


def heading_of(word: str) -> int:
    """Which way the subject travels (+1 right, -1 left): from its word, so every shot agrees."""
    return 1 if zlib.crc32(word.lower().encode()) % 2 else -1


def make_actor(
    item: Pictogram, role: Role, px: float, feet: tuple[float, float], motion: str | None, heading: int, phase: float = 0.0
) -> Actor:
    """An actor on the ground layer, facing its heading (pictograms face left unless they face right)."""
    height = max(16, int(px))
    mirrored = item.emoji is not None and (heading > 0) != item.faces_right
    return Actor(item, role, height, sprite(item, height).size, feet, "ground", mirrored, motion, phase)


def layout_for(prompt: str, style: str, size: tuple[int, int], fps: int, frames: int, camera: CameraMove) -> StoryboardLayout:
    """The storyboard of one shot: a pure function of its words, size, length and camera move."""
    words = read_prompt(prompt)
    width, height = size
    framing = words.framing if words.framing in SUBJECT else "medium"
    subject_height, subject_feet = SUBJECT[framing]
    scale = min(size)  # sizes follow the short side, so a 9:16 frame holds its subject as a 16:9 one does
    heading = heading_of(words.subject.word)
    if words.action == "pouring":
        actors = _pouring(words, size, heading)
    else:
        motion = None if words.mover and words.action in MOVED_BY_OTHERS else words.action
        actors = [make_actor(words.subject, "subject", subject_height * scale, (width / 2, subject_feet * height), motion, heading)]
        if words.mover:  # "a kid flying a kite": the kite flies beside the kid
            feet = (width * (0.5 + 0.25 * heading), subject_feet * height)
            actors.append(make_actor(words.mover, "object", subject_height * scale * 0.6, feet, words.action, heading))
    spots = OBJECT_SPOTS["close" if framing in {"close", "detail"} else "wide" if framing == "wide" else "medium"]
    object_px = OBJECT_HEIGHT.get(framing, OBJECT_HEIGHT["close"]) * scale
    busy = "working" if words.action == "working" else None
    placed = [item for item in words.objects if all(item != other.pictogram for other in actors)]
    for number, (item, (fx, fy)) in enumerate(zip(placed, spots, strict=False)):
        actors.append(make_actor(item, "object", object_px, (fx * width, fy * height), busy, heading, number * 0.5))
    if words.action == "falling" and words.subject.kind == "thing":
        for number in range(6):
            spot = ((0.12 + 0.16 * number) * width, height * (0.75 + 0.04 * (number % 3)))
            actors.append(make_actor(words.subject, "prop", subject_height * scale * 0.45, spot, "falling", heading, number / 6))
    layout = StoryboardLayout(
        words=words,
        place=Place(words.setting, words.time, words.weather, style.lower(), words.room),
        size=size,
        fps=fps,
        frames=frames,
        camera=camera,
        heading=heading,
        actors=tuple(actors),
        annotation=annotation_text(words),
        liquid=next((colour for word, colour in LIQUIDS.items() if word in words_of(prompt)), (90, 160, 230)),
    )
    return replace(layout, margins=_margins(layout))


def _pouring(words: ShotWords, size: tuple[int, int], heading: int) -> list[Actor]:
    """A vessel tilting over a cup: the subject is the vessel if it is one, else what is poured into."""
    width, height = size
    subject = words.subject
    is_vessel = subject.word.lower() in POURERS
    tea = any(item.word in {"tea", "teapot", "kettle"} for item in (subject, *words.objects))
    vessel = subject if is_vessel else pictogram("teapot" if tea else "jug")
    receiver = next((item for item in words.objects if item.word.lower() not in POURERS), None) if is_vessel else subject
    scale = min(size)
    cup_px = 0.22 * scale
    cup_feet = (width / 2 + heading * 0.06 * width, 0.9 * height)
    cup = make_actor(receiver or pictogram("cup"), "object" if is_vessel else "subject", cup_px, cup_feet, None, heading)
    pot_feet = (width / 2 - heading * 0.1 * width, cup_feet[1] - cup_px - 0.1 * height)
    pot = make_actor(vessel, "subject" if is_vessel else "prop", 0.3 * scale, pot_feet, "pouring", heading)
    return [pot, cup] if is_vessel else [cup, pot]


def annotation_text(words: ShotWords) -> str:
    """The storyboard's note for the shot: framing, who does what, where. Short; the narration is the caption."""
    what = " ".join(part for part in (words.subject.word, words.verb, words.mover.word if words.mover else "") if part)
    named_place = words.subject.word in SETTINGS.get(words.setting, ())
    place = "" if words.setting == "field" or named_place else words.room or words.setting
    where = ", ".join(part for part in (place, "" if words.time == "day" else words.time) if part)
    return " · ".join(part for part in (FRAMING_NAMES.get(words.framing, "MEDIUM"), what, where) if part)


def _margins(layout: StoryboardLayout) -> dict[str, tuple[int, int]]:
    """The room each layer needs around the frame for every offset the camera takes in the shot."""
    views = [layout.view(index) for index in range(layout.frames)]
    margins = {}
    for name, rate in RATES.items():
        offsets = [view.offset(rate) for view in views]
        margins[name] = (max(abs(x) for x, _ in offsets) + 4, max(abs(y) for _, y in offsets) + 4)
    return margins


class Storyboard:
    """The frames of one layout: the place painted once, then cheap per-frame compositing."""

    def __init__(self, layout: StoryboardLayout) -> None:
        self.layout = layout
        self.layers: tuple[Layer, ...] = paint(layout.place, layout.size, layout.margins, focus=FOCUS.get(layout.words.framing, 0.0))
        self.variants: dict[tuple[int, float, int], Image.Image] = {}
        self.backdrop: tuple[tuple[tuple[int, int], ...], Image.Image] | None = None
        self.note, self.note_at = _note(layout)
        self.particles = _particles(layout)
        self.droplet = _droplet(layout)

    def frame(self, index: int) -> np.ndarray:
        layout = self.layout
        view = layout.view(index)
        left, top, view_w, view_h = view.window
        poses = layout.poses(index)
        canvas = self._backdrop(view).crop((left, top, left + view_w, top + view_h))
        for pose in poses:
            self._paste_actor(canvas, pose, left, top)
        self._pour(canvas, poses, index, left, top)
        self._weather(canvas, index)
        for layer in self.layers:
            if layer.name == "fore":
                _paste_layer(canvas, layer, view, left, top)
        if view_w != layout.size[0]:
            canvas = canvas.resize(layout.size, Image.Resampling.NEAREST)
        canvas.paste(self.note, self.note_at, self.note)
        return np.asarray(canvas)

    def _backdrop(self, view: View) -> Image.Image:
        """The layers behind the actors, composed over the whole frame; kept while their offsets stay the same
        (a still camera, a zoom), so such shots compose their backdrop once."""
        key = tuple(view.offset(layer.rate) for layer in self.layers)
        if self.backdrop is None or self.backdrop[0] != key:
            canvas = Image.new("RGB", self.layout.size)
            for layer in self.layers:
                if layer.name != "fore":
                    _paste_layer(canvas, layer, view, 0, 0)
            self.backdrop = (key, canvas)
        return self.backdrop[1]

    def picture(self, pose: Pose) -> Image.Image:
        """The actor's sprite as ``pose`` draws it (mirrored, scaled, turned), made once per pose and kept."""
        key = (pose.actor, pose.scale, pose.angle)
        if key not in self.variants:
            actor = self.layout.actors[pose.actor]
            picture = sprite(actor.pictogram, actor.height)
            if actor.mirrored:
                picture = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            if pose.scale != 1.0:
                picture = picture.resize(
                    (max(1, round(picture.width * pose.scale)), max(1, round(picture.height * pose.scale))), Image.Resampling.BILINEAR
                )
            if pose.angle:
                picture = picture.rotate(pose.angle, Image.Resampling.BICUBIC, expand=True)
            self.variants[key] = picture
        return self.variants[key]

    def _paste_actor(self, canvas: Image.Image, pose: Pose, left: int, top: int) -> None:
        picture = self.picture(pose)
        x = round(pose.centre[0] - picture.width / 2) - left
        y = round(pose.centre[1] - picture.height / 2) - top
        canvas.paste(picture, (x, y), picture)

    def _pour(self, canvas: Image.Image, poses: tuple[Pose, ...], index: int, left: int, top: int) -> None:
        """A stream of drops from the tilted vessel's lip into the cup, once the vessel has tipped."""
        if self.layout.words.action != "pouring" or index / max(1, self.layout.frames - 1) < 0.2:
            return
        # ``_pouring`` makes the first two actors: the vessel and what it pours into, in either order.
        vessel = next(pose for pose in poses if self.layout.actors[pose.actor].motion == "pouring")
        cup = next(pose for pose in poses if pose.actor in (0, 1) and pose is not vessel)
        heading = self.layout.heading
        vessel_actor = self.layout.actors[vessel.actor]
        lip = (vessel.centre[0] + heading * vessel_actor.size[0] * 0.55, vessel.centre[1] + vessel_actor.size[1] * 0.05)
        cup_actor = self.layout.actors[cup.actor]
        mouth = (cup.centre[0], cup.centre[1] - cup_actor.size[1] * 0.3)
        for drop in range(10):
            along = (index / self.layout.fps * 2.2 + drop / 10) % 1.0
            x = lip[0] + (mouth[0] - lip[0]) * along
            y = lip[1] + (mouth[1] - lip[1]) * along**1.5
            canvas.paste(self.droplet, (round(x) - left, round(y) - top), self.droplet)

    def _weather(self, canvas: Image.Image, index: int) -> None:
        """Snow drifts down, rain streaks, bubbles and embers rise: the particles move every frame."""
        if self.particles is None:
            return
        spots, speeds, flake = self.particles
        width, height = canvas.size
        seconds = index / self.layout.fps
        xs = (spots[:, 0] * width + 0.03 * width * np.sin(seconds * 1.3 + spots[:, 1] * 7)) % width
        ys = (spots[:, 1] * height + speeds * height * seconds) % height
        for x, y in zip(xs.astype(int).tolist(), ys.astype(int).tolist(), strict=True):
            canvas.paste(flake, (x, y), flake)


def _paste_layer(canvas: Image.Image, layer: Layer, view: View, left: int, top: int) -> None:
    """Paste the part of ``layer`` the view shows (from canvas position ``left``, ``top``): its soft rows
    blended, its opaque rows copied."""
    dx, dy = view.offset(layer.rate)
    x0, y0 = layer.margin[0] + dx + left, layer.margin[1] + dy + top
    if layer.soft is not None:
        canvas.paste(layer.soft, (-x0, layer.soft_top - y0), layer.soft)
    if layer.solid is not None:
        canvas.paste(layer.solid, (-x0, layer.solid_top - y0))


def _particles(layout: StoryboardLayout) -> tuple[np.ndarray, np.ndarray, Image.Image] | None:
    kind = (
        layout.place.weather
        if layout.place.weather in {"snow", "rain"}
        else {"underwater": "bubbles", "fire": "embers"}.get(layout.place.setting)
    )
    if kind is None:
        return None
    rng = np.random.default_rng(layout.place.seed)
    count = {"snow": 60, "rain": 100, "bubbles": 30, "embers": 40}[kind]
    spots = rng.random((count, 2))
    speeds = rng.uniform(0.08, 0.2, count) * {"snow": 1.0, "rain": 6.0, "bubbles": -1.0, "embers": -0.8}[kind]
    unit = max(2, layout.size[1] // 180)
    flake = Image.new("RGBA", (unit * 2 + 1, unit * 9 if kind == "rain" else unit * 2 + 1), (0, 0, 0, 0))
    draw = ImageDraw.Draw(flake)
    if kind == "rain":
        draw.line((unit, 0, unit, flake.height), fill=(220, 230, 255, 150), width=max(1, unit // 2))
    elif kind == "bubbles":
        draw.ellipse((0, 0, flake.width - 1, flake.height - 1), outline=(230, 250, 255, 200), width=1)
    else:
        draw.ellipse((0, 0, flake.width - 1, flake.height - 1), fill=(240, 244, 252, 170) if kind == "snow" else (255, 170, 60, 230))
    return spots, speeds, flake


def _droplet(layout: StoryboardLayout) -> Image.Image:
    unit = max(3, layout.size[1] // 110)
    drop = Image.new("RGBA", (unit * 2, unit * 3), (0, 0, 0, 0))
    ImageDraw.Draw(drop).ellipse((0, 0, unit * 2 - 1, unit * 3 - 1), fill=(*layout.liquid, 235))
    return drop


def _note(layout: StoryboardLayout) -> tuple[Image.Image, tuple[int, int]]:
    """The annotation tag, in the top corner the subject's path stays out of: the right one unless the subject
    is there (the left one holds the shot number, drawn when composing, so the note goes below it)."""
    width, height = layout.size
    size = max(12, min(width, height) // 30)
    lines = typography.wrap(layout.annotation, size=size, max_width=width * (0.6 if width > height else 0.9), max_lines=1)
    text_w = int(lines[0].width) if lines else int(ImageDraw.Draw(Image.new("RGB", (1, 1))).textlength(layout.annotation, font=font(size)))
    pad = size // 2
    tag = Image.new("RGBA", (text_w + 2 * pad, int(size * 1.5) + pad), (0, 0, 0, 0))
    draw = ImageDraw.Draw(tag)
    draw.rounded_rectangle((0, 0, tag.width - 1, tag.height - 1), radius=pad, fill=(0, 0, 0, 150))
    baseline = pad // 2 + int(size * 1.15)
    if lines:
        typography.draw_line(draw, lines[0], (pad, baseline), size, fill=(255, 255, 255, 255))
    else:
        draw.text((pad, baseline), layout.annotation, font=font(size), fill=(255, 255, 255, 255), anchor="ls")
    margin = int(min(width, height) * 0.04)
    below_shot_tag = 3 * max(12, min(width, height) // 45)  # composing puts "SHOT 2/3" in the top-left corner
    corners = [(width - tag.width - margin, margin), (margin, below_shot_tag)]
    boxes = [layout.subject_box(index) for index in range(0, layout.frames, max(1, layout.frames // 24))]

    def overlap(corner: tuple[int, int]) -> int:
        x, y = corner
        return sum(max(0, min(b[2], x + tag.width) - max(b[0], x)) * max(0, min(b[3], y + tag.height) - max(b[1], y)) for b in boxes)

    return tag, min(corners, key=overlap)


def render_frames(
    prompt: str, style: str, size: tuple[int, int], fps: int, frames: int, camera: CameraMove
) -> tuple[StoryboardLayout, Storyboard]:
    """The layout and its renderer for one shot (what the backend and the tests both start from)."""
    layout = layout_for(prompt, style, size, fps, frames, camera)
    return layout, Storyboard(layout)
