"""The Protocols every generation backend implements, and how one is built by name.

Backends are registered as entry points (``reelwright.plugins``) and built from their own settings
section, then handed to the render pipeline, so the embedded CPU renderers and a plugin package's
backends (and, once built, diffusers GPU pipelines) are interchangeable. A backend reports progress
through a callback; the callback raises ``Cancelled`` to stop it between steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from reelwright import plugins
from reelwright.errors import GenerationError
from reelwright.plan import CameraMove, Grade, Voice
from reelwright.settings import Settings

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
    """The backend that renders text-only shots, by name from the ``reelwright.video_backends`` entry points."""
    return _build(plugins.VIDEO_BACKENDS, settings.text_to_video_backend, "text-to-video backend", settings)


def build_image_to_video(settings: Settings) -> VideoBackend:
    """The backend that animates a shot's source image, from the same registry."""
    return _build(plugins.VIDEO_BACKENDS, settings.image_to_video_backend, "image-to-video backend", settings)


def build_speech(settings: Settings) -> SpeechBackend:
    """The narration engine, by name from the ``reelwright.speech_engines`` entry points."""
    return _build(plugins.SPEECH_ENGINES, settings.tts_backend, "speech engine", settings)


def _build(group: str, name: str, kind: str, settings: Settings) -> Any:
    factory = plugins.load(group, name, kind=kind, error=GenerationError)
    return plugins.construct(factory, settings.backend_options.get(name, {}), kind=kind, name=name, error=GenerationError)
