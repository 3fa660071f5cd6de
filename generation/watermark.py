"""An invisible, keyed watermark that carries project and version through re-encodes, resizes and crops.

Why not ``invisible-watermark``: its default method decodes as zeros after any H.264 encode, and the
method that survives costs ~270 ms per 720p frame (measured, ../shared/notes/marks-and-voices.md).

Embedding adds a faint keyed +-1 pattern of coarse cells to the luma of every frame (under 1 ms per 720p
frame: saturating uint8 arithmetic on cached planes). Coarse cells are what H.264, downscaling and blur
keep, and the pattern is the same in every frame, so frame-rate changes and cuts do not touch it.

Crops are what a fixed grid cannot survive: a 3% crop moves every cell. So the cells are frame-relative
(GRID x GRID over any frame size: a resized copy keeps them in place) and the pattern is one TILE x TILE
tile of cells repeated over the frame: a crop becomes a cyclic shift of the tile plus a small change of
scale. Detection works on ONE image, the high-passed luma averaged over the sampled frames (the mark is
static, the content moves and averages out), so searching the geometry is cheap: for each per-axis scale
(crops of up to MAX_CROP) and sub-cell phase it folds the residual into one tile and finds the shift by
FFT cross-correlation with each bit's cells (score: the sum over bits of |correlation|, which needs no
payload). Residuals larger than the mark can make are the picture's own edges and must vote nothing —
static captions, labels and horizons would otherwise outvote the mark in the fold — and there are two
ways to leave them out, each right for different video: per frame (edges that move, as in a pan, are
dropped where they are) and after averaging (texture that changes every frame — grain, water, foliage,
a diffusion model's noise — is larger than the mark in every frame, so only its average, which sinks
below the mark, can be kept; each frame is clipped to FRAME_CLIP first so no single edge dominates).
Both averages are made in one pass and each is read at its best geometry. Texture larger than the mark
everywhere that also stays put (full-range noise that does not change) leaves nothing to read.

The payload is the project id (32 bits), the version (12 bits) and a tag (20 bits) = HMAC-SHA256 of both
under the key, which proves the mark was made with our key. Only the best geometry of each of the two
readings is decoded, with its CHASE_BITS weakest bits also tried flipped, so a tag is checked at most 16
times: a video we did not mark, or marked under another key, decodes as a mark about 15 times in a million
(and must first stand out by MIN_CONFIDENCE, which no unmarked clip of the bench has). bench/bench_watermark.py measures all of this.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image

#: Cells across the frame on each axis (frame-relative, so a resized copy keeps them in place).
GRID = 64
#: The pattern is a TILE x TILE tile of cells repeated over the frame: a crop is a cyclic shift of it.
TILE = 16
PROJECT_BITS = 32
VERSION_BITS = 12
TAG_BITS = 20
TOTAL_BITS = PROJECT_BITS + VERSION_BITS + TAG_BITS
STRENGTH = 2.5
#: Detection works on the frame resized to SAMPLES_PER_CELL samples per cell on each axis.
SAMPLES_PER_CELL = 4
WORK = GRID * SAMPLES_PER_CELL
#: Width of the local mean that the high-pass subtracts, in working samples (three cells).
HIGH_PASS = 3 * SAMPLES_PER_CELL + 1
#: A residual larger than this (in luma levels) is an edge of the picture, not the mark (at most ~3): it
#: votes nothing. Static captions, labels and horizons would otherwise outvote the mark in the folded tile.
OUTLIER = 3.0
#: Largest residual one frame may add to the average (luma levels): bounds moving edges before averaging.
FRAME_CLIP = 6.0
#: Crops of up to this fraction per axis are searched for, in steps small enough to keep cells aligned.
MAX_CROP = 0.08
SCALE_STEP = 0.008
PHASES = 4
#: The weakest bits of a reading tried flipped when its tag does not match: 2 ** CHASE_BITS tag checks a reading.
CHASE_BITS = 3
#: Peak score, in standard deviations of the scores of all geometries, below which we say "no mark".
MIN_CONFIDENCE = 6.0

_PROJECT_ID = re.compile(r"[0-9a-f]{8}")


@dataclass(frozen=True)
class Mark:
    """What the watermark carries: the project (``secrets.token_hex(4)``) and its version."""

    project_id: str
    version: int

    def __post_init__(self) -> None:
        if not isinstance(self.project_id, str) or not _PROJECT_ID.fullmatch(self.project_id):
            raise ValueError(f"project id {self.project_id!r} is not 8 lowercase hex digits")
        if not isinstance(self.version, int) or not 1 <= self.version < 2**VERSION_BITS:
            raise ValueError(f"version {self.version!r} does not fit in {VERSION_BITS} bits (1..{2**VERSION_BITS - 1})")


@dataclass(frozen=True)
class Detection:
    """What a decode found. ``mark`` is set only when the decoded tag matches the key's."""

    mark: Mark | None
    confidence: float
    frames_used: int

    @property
    def found(self) -> bool:
        return self.mark is not None


