"""The embedded talking-portrait renderer: a face in a photo or a clip speaks the shot's words, on a CPU.

No lip-sync model runs here (the ``wan-s2v`` backend does that on GPUs), so the face is moved by the sound
itself, which keeps it visibly in sync: the loudness of the speech at each frame (gated, so breaths and
silence keep the mouth shut; syllable peaks stand out from the valleys between them) opens the mouth, and
hiss (s, f, sh: energy above 3.5 kHz) narrows it. The mouth opens by a smooth warp that drops the jaw and
lower lip over a painted mouth (teeth under the upper lip, a dark inside, a hint of tongue); blinks come every
few seconds, and the head sways and nods a little, more while the voice is loud. Only the head's region of a
frame is warped, with one ``cv2.remap``: about 10 ms a 720p frame on one core (``bench/bench_talking.py``).
It is puppet-like up close (one mouth shape, opened and narrowed, rather than a shape per sound), so its shots
are labelled drafts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter1d, minimum_filter1d

from reelwright.errors import FaceProblem, GenerationError
from reelwright.generation.backends import Progress, Speech, TalkingRequest
from reelwright.generation.faces import Face, FaceFinder, cascade_identity, read_photo

#: 1: loudness-driven jaw and lip warp over a painted mouth, blinks, speech-driven head sway.
ALGORITHM = "1"
#: How far the lower lip drops at the middle of a wide-open mouth, in face-box sides.
JAW_DROP = 0.085
#: How much of the mouth's width opens: speech opens the middle, the corners stay closed.
OPENING_WIDTH = 0.65
#: Speech this many dB under its loud syllables keeps the mouth shut (breaths, room noise, fades).
GATE_DB = 30.0
#: Sound quieter than this (dB under full scale, in the voice band) is silence, however loud the rest is.
SILENCE_DBFS = -45.0
#: Hiss above this frequency (Hz) is s, f, sh: the mouth narrows instead of opening.
HISS_HZ = 3500.0
#: The head (face units: its centre, and the half-axes of the ellipse where it moves with the head's fading
#: motion) and how far inside that ellipse the motion is whole: around the head the background barely moves.
HEAD = ((0.0, 0.08), (1.12, 1.53))
FALLOFF = 1.8
#: In a clip, the face is found again every this many frames and followed smoothly in between.
KEYFRAME_EVERY = 4
NO_FACE_IN_CLIP = (
    "I couldn't find a face in this shot's picture to make it speak: describe one person facing the camera in the "
    "shot, or give the shot a photo of a face."
)


@dataclass(frozen=True)
class MouthTrack:
    """What the speech does to the face at each frame: ``opening`` and ``narrowing`` of the mouth in [0, 1]
    (narrowing on hiss), and ``energy`` in [0, 1], the loudness over about a second (drives the head)."""

    opening: np.ndarray
    narrowing: np.ndarray
    energy: np.ndarray


@dataclass(frozen=True)
class Pose:
    """The face's motion in one frame: mouth and eyelids in [0, 1], the head's roll (degrees, counter-clockwise),
    and its nod and sway (face-box sides, down and to the right)."""

    opening: float
    narrowing: float
    blink: float
    roll: float
    nod: float
    sway: float


def mouth_track(speech: Speech, start_s: float, fps: int, count: int) -> MouthTrack:
    """The mouth's motion for ``count`` frames of a shot whose speech starts ``start_s`` in.

    Each frame hears two frames' worth of sound centred on its middle (Hann window). Loudness is measured in the
    voice band, in dB under the speech's loud syllables: ``GATE_DB`` under them, or under ``SILENCE_DBFS`` (room
    noise, a silent file), the mouth is shut. Syllables are peaks over the quietest moment within 150 ms either
    side, which closes the mouth between them even in fast speech. Every filter is centred (zero phase), so the
    mouth moves with the sound, not after it.
    """
    rate = speech.sample_rate
    window = max(16, round(2 * rate / fps))
    samples = np.pad(np.asarray(speech.samples, dtype=np.float32), window)
    starts = np.round(((np.arange(count) + 0.5) / fps - start_s) * rate).astype(np.int64) - window // 2 + window
    inside = (starts >= 0) & (starts + window <= len(samples))
    segments = np.zeros((count, window), dtype=np.float32)
    segments[inside] = samples[starts[inside, None] + np.arange(window)]
    hann = np.hanning(window).astype(np.float32)
    # Parseval: a band's share of the window's mean square, undoing the Hann window's own loss.
    power = np.abs(np.fft.rfft(segments * hann, axis=1)) ** 2 * 2 / (window * window * float(np.mean(hann**2)))
    frequencies = np.fft.rfftfreq(window, 1 / rate)
    voice = power[:, (frequencies >= 100) & (frequencies < HISS_HZ)].sum(axis=1)
    hiss = power[:, frequencies >= HISS_HZ].sum(axis=1)
    decibels = 10 * np.log10(voice + 1e-12)
    loud = float(np.percentile(decibels[decibels > decibels.max() - GATE_DB - 20], 90))
    level = np.clip((decibels - max(loud - GATE_DB, SILENCE_DBFS)) / GATE_DB, 0, 1)
    reach = max(1, round(0.15 * fps))
    syllables = level - minimum_filter1d(level, 2 * reach + 1, mode="nearest")
    narrowing = np.clip((hiss / (voice + hiss + 1e-12) - 0.3) / 0.4, 0, 1) * (level > 0)
    opening = np.clip(0.6 * level**2 + 0.7 * syllables, 0, 1) * (1 - 0.6 * narrowing)
    smooth = np.array([0.25, 0.5, 0.25])
    return MouthTrack(
        np.convolve(opening, smooth, mode="same"),
        np.convolve(narrowing, smooth, mode="same"),
        np.clip(gaussian_filter1d(level, 0.35 * fps, mode="nearest"), 0, 1),
    )


def poses(track: MouthTrack, fps: int, seed: int) -> list[Pose]:
    """Each frame's pose: the mouth from the speech, blinks every 2 to 4.5 s (seeded), and a slow sway and roll
    of the head that grow while the voice is loud, with a small nod on loud passages."""
    count = len(track.opening)
    rng = np.random.default_rng(seed)
    times = np.arange(count) / fps
    blinks = np.zeros(count)
    moment = rng.uniform(0.4, 2.0)
    while moment < count / fps:
        blinks = np.maximum(blinks, _blink(times - moment))
        moment += rng.uniform(2.0, 4.5)
    phases = rng.uniform(0, 2 * math.pi, 3)
    liveliness = 0.5 + 0.8 * track.energy
    roll = 1.1 * liveliness * np.sin(2 * math.pi * times / 3.9 + phases[0])
    nod = 0.005 * np.sin(2 * math.pi * times / 2.7 + phases[1]) + 0.012 * track.energy
    sway = 0.006 * liveliness * np.sin(2 * math.pi * times / 5.1 + phases[2])
    return [
        Pose(float(o), float(n), float(b), float(r), float(d), float(s))
        for o, n, b, r, d, s in zip(track.opening, track.narrowing, blinks, roll, nod, sway, strict=True)
    ]


def _blink(since: np.ndarray) -> np.ndarray:
    """A blink's closure at ``since`` seconds from its start: shut in 70 ms, held 30 ms, open again in 120 ms."""
    closing = np.clip(since / 0.07, 0, 1)
    opening = np.clip((since - 0.1) / 0.12, 0, 1)
    return np.where(since < 0, 0.0, _smoothstep(np.minimum(closing, 1 - opening), 0, 1))


