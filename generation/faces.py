"""Faces in a photo or a frame: which face will speak, and a refusal people can act on when none can.

The planner checks an uploaded photo here before anything is stored, so a talking shot whose photo has no
usable face is refused with a sentence that says what photo works; the talking-portrait renderer
(``talking_face.py``) finds and tracks the face it animates. OpenCV's Haar cascades ship inside the
``opencv-python-headless`` 4.x wheel, so this runs on any CPU and downloads nothing. A frontal cascade sees
faces within about 15 degrees of upright, so the picture is also searched turned both ways (a head tilted
30 degrees is found); the eye cascade then gives the exact tilt and checks that a weak detection is a face.
Where the lips meet is the darkest row in the lower face, which places the mouth better than box geometry.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from reelwright.errors import BadImage, FaceProblem

Point = tuple[float, float]

#: The smallest face (box side in the photo's pixels) that is made to speak: below it the mouth is a few pixels.
MIN_FACE_PX = 64
#: Faces are searched on a copy whose longer side is at most this (Haar cost grows with the pixel count).
ANALYSIS_SIDE = 640
#: The turns (degrees, counter-clockwise) of the copies searched: the frontal cascade covers about 15 degrees
#: either side of each, so heads tilted up to about 40 degrees are found.
TURNS = (0.0, -25.0, 25.0)
#: Cascade votes (overlapping detections) that make a face certain without its eyes; a weaker one needs two eyes.
SURE_VOTES = 10
WEAK_VOTES = 4
#: Where the opencv-python wheels keep their Haar cascades (``cv2.data.haarcascades``, which has no type stubs).
CASCADES = Path(cv2.__file__).parent / "data"
FACE_CASCADE = "haarcascade_frontalface_alt2.xml"
EYE_CASCADE = "haarcascade_eye.xml"
#: Faces within this share of the largest one's size count as equally large; then the most central speaks.
SIZE_TIE = 0.12
NO_FACE = (
    "I couldn't find a face in the photo: use one where a face looks at the camera, well lit, not covered, "
    f"and at least {MIN_FACE_PX} pixels wide."
)


@dataclass(frozen=True)
class Layout:
    """Where a face's features are, in face units: offsets from the centre of the face box in box sides, in the
    upright face (``u`` to the right of the picture, ``v`` down). The defaults are where the frontal cascade's box
    puts an average face's; detection replaces them with what it measured."""

    left_eye: Point = (-0.19, -0.12)
    right_eye: Point = (0.19, -0.12)
    mouth: Point = (0.0, 0.28)
    mouth_width: float = 0.36
    #: The photo shows teeth between the parted lips (a smile): an opened mouth needs none painted.
    teeth: bool = False


@dataclass(frozen=True)
class Face:
    """A face in a picture: the centre and side of its square box (pixels), its tilt and its features.

    ``angle`` is the head's roll in degrees, counter-clockwise as seen; the box is square in the upright face.
    ``confidence`` in [0, 1] grows with the cascade's votes and with eyes found.
    """

    center: Point
    size: float
    angle: float
    confidence: float
    layout: Layout = field(default_factory=Layout)

    def axes(self) -> tuple[Point, Point]:
        """The face's right and down directions in the picture, as unit vectors."""
        radians = math.radians(self.angle)
        return (math.cos(radians), -math.sin(radians)), (math.sin(radians), math.cos(radians))

    def point(self, u: float, v: float) -> Point:
        """The picture position of face coordinates (``u``, ``v``) (box sides from the box centre, upright)."""
        (rx, ry), (dx, dy) = self.axes()
        return self.center[0] + self.size * (u * rx + v * dx), self.center[1] + self.size * (u * ry + v * dy)

    def local(self, x: float, y: float) -> Point:
        """The face coordinates of a picture position: ``point``'s inverse."""
        (rx, ry), (dx, dy) = self.axes()
        ox, oy = x - self.center[0], y - self.center[1]
        return (ox * rx + oy * ry) / self.size, (ox * dx + oy * dy) / self.size

    @property
    def eyes(self) -> tuple[Point, Point]:
        """The eye centres in the picture, the one on the picture's left first."""
        return self.point(*self.layout.left_eye), self.point(*self.layout.right_eye)

    @property
    def mouth(self) -> Point:
        """The middle of the line where the lips meet, in the picture."""
        return self.point(*self.layout.mouth)

    @property
    def mouth_width(self) -> float:
        return self.layout.mouth_width * self.size

    @property
    def box(self) -> tuple[int, int, int, int]:
        """The upright rectangle (left, top, right, bottom) around the (maybe tilted) face box, in pixels."""
        corners = [self.point(u, v) for u in (-0.5, 0.5) for v in (-0.5, 0.5)]
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        return math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys))

    def scaled(self, scale: float, offset: Point = (0.0, 0.0)) -> Face:
        """The same face in a picture scaled by ``scale`` and then shifted by ``offset`` (a resize and crop)."""
        x, y = self.center
        return replace(self, center=(x * scale + offset[0], y * scale + offset[1]), size=self.size * scale)


