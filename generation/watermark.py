"""An invisible, keyed spread-spectrum watermark that survives H.264 re-encoding.

Why not ``invisible-watermark``: its default method decodes as zeros after any H.264 encode, and the
method that survives costs ~270 ms per 720p frame (measured, ../shared/notes/marks-and-voices.md).
This scheme adds a faint keyed +-1 pattern on a coarse grid of cells to the luma of every frame
(~2 ms per 720p frame) and decodes by correlating the cell averages with the same pattern, summed
over many frames. Coarse cells are what H.264 keeps; summing over frames is what makes it robust.

The payload is a 32-bit mark id plus a 16-bit CRC, so a video we did not mark never decodes as one.
"""

from __future__ import annotations

import binascii
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image

GRID = 96
PAYLOAD_BITS = 32
CHECK_BITS = 16
TOTAL_BITS = PAYLOAD_BITS + CHECK_BITS
STRENGTH = 2.5
#: Largest residual (in luma levels) one cell may contribute to a bit's vote.
CLIP = 2.0
#: Mean |soft bit| (in units of its noise) below which we say "no mark" instead of guessing.
MIN_CONFIDENCE = 2.5


@dataclass(frozen=True)
class Detection:
    """What a decode found. ``mark_id`` is set only when the check bits match."""

    mark_id: int | None
    confidence: float
    frames_used: int

    @property
    def found(self) -> bool:
        return self.mark_id is not None


#: (ceiling, raise_by, lower_by): what embedding one mark at one frame size adds and clips.
Planes = tuple[np.ndarray, np.ndarray, np.ndarray]
#: Marks x frame sizes kept ready: a few concurrent renders, each at its own size.
PLANES_CACHED = 8


class Watermarker:
    """Embeds and detects marks for one key.

    Shared by every render of a process, so it holds no per-render state: the planes that carry a
    mark are computed per (mark, frame size) and kept in a small cache behind a lock, and each call
    uses the planes of its own mark, whatever other renders do at the same time.
    """

    def __init__(self, key: str, strength: float = STRENGTH) -> None:
        seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
        rng = np.random.default_rng(seed)
        self._chips = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(GRID, GRID))
        self._bit_of_cell = rng.permutation(np.arange(GRID * GRID) % TOTAL_BITS).reshape(GRID, GRID)
        self._scramble = rng.integers(0, 2, size=TOTAL_BITS, dtype=np.uint8)
        self._strength = strength
        self._planes: OrderedDict[tuple[int, int, int], Planes] = OrderedDict()
        self._lock = threading.Lock()

    def bits_for(self, mark_id: int) -> np.ndarray:
        if not 0 <= mark_id < 2**PAYLOAD_BITS:
            raise ValueError(f"mark id {mark_id} does not fit in {PAYLOAD_BITS} bits")
        payload = mark_id.to_bytes(PAYLOAD_BITS // 8, "big")
        check = binascii.crc_hqx(payload, 0x1D0F).to_bytes(2, "big")
        bits = np.unpackbits(np.frombuffer(payload + check, dtype=np.uint8))
        return bits ^ self._scramble

    def pattern(self, mark_id: int, width: int, height: int) -> np.ndarray:
        """The (H, W, 1) int16 luma offsets that carry ``mark_id`` (added equally to R, G and B)."""
        signs = self.bits_for(mark_id).astype(np.float32) * 2 - 1
        cells = self._chips * signs[self._bit_of_cell]
        image = Image.fromarray(cells.astype(np.float32), mode="F").resize((width, height), Image.Resampling.BILINEAR)
        return np.rint(np.asarray(image, dtype=np.float32) * self._strength).astype(np.int16)[..., None]

    def planes(self, mark_id: int, width: int, height: int) -> Planes:
        """(ceiling, raise_by, lower_by) uint8 planes that add ``mark_id`` with saturating arithmetic."""
        key = (mark_id, width, height)
        with self._lock:
            if (cached := self._planes.get(key)) is not None:
                self._planes.move_to_end(key)
                return cached
        offsets = self.pattern(mark_id, width, height)
        raise_by = np.repeat(np.clip(offsets, 0, None).astype(np.uint8), 3, axis=2)
        lower_by = np.repeat(np.clip(-offsets, 0, None).astype(np.uint8), 3, axis=2)
        computed = (255 - raise_by, raise_by, lower_by)
        with self._lock:
            self._planes[key] = computed
            while len(self._planes) > PLANES_CACHED:
                self._planes.popitem(last=False)
        return computed

    def embed(self, frame: np.ndarray, mark_id: int) -> np.ndarray:
        """A copy of an RGB uint8 frame with the mark added to its luma."""
        height, width = frame.shape[:2]
        ceiling, raise_by, lower_by = self.planes(mark_id, width, height)
        # Saturating uint8 arithmetic: less memory traffic than widening every frame to int16.
        marked = np.minimum(frame, ceiling)
        marked += raise_by
        np.maximum(marked, lower_by, out=marked)
        marked -= lower_by
        return marked

    def soft_bits(self, frame: np.ndarray) -> np.ndarray:
        """Per-bit correlation of one frame with the key's pattern (sign = bit, size = evidence)."""
        luma = frame.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        cells = np.asarray(Image.fromarray(luma, mode="F").resize((GRID, GRID), Image.Resampling.BOX), dtype=np.float32)
        padded = np.pad(cells, 1, mode="edge")
        local_mean = sum(padded[dy : dy + GRID, dx : dx + GRID] for dy in range(3) for dx in range(3)) / 9.0
        # Edges in the picture leave large residuals that would swamp the mark; clipping bounds what
        # any one cell can contribute, so flat and textured areas both vote.
        residual = np.clip(cells - local_mean, -CLIP, CLIP) * self._chips
        return np.bincount(self._bit_of_cell.ravel(), weights=residual.ravel(), minlength=TOTAL_BITS)

    def detect(self, frames: Iterable[np.ndarray]) -> Detection:
        """Vote over frames; report a mark only if it is confident and its check bits match."""
        total = np.zeros(TOTAL_BITS, dtype=np.float64)
        count = 0
        for frame in frames:
            total += self.soft_bits(frame)
            count += 1
        if count == 0:
            return Detection(None, 0.0, 0)
        # |soft bits| of unmarked video are half-normal: mean/std = 1.32. A mark lifts every one of
        # them to about the same size, so mean/std grows with the evidence.
        magnitudes = np.abs(total)
        confidence = float(np.mean(magnitudes) / (np.std(magnitudes) + 1e-9))
        bits = (total > 0).astype(np.uint8) ^ self._scramble
        data = np.packbits(bits).tobytes()
        payload, check = data[: PAYLOAD_BITS // 8], data[PAYLOAD_BITS // 8 :]
        if confidence < MIN_CONFIDENCE or binascii.crc_hqx(payload, 0x1D0F).to_bytes(2, "big") != check:
            return Detection(None, confidence, count)
        return Detection(int.from_bytes(payload, "big"), confidence, count)