def _smoothstep(values: np.ndarray, low: float, high: float) -> np.ndarray:
    x = np.clip((values - low) / (high - low), 0, 1)
    return x * x * (3 - 2 * x)


def fit_around(rgb: np.ndarray, face: Face, size: tuple[int, int]) -> tuple[np.ndarray, Face]:
    """The photo scaled to fill ``size`` and cropped around the face (its centre a little above the middle, as
    portraits are framed, as far as the photo reaches); and the face in the result."""
    width, height = size
    image_h, image_w = rgb.shape[:2]
    scale = max(width / image_w, height / image_h)
    view_w, view_h = width / scale, height / scale
    left = max(0.0, min(face.center[0] - view_w / 2, image_w - view_w))
    top = max(0.0, min(face.center[1] - 0.45 * view_h, image_h - view_h))
    box = (left, top, min(image_w, left + view_w), min(image_h, top + view_h))
    fitted = Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS, box=box)
    return np.asarray(fitted), face.scaled(scale, (-left * scale, -top * scale))


def speaking_frame(base: np.ndarray, face: Face, pose: Pose) -> np.ndarray:
    """``base`` with ``face`` in ``pose``: one remap of the head's region, then the mouth's inside and the closed
    lids painted over. The smooth motions (the head's, the jaw's) are computed on a coarse grid; only the band
    where the lips part and the eyes are computed pixel by pixel, so a frame's cost hardly grows with the face."""
    height, width = base.shape[:2]
    rect = _clipped(_around(face, HEAD[0], *HEAD[1]), width, height)
    left, top, right, bottom = rect
    if right - left < 4 or bottom - top < 4:
        return base.copy()
    map_x, map_y = _smooth_maps(face, pose, rect)
    tone = _tone(base, face)
    paints: list[tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]] = []
    if pose.opening > 0.004:
        lips = (face.layout.mouth[0], face.layout.mouth[1] + 0.03)
        band = _clipped(_around(face, lips, OPENING_WIDTH * face.layout.mouth_width / 2 + 0.05, 0.18), right, bottom, left, top)
        paints.append((band, *_parted_lips(map_x, map_y, band, (left, top), face, pose, tone)))
    if pose.blink > 0.02:
        apart = face.layout.right_eye[0] - face.layout.left_eye[0]
        for eye in (face.layout.left_eye, face.layout.right_eye):
            lid = _clipped(_around(face, eye, 0.2 * apart + 0.04, 0.1 * apart + 0.04), right, bottom, left, top)
            paints.append((lid, *_closed_lid(base, map_x, map_y, lid, (left, top), face, eye, pose.blink, tone)))
    region = cv2.remap(base, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    for (x0, y0, x1, y1), colour, alpha in paints:
        if x1 > x0 and y1 > y0:
            part = region[y0 - top : y1 - top, x0 - left : x1 - left].astype(np.float32)
            blended = part + (np.clip(colour, 0, 255) - part) * alpha[..., None]
            region[y0 - top : y1 - top, x0 - left : x1 - left] = np.rint(blended).astype(np.uint8)
    frame = base.copy()
    frame[top:bottom, left:right] = region
    return frame


def _around(face: Face, centre: tuple[float, float], half_u: float, half_v: float) -> tuple[float, float, float, float]:
    """The picture rectangle around the face-unit rectangle ``centre`` +- (``half_u``, ``half_v``), turned with the face."""
    corners = [face.point(centre[0] + du, centre[1] + dv) for du in (-half_u, half_u) for dv in (-half_v, half_v)]
    return min(x for x, _ in corners), min(y for _, y in corners), max(x for x, _ in corners), max(y for _, y in corners)


def _clipped(rect: tuple[float, float, float, float], right: int, bottom: int, left: int = 0, top: int = 0) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = rect
    return max(left, math.floor(x0)), max(top, math.floor(y0)), min(right, math.ceil(x1)), min(bottom, math.ceil(y1))


def _tone(base: np.ndarray, face: Face) -> float:
    """How bright the face is lit, about 1 for an evenly lit face: the painted mouth and lashes follow it."""
    x0, y0, x1, y1 = _clipped(_around(face, (0.0, 0.05), 0.25, 0.25), base.shape[1], base.shape[0])
    if x1 <= x0 or y1 <= y0:
        return 1.0
    return float(np.clip(base[y0:y1:3, x0:x1:3].mean() / 140, 0.5, 1.3))


def _smooth_maps(face: Face, pose: Pose, rect: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Where each pixel of ``rect`` comes from under the smooth motions: the head rolling about the neck, nodding
    and swaying (fully inside an ellipse around the head, fading out around it, so the background barely moves),
    then, in the head's own frame, the jaw and chin dropping and the lips narrowing. Computed on a coarse grid
    whose points sit where ``cv2.resize`` puts them, and scaled up to maps of picture coordinates."""
    left, top, right, bottom = rect
    step = int(np.clip(face.size / 40, 2, 8))
    columns, rows = -(-(right - left) // step), -(-(bottom - top) // step)
    # A coarse point k stands for the pixels around left + (k + 0.5) * step - 0.5, as cv2.resize scales up.
    gx, gy = np.meshgrid(
        left + (np.arange(columns, dtype=np.float32) + 0.5) * step - 0.5, top + (np.arange(rows, dtype=np.float32) + 0.5) * step - 0.5
    )
    (rx, ry), (dx, dy) = face.axes()
    u, v = _local(face, gx, gy)
    (_, centre_v), (half_u, half_v) = HEAD
    weight = 1 - _smoothstep(np.hypot(u / half_u, (v - centre_v) / half_v), 1 / FALLOFF, 1.0)
    pivot_x, pivot_y = face.point(0.0, 0.7)
    shift_x = face.size * (pose.sway * rx + pose.nod * dx)
    shift_y = face.size * (pose.sway * ry + pose.nod * dy)
    # Undo the head's motion: subtract the shift, then turn back by the roll about the neck.
    radians = math.radians(-pose.roll)
    cos, sin = math.cos(radians), math.sin(radians)
    px, py = gx - shift_x - pivot_x, gy - shift_y - pivot_y
    head_x = gx + weight * (pivot_x + px * cos + py * sin - gx)
    head_y = gy + weight * (pivot_y - px * sin + py * cos - gy)
    u, v = _local(face, head_x, head_y)
    du, dv = u - face.layout.mouth[0], v - face.layout.mouth[1]
    parting = _smoothstep(dv, 0, 0.16)
    jaw = JAW_DROP * pose.opening * (1 - _smoothstep(np.abs(du), 0.22, 0.55)) * parting * (1 - _smoothstep(dv, 0.3, 0.65))
    squeeze = (0.25 * pose.narrowing + 0.08 * pose.opening) * np.exp(-((du / 0.3) ** 2) - (dv / 0.14) ** 2)
    source_x, source_y = _picture(face, u + squeeze * du, v - jaw)
    size = (columns * step, rows * step)
    full_x = cv2.resize(source_x - gx, size, interpolation=cv2.INTER_LINEAR)[: bottom - top, : right - left]
    full_y = cv2.resize(source_y - gy, size, interpolation=cv2.INTER_LINEAR)[: bottom - top, : right - left]
    full_x += np.arange(left, right, dtype=np.float32)[None, :]
    full_y += np.arange(top, bottom, dtype=np.float32)[:, None]
    return full_x, full_y


def _local(face: Face, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Face coordinates of picture coordinates, vectorised ``Face.local``."""
    (rx, ry), (dx, dy) = face.axes()
    ox, oy = x - face.center[0], y - face.center[1]
    return (ox * rx + oy * ry) / face.size, (ox * dx + oy * dy) / face.size


def _picture(face: Face, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Picture coordinates of face coordinates, vectorised ``Face.point``."""
    (rx, ry), (dx, dy) = face.axes()
    return (
        (face.center[0] + face.size * (u * rx + v * dx)).astype(np.float32),
        (face.center[1] + face.size * (u * ry + v * dy)).astype(np.float32),
    )


def _parted_lips(
    map_x: np.ndarray,
    map_y: np.ndarray,
    rect: tuple[int, int, int, int],
    origin: tuple[int, int],
    face: Face,
    pose: Pose,
    tone: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Part the lips inside ``rect`` of the maps (in place) and return the mouth's inside: colour and alpha.

    In face units from where the lips meet (``du`` right, ``dv`` down): just below the line the lower lip drops by
    ``drop`` times a lens that is 0 at the mouth's corners (further down, the jaw's smooth drop of
    ``_smooth_maps`` takes over); the upper lip lifts a little. What opens between the lips is the gap: there a
    pixel's source would cross the lips' line, and the painted inside shows instead.
    """
    x0, y0, x1, y1 = (rect[0] - origin[0], rect[1] - origin[1], rect[2] - origin[0], rect[3] - origin[1])
    u, v = _local(face, map_x[y0:y1, x0:x1], map_y[y0:y1, x0:x1])
    du, dv = u - face.layout.mouth[0], v - face.layout.mouth[1]
    half = OPENING_WIDTH * face.layout.mouth_width / 2 * (1 - 0.3 * pose.narrowing)
    drop = JAW_DROP * pose.opening
    lens = np.clip(1 - (du / half) ** 2, 0, 1) ** 0.7
    lower = drop * lens * (1 - _smoothstep(dv, 0, 0.16))
    lift = 0.3 * drop * lens * (1 - _smoothstep(-dv, 0, 0.12))
    shift = np.where(dv >= 0, lower, -lift)
    map_x[y0:y1, x0:x1], map_y[y0:y1, x0:x1] = _picture(face, u, v - shift)
    inside = np.where(dv >= 0, shift - dv, dv - shift)
    alpha = np.clip(inside * face.size, 0, 1).astype(np.float32)
    colour = _mouth_inside(du / half, dv + lift, np.maximum(drop * lens + lift, 1e-6), face.size, not face.layout.teeth)
    return colour * tone, alpha


def _mouth_inside(across: np.ndarray, depth: np.ndarray, gap: np.ndarray, size: float, paint_teeth: bool) -> np.ndarray:
    """The inside of an open mouth: dark, darkest in the middle under the upper lip, the inner lips' rim a little
    lighter, a hint of tongue low down, and upper teeth under the upper lip when the photo shows none of its own.

    ``across`` is -1..1 from corner to corner, ``depth`` the distance under the upper lip and ``gap`` the opening's
    height there (face units)."""
    centre = 1 - np.clip(np.abs(across), 0, 1) ** 2
    fraction = np.clip(depth / gap, 0, 1)
    rim = np.exp(-np.minimum(depth, gap - depth).clip(0) / 0.006)
    colour = np.array([70, 24, 28], np.float32) + (centre * (1 - 0.5 * fraction))[..., None] * np.array([-48, -18, -20], np.float32)
    colour += (np.array([110, 45, 50], np.float32) - colour) * (0.5 * rim)[..., None]
    tongue = _smoothstep(fraction, 0.55, 0.9) * (1 - _smoothstep(np.abs(across), 0.35, 0.75)) * 0.6
    colour += (np.array([125, 52, 58], np.float32) - colour) * tongue[..., None]
    if paint_teeth:
        height = np.minimum(0.022, 0.4 * gap)
        showing = np.clip((height - depth) * size / 1.5, 0, 1) * (1 - _smoothstep(np.abs(across), 0.45, 0.8))
        white = np.array([215, 210, 198], np.float32) * (0.7 + 0.3 * centre[..., None])
        colour += (white - colour) * showing[..., None]
    return colour


def _closed_lid(
    base: np.ndarray,
    map_x: np.ndarray,
    map_y: np.ndarray,
    rect: tuple[int, int, int, int],
    origin: tuple[int, int],
    face: Face,
    eye: tuple[float, float],
    blink: float,
    tone: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The upper lid coming down over an eye inside ``rect``: its colour and alpha.

    The lid is the skin just above the eye (sampled column by column, so its shading follows the face), darker
    towards its edge, with a lash line there; it covers an ellipse around the eye from the top down to
    ``blink`` of the way to the lower lid. Painted rather than warped: a warp of the eye region drags the brow."""
    x0, y0, x1, y1 = (rect[0] - origin[0], rect[1] - origin[1], rect[2] - origin[0], rect[3] - origin[1])
    u, v = _local(face, map_x[y0:y1, x0:x1], map_y[y0:y1, x0:x1])
    du, dv = u - eye[0], v - eye[1]
    apart = face.layout.right_eye[0] - face.layout.left_eye[0]
    half_width, half_height = 0.2 * apart, 0.065 * apart
    edge = -half_height + 1.75 * half_height * blink
    above = [cv2.remap(base, *_picture(face, u, np.full_like(v, eye[1] - lift * apart)), cv2.INTER_LINEAR) for lift in (0.1, 0.12)]
    blur = max(1, round(0.02 * face.size)) * 2 + 1
    skin = cv2.blur((above[0].astype(np.float32) + above[1]) / 2, (blur, 1))
    ellipse = (du / half_width) ** 2 + (dv / half_height) ** 2
    within = (1 - _smoothstep(ellipse, 0.75, 1.15)) * np.clip((edge - dv) * face.size + 0.5, 0, 1)
    shade = 1 - 0.18 * _smoothstep(dv, edge - 0.04, edge)
    lashes = np.exp(-(((dv - edge) / 0.007) ** 2)) * (1 - _smoothstep(ellipse, 0.6, 1.0)) * _smoothstep(np.asarray(blink), 0.3, 0.9)
    colour = skin * shade[..., None]
    colour += (np.array([45, 32, 30], np.float32) * tone - colour) * (0.8 * lashes[..., None])
    return colour, np.clip(np.maximum(within * min(1.0, 3 * blink), 0.8 * lashes), 0, 1).astype(np.float32)


def _fitted(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A clip's frame at the shot's size (the pipeline already sends that size; other sizes are cropped to fill)."""
    if frame.shape[1] == size[0] and frame.shape[0] == size[1]:
        return np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
    image = Image.fromarray(np.asarray(frame[..., :3], dtype=np.uint8))
    scale = max(size[0] / image.width, size[1] / image.height)
    view_w, view_h = size[0] / scale, size[1] / scale
    left, top = max(0.0, (image.width - view_w) / 2), max(0.0, (image.height - view_h) / 2)
    box = (left, top, min(image.width, left + view_w), min(image.height, top + view_h))
    return np.asarray(image.resize(size, Image.Resampling.BILINEAR, box=box))


def photo_faces(path: Path, size: tuple[int, int], finder: FaceFinder) -> Iterator[tuple[np.ndarray, Face]]:
    """The photo fitted around its speaking face, for every frame (``FaceProblem`` when it has none)."""
    rgb = read_photo(path)
    return itertools.repeat(fit_around(rgb, finder.speaking_face(rgb).face, size))


def tracked_faces(frames: Iterable[np.ndarray], size: tuple[int, int], count: int, finder: FaceFinder) -> Iterator[tuple[np.ndarray, Face]]:
    """``count`` frames of a clip, each with its face: found in the first frame, then found again near where it
    was every ``KEYFRAME_EVERY`` frames, smoothed (Haar boxes jitter by a few per cent) and followed linearly in
    between, so the mouth stays on the lips without shaking. A face lost for a moment is held where it was; a
    clip shorter than the shot holds its last frame."""
    source = iter(frames)
    first = next(source, None)
    if first is None:
        raise GenerationError("The talking shot's clip has no frames.")
    last = _fitted(first, size)
    try:
        face = finder.speaking_face(last).face
    except FaceProblem as error:
        raise FaceProblem(NO_FACE_IN_CLIP) from error
    yield last, face
    pending: list[np.ndarray] = []
    for index in range(1, count):
        frame = next(source, None)
        last = last if frame is None else _fitted(frame, size)
        pending.append(last)
        if len(pending) == KEYFRAME_EVERY or index == count - 1:
            found = finder.follow(last, face)
            target = face if found is None else _moved_towards(face, found, 0.85, 0.4)
            for step, held in enumerate(pending, start=1):
                yield held, _moved_towards(face, target, step / len(pending), step / len(pending))
            face, pending = target, []


def _moved_towards(face: Face, target: Face, along: float, grow: float) -> Face:
    """``face`` moved ``along`` of the way to ``target``'s centre and ``grow`` of the way to its size."""
    (x, y), (tx, ty) = face.center, target.center
    return replace(face, center=(x + along * (tx - x), y + along * (ty - y)), size=face.size + grow * (target.size - face.size))


def mouth_darkness(frames: Iterable[np.ndarray], face: Face) -> np.ndarray:
    """How dark ``face``'s mouth is in each frame: 255 minus the mean brightness of a box over the lips, as wide as
    the mouth and reaching to the dropped lower lip (an open mouth is dark)."""
    lips = (face.layout.mouth[0], face.layout.mouth[1] + 0.04)
    x0, y0, x1, y1 = (max(0, round(edge)) for edge in _around(face, lips, face.layout.mouth_width / 2, 0.08))
    return np.array([255 - float(frame[y0:y1, x0:x1].mean()) for frame in frames])


def frame_loudness(speech: Speech, start_s: float, fps: int, count: int) -> np.ndarray:
    """The speech's RMS during each of ``count`` frames of a shot in which it starts ``start_s`` in."""
    rate = speech.sample_rate
    edges = np.round(np.arange(count + 1) * rate / fps).astype(np.int64)
    shot = np.zeros(edges[-1], np.float32)
    start = round(start_s * rate)
    heard = np.asarray(speech.samples, np.float32)[: max(0, len(shot) - start)]
    shot[start : start + len(heard)] = heard
    return np.sqrt([float(np.mean(shot[a:b] ** 2)) for a, b in itertools.pairwise(edges)])


def lip_sync(
    frames: Sequence[np.ndarray], speech: Speech, start_s: float, fps: int, lags: Iterable[int] = range(-3, 4)
) -> dict[int, float]:
    """How well a render's mouth follows its speech, measured from the frames alone: for each lag, the correlation
    of the mouth's darkness (the face found in the first frame) with the speech's loudness ``lag`` frames later.
    In sync, lag 0 scores best and clearly above lags of two or three frames."""
    darkness = mouth_darkness(frames, FaceFinder().speaking_face(frames[0]).face)
    loudness = frame_loudness(speech, start_s, fps, len(frames))
    count = len(frames)
    return {
        lag: float(np.corrcoef(darkness[max(0, -lag) : count - max(0, lag)], loudness[max(0, lag) : count - max(0, -lag)])[0, 1])
        for lag in lags
    }


class TalkingFaceBackend:
    """Draft talking portraits on a CPU: the face of the shot's photo (or clip) speaks its speech, lips in sync.

    Any size and length; ``FaceProblem`` when the photo or the clip's first frame has no face it can use.
    """

    name = "talking-face"
    version = ALGORITHM
    #: A draft of the performance, not the finished look: composing tags its shots.
    draft = True

    @property
    def model_identity(self) -> str:
        """What the frames depend on besides this code (part of every clip's cache key): the cascades that find faces."""
        return f"talking-face algorithm {ALGORITHM}; {cascade_identity()}"

    def render(self, request: TalkingRequest, progress: Progress) -> Iterator[np.ndarray]:
        size = (request.width, request.height)
        finder = FaceFinder()
        if request.face_image is not None:
            faces = photo_faces(request.face_image, size, finder)
        elif request.base_frames is not None:
            faces = tracked_faces(request.base_frames, size, request.num_frames, finder)
        else:
            raise GenerationError("A talking shot needs a photo of a face or a clip with one.")
        track = mouth_track(request.speech, request.speech_start_s, request.fps, request.num_frames)
        for index, ((base, face), pose) in enumerate(zip(faces, poses(track, request.fps, request.seed), strict=False)):
            progress(index / request.num_frames)
            yield speaking_frame(base, face, pose)
        progress(1.0)
