"""The Protocols every generation backend implements, and how one is built by name.

Backends are registered as entry points (``reelwright.plugins``) and built from their own settings
section, then handed to the render pipeline, so the embedded CPU renderers and a plugin package's
backends (and, once built, diffusers GPU pipelines) are interchangeable. A backend reports progress
through a callback; the callback raises ``Cancelled`` to stop it between steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from reelwright import plugins
from reelwright.errors import GenerationError
from reelwright.generation.capabilities import ANY, Capabilities
from reelwright.plan import CameraMove, Voice
from reelwright.settings import Settings

DIFFUSERS = "diffusers"
DIFFUSERS_AUDIO = "diffusers-audio"
#: Called with the fraction done (0..1). Raising ``reelwright.errors.Cancelled`` stops the backend.
Progress = Callable[[float], None]


@dataclass(frozen=True)
class ClipRequest:
    """One call to a video backend: a size, frame count and frame rate its ``capabilities`` allow.

    The render pipeline makes these from a shot (``RenderPipeline.render_shot``); a shot longer than
    one call is several requests, each after the first starting from ``source_image``, the previous
    call's last frame. The shot's colour grade is not here: composing applies it, so a grade
    edit reuses the generated clip.
    """

    prompt: str
    negative_prompt: str
    width: int
    height: int
    fps: int
    num_frames: int
    camera: CameraMove
    seed: int
    style: str
    source_image: Path | None = None


class VideoBackend(Protocol):
    """Text-to-video or image-to-video. Yields RGB uint8 frames of exactly the requested size and count.

    Optional attributes (read with ``capabilities_of`` and ``backend_identity``): ``capabilities``, the
    rules of one call (default: any size, any length, the plan's frame rate); ``model_identity``, what
    identifies the weights (a preset and revision, or a hash of a model folder), part of every clip's
    cache key so new weights never reuse old clips.
    """

    name: str
    version: str

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]: ...


def capabilities_of(backend: object) -> Capabilities:
    return getattr(backend, "capabilities", None) or ANY


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class SpeechRequest:
    """One line to speak. ``reference_audio`` is a cloned voice's sample (engines that clone use it);
    ``speaker`` one voice of a multi-speaker model (None: the engine's own choice), so one loaded model
    speaks as any of its speakers."""

    text: str
    voice: Voice
    language: str = "en"
    reference_audio: Path | None = None
    speaker: str | None = None


class SpeechBackend(Protocol):
    """Text to speech. ``languages`` (optional attribute): the language codes it speaks (default: English)."""

    name: str
    version: str

    def speak(self, request: SpeechRequest) -> Speech: ...


@dataclass(frozen=True)
class Sound:
    """A music bed or ambience: float32 samples shaped (channels, n) in [-1, 1], one or two channels."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return self.samples.shape[-1] / self.sample_rate


@dataclass(frozen=True)
class SoundRequest:
    """A music bed ("calm piano") or a shot's ambience ("rain on a window") of ``duration_s`` seconds.

    ``style`` is the plan's visual style, a hint for mood when the prompt says little ("noir" -> minor key).
    """

    prompt: str
    kind: Literal["music", "ambience"]
    duration_s: float
    seed: int
    style: str = ""


class SoundBackend(Protocol):
    """Text to music or ambience: the procedural generator on CPUs, diffusers audio models on GPUs."""

    name: str
    version: str

    def generate(self, request: SoundRequest, progress: Progress) -> Sound: ...


@dataclass(frozen=True)
class TalkingRequest:
    """One talking shot: a face that says ``speech``, made into ``num_frames`` frames of ``width`` x ``height`` at ``fps``.

    The speech comes first and the shot's length from it (``RenderPipeline``): it starts ``speech_start_s`` into
    the shot. The face is ``face_image`` (a photo the person uploaded) or, when the shot has none,
    ``base_frames``: the shot's own clip from the video backend, in which the face is tracked. ``prompt`` says
    what the shot shows (a model that takes one uses it; the CPU renderer does not).
    """

    speech: Speech
    speech_start_s: float
    width: int
    height: int
    fps: int
    num_frames: int
    prompt: str
    seed: int
    style: str = ""
    face_image: Path | None = None
    base_frames: Iterable[np.ndarray] | None = None


class TalkingBackend(Protocol):
    """A face made to speak: yields RGB uint8 frames of exactly the requested size and count, lips synced
    with the request's speech. Optional attributes as ``VideoBackend``'s (``model_identity``, ``draft``,
    ``credits``); raises ``reelwright.errors.FaceProblem`` when there is no face it can use."""

    name: str
    version: str

    def render(self, request: TalkingRequest, progress: Progress) -> Iterator[np.ndarray]: ...


def build_text_to_video(settings: Settings) -> VideoBackend:
    """The backend that renders text-only shots: the configured video model, or a backend by name from the
    ``reelwright.video_backends`` entry points."""
    if settings.text_to_video_model:
        return build_video_model(settings, settings.text_to_video_model)
    return _build(plugins.VIDEO_BACKENDS, settings.text_to_video_backend, "text-to-video backend", settings)


def build_image_to_video(settings: Settings) -> VideoBackend:
    """The backend that animates a shot's source image (and continues long shots), chosen the same way."""
    if settings.image_to_video_model:
        return build_video_model(settings, settings.image_to_video_model)
    return _build(plugins.VIDEO_BACKENDS, settings.image_to_video_backend, "image-to-video backend", settings)


def build_video_model(settings: Settings, model: str) -> VideoBackend:
    """The diffusers backend with ``model`` (a preset id, hub id or model folder) and the rest of its
    ``[backend_options.diffusers]``. Resolving the model reads no weights: unknown models fail here, fast."""
    options = {**settings.backend_options.get(DIFFUSERS, {}), "model": model}
    return plugins.construct(
        plugins.load(plugins.VIDEO_BACKENDS, DIFFUSERS, kind="video backend", error=GenerationError),
        options,
        kind="video backend",
        name=DIFFUSERS,
        error=GenerationError,
    )


def build_sounds(settings: Settings) -> SoundBackend:
    """What makes music beds and ambience: the configured diffusers audio model, else a backend by name from
    the ``reelwright.sound_backends`` entry points (the procedural generator by default)."""
    if settings.music_model:
        options = {**settings.backend_options.get(DIFFUSERS_AUDIO, {}), "model": settings.music_model}
        factory = plugins.load(plugins.SOUND_BACKENDS, DIFFUSERS_AUDIO, kind="sound backend", error=GenerationError)
        return plugins.construct(factory, options, kind="sound backend", name=DIFFUSERS_AUDIO, error=GenerationError)
    return _build(plugins.SOUND_BACKENDS, settings.music_backend, "sound backend", settings)


def build_talking(settings: Settings) -> TalkingBackend:
    """What makes a face speak: a backend by name from the ``reelwright.talking_backends`` entry points (the CPU
    renderer by default; ``wan-s2v`` with Wan2.2-S2V on GPUs)."""
    return _build(plugins.TALKING_BACKENDS, settings.talking_backend, "talking backend", settings)


def _build(group: str, name: str, kind: str, settings: Settings) -> Any:
    factory = plugins.load(group, name, kind=kind, error=GenerationError)
    return plugins.construct(factory, settings.backend_options.get(name, {}), kind=kind, name=name, error=GenerationError)