@dataclass(frozen=True)
class Reading:
    """What one geometry of a video says, before the tag is checked (sign = bit, size = evidence)."""

    soft_bits: np.ndarray
    confidence: float
    frames_used: int


#: (ceiling, raise_by, lower_by): what embedding one mark at one frame size adds and clips.
Planes = tuple[np.ndarray, np.ndarray, np.ndarray]
#: Marks x frame sizes kept ready: a few concurrent renders, each at its own size.
PLANES_CACHED = 8


def fold_matrices(scales: np.ndarray, phases: np.ndarray) -> np.ndarray:
    """(len(scales) * len(phases), TILE, WORK) weights that fold working samples of one axis into tile cells.

    Under a hypothesis (scale s, phase p), working sample x lies at cell coordinate (x + 0.5) * s /
    SAMPLES_PER_CELL + p of the marked frame. Its weight to a cell is the tent that the bilinear pattern
    has around the cell's centre (the matched filter), taken modulo TILE.
    """
    centres = (np.arange(WORK) + 0.5) / SAMPLES_PER_CELL
    folds = np.zeros((len(scales), len(phases), TILE, WORK), dtype=np.float32)
    for i, scale in enumerate(scales):
        for j, phase in enumerate(phases):
            position = centres * scale + phase - 0.5
            lower = np.floor(position)
            upper_weight = position - lower
            cells = lower.astype(int) % TILE
            np.add.at(folds[i, j], (cells, np.arange(WORK)), 1 - upper_weight)
            np.add.at(folds[i, j], ((cells + 1) % TILE, np.arange(WORK)), upper_weight)
    return folds.reshape(-1, TILE, WORK)


def box_mean(image: np.ndarray, width: int) -> np.ndarray:
    """Mean over a width x width window around each sample (edges repeated), by summed-area table."""
    half = width // 2
    table = np.pad(image.astype(np.float64), ((half + 1, half), (half + 1, half)), mode="edge").cumsum(0).cumsum(1)
    window = table[width:, width:] - table[:-width, width:] - table[width:, :-width] + table[:-width, :-width]
    return (window / (width * width)).astype(np.float32)


