"""The Protocols every generation backend implements, and the registry that picks one by name.

Backends are constructed from settings and handed to the render pipeline, so the embedded CPU
renderers and the diffusers GPU pipelines are interchangeable. A backend reports progress through a
callback; the callback raises ``Cancelled`` to stop it between steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from reelwright.errors import GenerationError
from reelwright.plan import CameraMove, Grade, Voice
from reelwright.settings import Settings

_T = TypeVar("_T")

#: Called with the fraction done (0..1). Raising ``reelwright.errors.Cancelled`` stops the backend.
Progress = Callable[[float], None]


@dataclass(frozen=True)
class ClipRequest:
    """Everything that determines a rendered shot; its hash is the shot clip's cache key."""

    prompt: str
    negative_prompt: str
    width: int
    height: int
    fps: int
    num_frames: int
    camera: CameraMove
    seed: int
    style: str
    grade: Grade
    caption: str
    source_image: Path | None = None


class VideoBackend(Protocol):
    """Text-to-video or image-to-video. Yields RGB uint8 frames of exactly the requested size and count."""

    name: str
    version: str

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]: ...


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


class SpeechBackend(Protocol):
    name: str
    version: str

    def speak(self, text: str, voice: Voice) -> Speech: ...


def build_text_to_video(settings: Settings) -> VideoBackend:
    from reelwright.generation.animatic import AnimaticBackend

    backends: dict[str, Callable[[], VideoBackend]] = {"animatic": AnimaticBackend}
    return _build("text-to-video", settings.text_to_video_backend, backends)


def build_image_to_video(settings: Settings) -> VideoBackend:
    from reelwright.generation.image_motion import ImageMotionBackend

    backends: dict[str, Callable[[], VideoBackend]] = {"image-motion": ImageMotionBackend}
    return _build("image-to-video", settings.image_to_video_backend, backends)


def build_speech(settings: Settings) -> SpeechBackend:
    from reelwright.generation.piper_tts import PiperSpeech

    backends: dict[str, Callable[[], SpeechBackend]] = {"piper": PiperSpeech}
    return _build("narration", settings.tts_backend, backends)


def _build(kind: str, name: str, backends: dict[str, Callable[[], _T]]) -> _T:
    if name not in backends:
        raise GenerationError(f"Unknown {kind} backend {name!r}; available: {', '.join(sorted(backends))}.")
    return backends[name]()
