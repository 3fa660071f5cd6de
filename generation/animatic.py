"""The embedded text-to-video backend: a storyboard animatic that renders in seconds on a CPU.

No diffusion model runs on a laptop in useful time, so the draft is an animatic a team can review:
each shot is a procedurally painted scene whose palette and layout follow the prompt's words and the
shot's seed, with the camera move simulated over it, and the shot number and description legible
on a phone. The real look is to come from a diffusers backend on a GPU (not built yet) with the same plan.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from reelwright.generation.backends import ClipRequest, Progress
from reelwright.generation.frames import OVERSCAN, blend, camera_frames, premultiply, text_panel

Colour = tuple[int, int, int]

#: Palettes picked by words in the prompt: sky top, sky horizon, ground, accent (sun, lights).
PALETTES: dict[str, tuple[Colour, Colour, Colour, Colour]] = {
    "night": ((8, 12, 40), (40, 50, 100), (15, 20, 35), (235, 235, 210)),
    "snow": ((150, 180, 215), (225, 235, 245), (240, 244, 250), (255, 250, 230)),
    "sunset": ((70, 40, 110), (250, 140, 70), (60, 35, 50), (255, 200, 90)),
    "dawn": ((90, 110, 170), (250, 180, 140), (70, 70, 90), (255, 220, 150)),
    "forest": ((110, 160, 200), (190, 220, 200), (30, 80, 40), (250, 240, 180)),
    "ocean": ((60, 130, 200), (170, 215, 240), (20, 80, 140), (255, 245, 200)),
    "desert": ((90, 150, 220), (240, 210, 160), (215, 170, 110), (255, 240, 190)),
    "city": ((60, 70, 90), (150, 150, 165), (45, 45, 55), (255, 210, 120)),
    "fire": ((40, 10, 10), (200, 70, 20), (50, 20, 15), (255, 180, 60)),
    "space": ((0, 0, 10), (20, 10, 50), (30, 30, 40), (240, 240, 255)),
    "day": ((70, 140, 220), (180, 215, 245), (90, 140, 70), (255, 245, 200)),
}
KEYWORDS: dict[str, tuple[str, ...]] = {
    "night": ("night", "moon", "midnight", "dark", "stars", "neon"),
    "snow": ("snow", "winter", "ice", "frozen", "arctic", "glacier"),
    "sunset": ("sunset", "dusk", "evening", "golden hour"),
    "dawn": ("dawn", "sunrise", "morning"),
    "forest": ("forest", "jungle", "woods", "tree", "garden", "park", "meadow"),
    "ocean": ("ocean", "sea", "beach", "wave", "lake", "river", "underwater", "lighthouse", "harbor", "boat"),
    "desert": ("desert", "sand", "dune", "canyon"),
    "city": ("city", "street", "urban", "building", "skyline", "cafe", "office", "kitchen", "bakery"),
    "fire": ("fire", "lava", "volcano", "flame", "dragon"),
    "space": ("space", "galaxy", "planet", "rocket", "astronaut", "nebula"),
}
FRAMINGS = {"close-up": 0.55, "close up": 0.55, "detail": 0.6, "medium": 0.38, "wide": 0.2, "establishing": 0.18}


def palette_for(prompt: str) -> tuple[Colour, Colour, Colour, Colour]:
    text = prompt.lower()
    for name, words in KEYWORDS.items():
        if any(word in text for word in words):
            return PALETTES[name]
    return PALETTES["day"]


def subject_scale(prompt: str) -> float:
    text = prompt.lower()
    return next((scale for word, scale in FRAMINGS.items() if word in text), 0.32)


def paint_scene(request: ClipRequest) -> Image.Image:
    """The shot's world: sky gradient, sun or moon, layered hills, and a subject mark, seeded."""
    rng = random.Random(request.seed)
    width, height = int(request.width * OVERSCAN), int(request.height * OVERSCAN)
    sky_top, horizon, ground, accent = palette_for(request.prompt)
    rows = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    sky = np.array(sky_top, np.float32) * (1 - rows) + np.array(horizon, np.float32) * rows
    image = Image.fromarray(np.broadcast_to(sky[:, None, :], (height, width, 3)).astype(np.uint8).copy())
    draw = ImageDraw.Draw(image)

    if palette_for(request.prompt) in (PALETTES["night"], PALETTES["space"]):
        for _ in range(250):
            x, y = rng.uniform(0, width), rng.uniform(0, height * 0.6)
            r = rng.uniform(0.8, 2.2)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=accent)
    orb_r = min(width, height) * rng.uniform(0.05, 0.09)
    orb_x, orb_y = width * rng.uniform(0.15, 0.85), height * rng.uniform(0.15, 0.35)
    glow = Image.new("L", image.size, 0)
    ImageDraw.Draw(glow).ellipse((orb_x - orb_r * 2.5, orb_y - orb_r * 2.5, orb_x + orb_r * 2.5, orb_y + orb_r * 2.5), fill=90)
    image.paste(Image.new("RGB", image.size, accent), mask=glow.filter(ImageFilter.GaussianBlur(orb_r)))
    draw.ellipse((orb_x - orb_r, orb_y - orb_r, orb_x + orb_r, orb_y + orb_r), fill=accent)

    layers = 3
    for layer in range(layers):
        depth = (layer + 1) / layers
        shade = tuple(int(h * (1 - depth) * 0.7 + g * (0.3 + 0.7 * depth)) for h, g in zip(horizon, ground, strict=True))
        base = height * (0.55 + 0.12 * layer)
        phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
        amps = [height * rng.uniform(0.02, 0.07) / (1 + layer * 0.5) for _ in range(3)]
        points = [
            (x, base - sum(a * math.sin(x / width * (k + 1) * 3.1 + p) for k, (a, p) in enumerate(zip(amps, phases, strict=True))))
            for x in range(0, width + 16, 16)
        ]
        draw.polygon([(0, height), *points, (width, height)], fill=shade)

    scale = subject_scale(request.prompt)
    radius = min(width, height) * scale / 2
    cx, cy = width * rng.uniform(0.4, 0.6), height * (0.62 if scale < 0.5 else 0.55)
    subject_colour = tuple(int(c * 0.35) for c in ground)
    draw.ellipse(
        (cx - radius, cy - radius * 0.8, cx + radius, cy + radius * 0.8),
        fill=subject_colour,
        outline=accent,
        width=max(2, int(radius / 25)),
    )
    return image


class AnimaticBackend:
    """Draft text-to-video: a seeded painted scene under the shot's camera move, with its description.

    Any size, any length, the plan's frame rate (``capabilities`` default): one call per shot.
    """

    name = "animatic"
    version = "1"

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]:
        world = paint_scene(request)
        size = (request.width, request.height)
        short_side = min(size)
        title = premultiply(
            text_panel(
                size,
                request.prompt,
                font_px=max(18, short_side // 16),
                anchor="top",
                max_chars=32 if request.width < request.height else 44,
            )
        )
        for index, frame in enumerate(camera_frames(world, request.camera, size, request.num_frames)):
            progress(index / request.num_frames)
            yield blend(np.asarray(frame), title)
        progress(1.0)
