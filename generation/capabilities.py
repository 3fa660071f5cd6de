"""What a video model can make in one call, and how a shot is fitted to it.

Every video model has its own rules (Wan: sides in multiples of 16 and 4k+1 frames; LTX: 32 and
8k+1; CogVideoX: 49 frames at 8 fps; SVD: 14 or 25 frames). A backend declares them as
``Capabilities``; the render pipeline asks each call for a size and frame count the model supports,
then resamples the frames to the plan's size and frame rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class FrameRule:
    """Frame counts one call can make: ``multiple * k + remainder`` within [minimum, maximum], or one of ``fixed``."""

    multiple: int = 1
    remainder: int = 0
    minimum: int = 1
    maximum: int | None = None
    fixed: tuple[int, ...] = ()

    def allowed(self, count: int) -> bool:
        if self.fixed:
            return count in self.fixed
        in_range = count >= self.minimum and (self.maximum is None or count <= self.maximum)
        return in_range and count % self.multiple == self.remainder % self.multiple

    @property
    def longest(self) -> int | None:
        """The most frames one call makes (``None``: no limit)."""
        if self.fixed:
            return max(self.fixed)
        if self.maximum is None:
            return None
        return self.maximum - (self.maximum - self.remainder) % self.multiple

    def at_least(self, wanted: int) -> int:
        """The fewest allowed frames that cover ``wanted`` (the longest call when none does)."""
        if self.fixed:
            return min((count for count in self.fixed if count >= wanted), default=max(self.fixed))
        count = max(wanted, self.minimum)
        count += (self.remainder - count) % self.multiple
        longest = self.longest
        return count if longest is None else min(count, longest)


@dataclass(frozen=True)
class Capabilities:
    """A model's rules for one call.

    ``area`` is the pixel count it was trained for (a plan's frame shape is kept, scaled to about
    that many pixels); ``None`` renders at the plan's own size. A model that only works at some sizes
    lists them in ``sizes``: the one closest to the plan's shape is used (and cropped to it when
    composing). ``fps`` ``None`` follows the plan.
    """

    size_multiple: int = 2
    area: int | None = None
    sizes: tuple[tuple[int, int], ...] = ()
    frames: FrameRule = FrameRule()
    fps: int | None = None
    takes_image: bool = False
    needs_image: bool = False

    def frame_size(self, width: int, height: int) -> tuple[int, int]:
        """The size to render a ``width`` x ``height`` plan at: the same shape, the model's area, its multiples."""
        if self.sizes:
            return min(self.sizes, key=lambda size: abs(math.log(size[0] / size[1]) - math.log(width / height)))
        scale = math.sqrt(self.area / (width * height)) if self.area else 1.0
        step = self.size_multiple
        return max(step, round(width * scale / step) * step), max(step, round(height * scale / step) * step)

    def calls_for(self, frames: int) -> list[int]:
        """Frame counts of the calls that make ``frames`` frames: one call if it fits, else a chain in which
        each call after the first starts from the previous call's last frame (so it adds one frame fewer)."""
        longest = self.frames.longest
        if longest is None or frames <= longest:
            return [self.frames.at_least(frames)]
        calls, made = [longest], longest
        while made < frames:
            following = self.frames.at_least(frames - made + 1)
            calls.append(following)
            made += following - 1
        return calls


#: What the CPU renderers can do: any size, any length, the plan's frame rate.
ANY = Capabilities()