@dataclass(frozen=True)
class SpeakingFace:
    """The face that speaks, every face found (the speaker first), and why it was chosen."""

    face: Face
    faces: tuple[Face, ...]
    chosen_by: Literal["only", "largest", "most central"]

    @property
    def note(self) -> str | None:
        """What to tell the person when there was a choice ("The largest of 3 faces speaks.")."""
        if self.chosen_by == "only":
            return None
        return f"The {self.chosen_by} of {len(self.faces)} faces speaks."


def read_photo(path: Path) -> np.ndarray:
    """A photo as RGB uint8, turned upright by its EXIF orientation (phones store portraits sideways)."""
    try:
        with Image.open(path) as image:
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except (OSError, UnidentifiedImageError) as error:
        raise BadImage(f"The photo {path.name} could not be read as an image.") from error


@cache
def cascade_identity() -> str:
    """What detection depends on besides this code: OpenCV's version and the cascade files (part of cache keys;
    read once a process: every talking shot's clip key asks for it)."""
    digest = hashlib.sha256()
    for name in (FACE_CASCADE, EYE_CASCADE):
        digest.update((CASCADES / name).read_bytes())
    return f"opencv {cv2.__version__}; cascades {digest.hexdigest()[:12]}"


class FaceFinder:
    """Haar face and eye cascades, loaded once per finder. A finder is not shared between threads (OpenCV's
    cascades are not safe to share), so each render makes its own."""

    def __init__(self) -> None:
        self.face_cascade = _cascade(FACE_CASCADE)
        self.eye_cascade = _cascade(EYE_CASCADE)

    def find(self, rgb: np.ndarray) -> list[Face]:
        """Every face in ``rgb``, surest first, each with its tilt, eyes and mouth measured."""
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        scale = min(1.0, ANALYSIS_SIDE / max(gray.shape))
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
        small = cv2.equalizeHist(small)
        candidates = [face for turn in TURNS for face in self._detect_turned(small, turn)]
        faces = [self._measured(gray, face.scaled(1 / scale)) for face in _distinct(candidates)]
        sure = [face for face in faces if face.confidence > 0]
        return sorted(sure, key=lambda face: -face.confidence)

    def speaking_face(self, rgb: np.ndarray) -> SpeakingFace:
        """The face to animate: the largest usable one (the most central of equally large ones).

        Raises ``FaceProblem`` when there is none, or when every face is smaller than ``MIN_FACE_PX``.
        """
        faces = self.find(rgb)
        if not faces:
            raise FaceProblem(NO_FACE)
        usable = [face for face in faces if face.size >= MIN_FACE_PX]
        if not usable:
            largest = max(face.size for face in faces)
            raise FaceProblem(
                f"The face in the photo is too small to make it speak ({largest:.0f} pixels wide): use a photo or a closer "
                f"crop where the face is at least {MIN_FACE_PX} pixels wide."
            )
        return choose_speaker(usable, (rgb.shape[1], rgb.shape[0]))

    def follow(self, rgb: np.ndarray, face: Face) -> Face | None:
        """``face`` found again near where it was (the next frames of a clip): its new centre and size with the same
        tilt and features, or None when it is not there. Searches a small upright window, so it is cheap."""
        work = 96.0  # the face's side in the window searched, pixels
        side = int(work * 3)
        window = _upright_patch(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), face, side, span=3.0)
        found = self.face_cascade.detectMultiScale(
            cv2.equalizeHist(window),
            scaleFactor=1.1,
            minNeighbors=WEAK_VOTES,
            minSize=(int(work * 0.6),) * 2,
            maxSize=(int(work * 1.6),) * 2,
        )
        if len(found) == 0:
            return None
        x, y, w, h = min(found, key=lambda box: abs(box[0] + box[2] / 2 - side / 2) + abs(box[1] + box[3] / 2 - side / 2))
        unit = face.size * 3.0 / side  # picture pixels per window pixel
        center = face.point((x + w / 2 - side / 2) * unit / face.size, (y + h / 2 - side / 2) * unit / face.size)
        return replace(face, center=center, size=w * unit)

    def _detect_turned(self, gray: np.ndarray, turn: float) -> list[Face]:
        """Faces upright in ``gray`` turned by ``turn`` degrees, in ``gray``'s own coordinates; until ``_measured``,
        a face's ``confidence`` holds the cascade's votes for it."""
        turned, matrix = _turned(gray, turn)
        found, votes = self.face_cascade.detectMultiScale2(turned, scaleFactor=1.1, minNeighbors=WEAK_VOTES, minSize=(24, 24))
        back = cv2.invertAffineTransform(matrix)
        faces = []
        for (x, y, w, h), count in zip(found, votes, strict=True):
            cx, cy = back @ np.array([x + w / 2, y + h / 2, 1.0])
            faces.append(Face((float(cx), float(cy)), float(w), -turn, float(count)))
        return faces

    def _measured(self, gray: np.ndarray, face: Face) -> Face:
        """``face`` with its exact tilt (from its eyes), where its eyes and mouth are, and a confidence in [0, 1]
        (0: too few votes and no eyes, so not taken for a face)."""
        votes = face.confidence
        eyes = self._eyes(gray, face)
        if eyes is None:
            if votes < SURE_VOTES:
                return replace(face, confidence=0.0)
            layout = Layout()
        else:
            left, right = face.point(*eyes[0]), face.point(*eyes[1])
            face = replace(face, angle=-math.degrees(math.atan2(right[1] - left[1], right[0] - left[0])))
            left_eye, right_eye = _rounded(face.local(*left)), _rounded(face.local(*right))
            apart = right_eye[0] - left_eye[0]
            layout = Layout(
                left_eye,
                right_eye,
                _rounded(((left_eye[0] + right_eye[0]) / 2, (left_eye[1] + right_eye[1]) / 2 + 1.05 * apart)),
                round(0.95 * apart, 4),
            )
        parting, teeth = _lips_line(gray, replace(face, layout=layout))
        layout = replace(layout, mouth=(layout.mouth[0], parting), teeth=teeth)
        confidence = min(1.0, votes / (2 * SURE_VOTES)) * (1.0 if eyes is not None else 0.7)
        return replace(face, confidence=max(confidence, 0.05), layout=layout)

    def _eyes(self, gray: np.ndarray, face: Face) -> tuple[Point, Point] | None:
        """The two eyes in face coordinates (picture's left first), or None when the eye cascade finds no
        plausible pair: one each side, level within 20 degrees, 0.25 to 0.6 box sides apart."""
        side = 160
        patch = _upright_patch(gray, face, side, span=1.0)
        upper = cv2.equalizeHist(patch[: side * 11 // 20])
        found = self.eye_cascade.detectMultiScale(
            upper, scaleFactor=1.1, minNeighbors=3, minSize=(side // 10,) * 2, maxSize=(side // 3,) * 2
        )
        centres = [((x + w / 2) / side - 0.5, (y + h / 2) / side - 0.5) for x, y, w, h in found]
        pairs = [
            (a, b)
            for a in centres
            for b in centres
            if a[0] < 0 < b[0] and 0.25 <= b[0] - a[0] <= 0.6 and abs(b[1] - a[1]) <= math.tan(math.radians(20)) * (b[0] - a[0])
        ]
        if not pairs:
            return None
        return min(pairs, key=lambda pair: abs(pair[0][1] + 0.12) + abs(pair[1][1] + 0.12) + abs(pair[0][0] + pair[1][0]))


def choose_speaker(faces: list[Face], size: tuple[int, int]) -> SpeakingFace:
    """The largest face speaks; of faces about as large (within ``SIZE_TIE``), the one nearest the picture's
    centre, and of those at the same distance the leftmost, so the choice never depends on detection order."""
    width, height = size
    largest = max(face.size for face in faces)

    def off_centre(face: Face) -> tuple[float, float, float]:
        return math.hypot(face.center[0] - width / 2, face.center[1] - height / 2), face.center[0], face.center[1]

    contenders = sorted((face for face in faces if face.size >= largest * (1 - SIZE_TIE)), key=off_centre)
    speaker = contenders[0]
    rest = sorted((face for face in faces if face is not speaker), key=lambda face: (-face.size, *off_centre(face)))
    chosen_by: Literal["only", "largest", "most central"] = (
        "only" if len(faces) == 1 else "largest" if len(contenders) == 1 else "most central"
    )
    return SpeakingFace(speaker, (speaker, *rest), chosen_by)


def find_faces(rgb: np.ndarray) -> list[Face]:
    """Every face in an RGB picture, surest first (a new ``FaceFinder``: for one picture at plan time)."""
    return FaceFinder().find(rgb)


def speaking_face(rgb: np.ndarray) -> SpeakingFace:
    """The face of an RGB picture that will speak, or ``FaceProblem`` saying what photo works."""
    return FaceFinder().speaking_face(rgb)


def _cascade(name: str) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(str(CASCADES / name))
    if cascade.empty():
        raise RuntimeError(f"OpenCV's {name} is missing: opencv-python-headless 4.x ships it (5.0 does not).")
    return cascade


def _turned(gray: np.ndarray, turn: float) -> tuple[np.ndarray, np.ndarray]:
    """``gray`` turned ``turn`` degrees counter-clockwise on a canvas large enough to keep its corners, and the
    affine matrix from ``gray``'s coordinates to the canvas's."""
    height, width = gray.shape
    if turn == 0:
        return gray, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), turn, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(width * cos + height * sin), int(width * sin + height * cos)
    matrix[:, 2] += (new_w / 2 - width / 2, new_h / 2 - height / 2)
    return cv2.warpAffine(gray, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), matrix


def _upright_patch(gray: np.ndarray, face: Face, side: int, span: float) -> np.ndarray:
    """A ``side`` x ``side`` picture of the upright face, ``span`` box sides across, centred on the face box."""
    (rx, ry), (dx, dy) = face.axes()
    unit = face.size * span / side
    cx, cy = face.center
    # From patch (column, row) to picture (x, y); WARP_INVERSE_MAP takes this direction.
    matrix = np.array(
        [
            [rx * unit, dx * unit, cx - (rx + dx) * unit * side / 2],
            [ry * unit, dy * unit, cy - (ry + dy) * unit * side / 2],
        ]
    )
    return cv2.warpAffine(gray, matrix, (side, side), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)


def _lips_line(gray: np.ndarray, face: Face) -> tuple[float, bool]:
    """Where the lips part (``v``, face units), and whether the photo shows teeth there.

    The lips meet at the darkest row across the middle of the mouth, searched within 0.1 box sides of where the
    layout expects it (a shadow under the nose or the chin lies further away). In a smile that darkest row is
    the upper lip's shadow over the teeth: when a band brighter than the face lies under it, the mouth parts at
    the band's lower edge, so the upper teeth stay with the upper lip and the jaw drops below them.
    """
    side = 200
    patch = _upright_patch(gray, face, side, span=1.0).astype(np.float32)
    u, v = face.layout.mouth
    half = face.layout.mouth_width / 4
    columns = slice(int((u - half + 0.5) * side), int((u + half + 0.5) * side) + 1)
    top, bottom = int((v - 0.1 + 0.5) * side), int((v + 0.1 + 0.5) * side)
    rows = cv2.GaussianBlur(patch[top:bottom, columns].mean(axis=1, keepdims=True), (1, 5), 0)[:, 0]
    darkest = int(np.argmin(rows))
    skin = float(np.median(patch[int(0.45 * side) : int(0.75 * side), int(0.2 * side) : int(0.8 * side)]))
    bright = rows[darkest:] > skin + 12
    start = int(np.argmax(bright)) if bright.any() else len(bright)
    end = start + (int(np.argmin(bright[start:])) if not bright[start:].all() else len(bright) - start)
    teeth = start <= 0.04 * side and end - start >= 0.015 * side and end < len(bright)
    parting = darkest + end if teeth else darkest
    return round((top + parting + 0.5) / side - 0.5, 4), bool(teeth)


def _rounded(point: Point) -> Point:
    return round(float(point[0]), 4), round(float(point[1]), 4)


def _distinct(faces: list[Face]) -> list[Face]:
    """One detection per face: the one with the most votes among those whose centres are within half a box."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda face: -face.confidence):
        if all(math.dist(face.center, other.center) > 0.5 * max(face.size, other.size) for other in kept):
            kept.append(face)
    return kept