class Watermarker:
    """Embeds and detects marks for one key.

    Shared by every render of a process, so it holds no per-render state: the planes that carry a
    mark are computed per (mark, frame size) and kept in a small cache behind a lock, and each call
    uses the planes of its own mark, whatever other renders do at the same time. Everything else it
    holds is computed once in ``__init__`` and only read afterwards.
    """

    def __init__(self, key: str, strength: float = STRENGTH) -> None:
        self._key = hashlib.sha256(key.encode()).digest()
        layout = hmac.new(self._key, b"reelwright watermark layout", hashlib.sha256).digest()
        rng = np.random.default_rng(int.from_bytes(layout[:8], "big"))
        self._chips = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(TILE, TILE))
        self._bit_of_cell = rng.permutation(np.arange(TILE * TILE) % TOTAL_BITS).reshape(TILE, TILE)
        self._strength = strength
        self._planes: OrderedDict[tuple[Mark, int, int], Planes] = OrderedDict()
        self._lock = threading.Lock()
        # Detection: each bit's chips (zero elsewhere) in the frequency domain, and the fold of every
        # per-axis geometry. Scales run from the whole frame (1.0) down to a crop of MAX_CROP.
        masks = np.stack([np.where(self._bit_of_cell == bit, self._chips, 0) for bit in range(TOTAL_BITS)])
        self._mask_spectra = np.fft.rfft2(masks).astype(np.complex64)
        scales = 1 - np.arange(0, MAX_CROP + SCALE_STEP / 2, SCALE_STEP)
        self._folds = fold_matrices(scales, np.arange(PHASES) / PHASES)

    def tag(self, project: bytes, version: int) -> int:
        digest = hmac.new(self._key, b"mark" + project + version.to_bytes(2, "big"), hashlib.sha256).digest()
        return int.from_bytes(digest[:4], "big") >> (32 - TAG_BITS)

    def bits_for(self, mark: Mark) -> np.ndarray:
        """The TOTAL_BITS payload bits (0/1) of ``mark``: project, version, tag."""
        project = bytes.fromhex(mark.project_id)
        value = int.from_bytes(project, "big")
        value = (value << VERSION_BITS | mark.version) << TAG_BITS | self.tag(project, mark.version)
        return np.unpackbits(np.frombuffer(value.to_bytes(TOTAL_BITS // 8, "big"), dtype=np.uint8))

    def mark_from(self, bits: np.ndarray) -> Mark | None:
        """The mark that ``bits`` carry, or None when their tag is not the key's tag of their payload."""
        value = int.from_bytes(np.packbits(bits).tobytes(), "big")
        tag = value & (2**TAG_BITS - 1)
        version = value >> TAG_BITS & (2**VERSION_BITS - 1)
        project = (value >> (TAG_BITS + VERSION_BITS)).to_bytes(PROJECT_BITS // 8, "big")
        if version == 0 or not hmac.compare_digest(tag.to_bytes(3, "big"), self.tag(project, version).to_bytes(3, "big")):
            return None
        return Mark(project.hex(), version)

    def pattern(self, mark: Mark, width: int, height: int) -> np.ndarray:
        """The (H, W, 1) int16 luma offsets that carry ``mark`` (added equally to R, G and B)."""
        signs = self.bits_for(mark).astype(np.float32) * 2 - 1
        tile = self._chips * signs[self._bit_of_cell]
        cells = np.tile(tile, (GRID // TILE, GRID // TILE))
        image = Image.fromarray(cells, mode="F").resize((width, height), Image.Resampling.BILINEAR)
        return np.rint(np.asarray(image, dtype=np.float32) * self._strength).astype(np.int16)[..., None]

    def planes(self, mark: Mark, width: int, height: int) -> Planes:
        """(ceiling, raise_by, lower_by) uint8 planes that add ``mark`` with saturating arithmetic."""
        key = (mark, width, height)
        with self._lock:
            if (cached := self._planes.get(key)) is not None:
                self._planes.move_to_end(key)
                return cached
        offsets = self.pattern(mark, width, height)
        raise_by = np.repeat(np.clip(offsets, 0, None).astype(np.uint8), 3, axis=2)
        lower_by = np.repeat(np.clip(-offsets, 0, None).astype(np.uint8), 3, axis=2)
        computed = (255 - raise_by, raise_by, lower_by)
        with self._lock:
            self._planes[key] = computed
            while len(self._planes) > PLANES_CACHED:
                self._planes.popitem(last=False)
        return computed

    def embed(self, frame: np.ndarray, mark: Mark) -> np.ndarray:
        """A copy of an RGB uint8 frame with the mark added to its luma."""
        height, width = frame.shape[:2]
        ceiling, raise_by, lower_by = self.planes(mark, width, height)
        # Saturating uint8 arithmetic: less memory traffic than widening every frame to int16.
        marked = np.minimum(frame, ceiling)
        marked += raise_by
        np.maximum(marked, lower_by, out=marked)
        marked -= lower_by
        return marked

    @staticmethod
    def residual(frame: np.ndarray) -> np.ndarray:
        """One frame's luma at WORK x WORK samples less its local mean: what the mark and the picture's detail left."""
        luma = Image.fromarray(frame).convert("L").convert("F").resize((WORK, WORK), Image.Resampling.BOX)
        samples = np.asarray(luma, dtype=np.float32)
        return samples - box_mean(samples, HIGH_PASS)

    def tiles(self, residual: np.ndarray) -> np.ndarray:
        """(geometries y, geometries x, TILE, TILE): the residual folded into one tile under each geometry."""
        folds = self._folds.reshape(-1, WORK)
        folded = folds @ residual @ folds.T
        return folded.reshape(len(self._folds), TILE, len(self._folds), TILE).transpose(0, 2, 1, 3)

    def correlations(self, tiles: np.ndarray) -> np.ndarray:
        """(..., TOTAL_BITS, TILE, TILE): each bit's correlation with folded tiles at every cyclic shift."""
        spectra = np.conj(np.fft.rfft2(tiles))[..., None, :, :] * self._mask_spectra
        return np.fft.irfft2(spectra, s=(TILE, TILE))

    def read(self, frames: Iterable[np.ndarray]) -> Reading:
        """The clearer of the two readings (see ``readings``)."""
        return max(self.readings(frames), key=lambda reading: reading.confidence)

    def readings(self, frames: Iterable[np.ndarray]) -> list[Reading]:
        """The soft bits at the geometry (scale, phase and shift per axis) where the tile fits best, once
        for each way of leaving the picture's edges out: per frame, and after averaging."""
        per_frame = np.zeros((WORK, WORK), dtype=np.float32)
        clipped = np.zeros((WORK, WORK), dtype=np.float32)
        count = 0
        for frame in frames:
            residual = self.residual(frame)
            clipped += np.clip(residual, -FRAME_CLIP, FRAME_CLIP)
            residual[np.abs(residual) > OUTLIER] = 0
            per_frame += residual
            count += 1
        if count == 0:
            return [Reading(np.zeros(TOTAL_BITS), 0.0, 0)]
        averaged = clipped / count
        averaged[np.abs(averaged) > OUTLIER] = 0  # what stayed put through the frames: the picture's own edges
        return [self.read_residual(per_frame / count, count), self.read_residual(averaged, count)]

    def read_residual(self, residual: np.ndarray, count: int) -> Reading:
        """The soft bits of one averaged residual at the geometry where the tile fits best."""
        tiles = self.tiles(residual)
        # Sum over bits of |correlation| for every geometry and shift, a few rows of geometries at a time.
        evidence = np.concatenate([np.abs(self.correlations(rows)).sum(axis=-3) for rows in np.array_split(tiles, 4)])
        best = np.unravel_index(np.argmax(evidence), evidence.shape)
        # The best score of unmarked video is the largest of many near-normal draws; a mark stands out.
        confidence = float((evidence[best] - evidence.mean()) / (evidence.std() + 1e-9))
        return Reading(self.correlations(tiles[best[0], best[1]])[:, best[2], best[3]], confidence, count)

    def verdict(self, reading: Reading) -> Detection:
        """Decode one reading: its mark only if it stands out and its tag is the key's tag of its payload.

        The bits read with the least evidence are the ones a hard attack flips (a half-size copy of a flat,
        cartoon-like draft loses one or two), so when the tag does not match, the CHASE_BITS weakest bits are
        tried flipped too, each combination checked against the tag (Chase decoding)."""
        if reading.confidence < MIN_CONFIDENCE:
            return Detection(None, reading.confidence, reading.frames_used)
        bits = (reading.soft_bits > 0).astype(np.uint8)
        weakest = np.argsort(np.abs(reading.soft_bits))[:CHASE_BITS]
        for flips in range(1 << CHASE_BITS):
            tried = bits.copy()
            for position, bit in enumerate(weakest):
                if flips >> position & 1:
                    tried[bit] ^= 1
            if (mark := self.mark_from(tried)) is not None:
                return Detection(mark, reading.confidence, reading.frames_used)
        return Detection(None, reading.confidence, reading.frames_used)

    def detect(self, frames: Iterable[np.ndarray]) -> Detection:
        """The mark in ``frames`` (any number, any size, in any order), or none."""
        decoded = [self.verdict(reading) for reading in sorted(self.readings(frames), key=lambda reading: -reading.confidence)]
        return next((detection for detection in decoded if detection.found), decoded[0])
