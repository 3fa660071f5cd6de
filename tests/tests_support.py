"""Small helpers for tests (not fixtures): encode frames with the project's own writer."""

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from reelwright.generation.animatic import AnimaticBackend
from reelwright.generation.backends import ClipRequest
from reelwright.plan import CAMERA_MOVES, CameraMove


def encode(frames: list[np.ndarray], path: Path, crf: int) -> Path:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def ffmpeg(source: Path, target: Path, *options: str) -> Path:
    """Transcode ``source`` with the ffmpeg command-line tool, as someone who reposts a video would."""
    binary = shutil.which("ffmpeg")
    assert binary, "ffmpeg is needed by the tests: install ffmpeg (.ci/run does)"
    subprocess.run(
        [binary, "-v", "error", "-y", "-i", str(source), *options, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(target)], check=True
    )
    return target


def screen_recording(width: int, height: int) -> list[str]:
    """A screen capture's look: blurred by ~2 px at 720p (scaled with the size), a gamma and brightness shift."""
    sigma = 2 * height / 720
    return ["-vf", f"gblur=sigma={sigma:.2f},eq=gamma=1.15:brightness=0.03", "-crf", "23"]


#: What happens to videos in practice, as ffmpeg options per attack: each name reads as the attack.
ATTACKS: dict[str, Callable[[int, int], list[str]]] = {
    "re-encode CRF 28": lambda width, height: ["-crf", "28"],
    "half size": lambda width, height: ["-vf", f"scale={width // 4 * 2}:{height // 4 * 2}", "-crf", "23"],
    "crop 3% left, 2% top": lambda width, height: [
        "-vf",
        f"crop={round(width * 0.97) // 2 * 2}:{round(height * 0.98) // 2 * 2}:iw-ow:ih-oh",
        "-crf",
        "23",
    ],
    "crop 3% all round, resized back": lambda width, height: [
        "-vf",
        f"crop={round(width * 0.94) // 2 * 2}:{round(height * 0.94) // 2 * 2},scale={width}:{height}",
        "-crf",
        "23",
    ],
    "24 -> 15 fps": lambda width, height: ["-vf", "fps=15", "-crf", "23"],
    "24 -> 30 fps": lambda width, height: ["-vf", "fps=30", "-crf", "23"],
    "middle seconds cut out": lambda width, height: ["-vf", "select='not(between(t,1.2,2.8))',setpts=N/FRAME_RATE/TB", "-crf", "23"],
    "screen recording": screen_recording,
}


def animatic(width: int, height: int, *, prompt: str, camera: CameraMove, seed: int, frames: int) -> list[np.ndarray]:
    """A clip of the embedded default backend, as a render gets it before composition."""
    request = ClipRequest(
        prompt=prompt,
        negative_prompt="",
        width=width,
        height=height,
        fps=24,
        num_frames=frames,
        camera=camera,
        seed=seed,
        style="cinematic",
    )
    return list(AnimaticBackend().render(request, lambda fraction: None))


SCENES = [
    "wide shot of a fox running through snow at dawn",
    "a city street at night with neon signs",
    "close-up of waves on a beach at sunset",
    "a rocket launching into space",
    "a forest path in the morning",
    "a desert canyon at noon",
    "a volcano erupting with lava",
    "a cosy bakery kitchen",
]


def unmarked(index: int) -> list[np.ndarray]:
    """One second of video nobody marked, varied by ``index``: 3 in 5 are animatic clips (scene, camera,
    seed, size and aspect all vary), then noise (static or changing) and flat or gradient clips with grain."""
    rng = np.random.default_rng(index)
    width, height = [(320, 180), (180, 320), (256, 256), (426, 240)][index % 4]
    kind = index % 5
    if kind < 3:
        return animatic(
            width, height, prompt=SCENES[index % len(SCENES)], camera=CAMERA_MOVES[index // 5 % len(CAMERA_MOVES)], seed=index, frames=24
        )
    if kind == 3:
        if index % 2:  # the same noise in every frame: nothing averages out over frames
            return [rng.integers(0, 256, (height, width, 3), dtype=np.uint8)] * 24
        return [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(24)]
    colour = rng.integers(0, 256, 3)
    ramp = np.linspace(0, rng.uniform(0, 120), width)[None, :, None] * rng.uniform(-1, 1, 3)
    grain = index % 3
    return [
        np.clip(colour + np.roll(ramp, step * (index % 4), axis=1) + rng.normal(0, grain, (height, width, 3)), 0, 255).astype(np.uint8)
        for step in range(24)
    ]
