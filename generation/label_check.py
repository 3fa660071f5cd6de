"""Whether frames show the visible "AI-generated" label where composing draws it.

The label is white text on a dark translucent box in the bottom-right corner. Its pixels are known
exactly for any frame size (``compose.label_layer``), so a frame shows it when its luma inside that
box correlates with the text mask: text bright, box around it dark, whatever the picture behind is.
Half-size copies are checked against the label of the size they were made from, since the label's
font has a minimum size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from reelwright.generation.compose import label_layer

#: Median correlation above which the label counts as shown (labelled frames score ~0.8, others ~0).
MIN_CORRELATION = 0.45


@dataclass(frozen=True)
class LabelCheck:
    found: bool
    #: Median correlation of the frames' corner with the label's text (-1..1).
    score: float
    frames_used: int


def text_mask(width: int, height: int, made_at: int = 1) -> tuple[slice, slice, np.ndarray] | None:
    """(rows, cols, text weight 0..1) of the label of a ``made_at``-times larger frame, scaled to this size."""
    layer = label_layer((width * made_at, height * made_at))
    if layer is None:
        return None
    opacity = 1 - layer.transparency[..., 0]
    whiteness = layer.colour.mean(axis=2) / 255.0
    weight = np.where(opacity > 0.99, whiteness, 0.0).astype(np.float32)
    rows = slice(layer.rows.start // made_at, -(-layer.rows.stop // made_at))
    cols = slice(layer.cols.start // made_at, -(-layer.cols.stop // made_at))
    if made_at > 1:
        size = (cols.stop - cols.start, rows.stop - rows.start)
        weight = np.asarray(Image.fromarray(weight, mode="F").resize(size, Image.Resampling.BOX), dtype=np.float32)
    return rows, cols, weight


def correlation(frame: np.ndarray, mask: tuple[slice, slice, np.ndarray]) -> float:
    rows, cols, weight = mask
    luma = frame[rows, cols].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if luma.shape != weight.shape:
        return 0.0
    a, b = luma.ravel() - luma.mean(), weight.ravel() - weight.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


class LabelScanner:
    """Scores frames one at a time (as they stream past another reader) and says whether they show the label."""

    def __init__(self) -> None:
        self.scores: list[float] = []
        self._masks: dict[tuple[int, int], list[tuple[slice, slice, np.ndarray]]] = {}

    def add(self, frame: np.ndarray) -> None:
        height, width = frame.shape[:2]
        if (width, height) not in self._masks:
            self._masks[(width, height)] = [mask for made_at in (1, 2) if (mask := text_mask(width, height, made_at)) is not None]
        self.scores.append(max((correlation(frame, mask) for mask in self._masks[(width, height)]), default=0.0))

    def result(self) -> LabelCheck:
        if not self.scores:
            return LabelCheck(False, 0.0, 0)
        score = float(np.median(self.scores))
        return LabelCheck(score >= MIN_CORRELATION, score, len(self.scores))


def find_label(frames: Iterable[np.ndarray]) -> LabelCheck:
    scanner = LabelScanner()
    for frame in frames:
        scanner.add(frame)
    return scanner.result()
