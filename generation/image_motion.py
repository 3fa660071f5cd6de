"""The embedded image-to-video backend: the person's image brought to life with the shot's camera move.

Pan, zoom and a parallax "orbit" over the picture, rendered on a CPU in about the time it takes to
encode. A diffusers image-to-video backend (SVD, Wan I2V, LTX I2V; not built yet) is to replace it on GPUs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageOps

from reelwright.errors import GenerationError
from reelwright.generation.backends import ClipRequest, Progress
from reelwright.generation.capabilities import Capabilities
from reelwright.generation.frames import OVERSCAN, camera_frames


def cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale and centre-crop ``image`` so it fills ``size`` exactly."""
    return ImageOps.fit(image, size, Image.Resampling.LANCZOS)


class ImageMotionBackend:
    """The image, filling the frame, under the shot's camera move."""

    name = "image-motion"
    version = "1"
    capabilities = Capabilities(takes_image=True, needs_image=True)

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]:
        if request.source_image is None:
            raise GenerationError("Image animation needs a source image.")
        with Image.open(request.source_image) as source:
            picture = ImageOps.exif_transpose(source).convert("RGB")
        world = cover(picture, (int(request.width * OVERSCAN), int(request.height * OVERSCAN)))
        size = (request.width, request.height)
        for index, frame in enumerate(camera_frames(world, request.camera, size, request.num_frames)):
            progress(index / request.num_frames)
            yield np.asarray(frame)
        progress(1.0)
