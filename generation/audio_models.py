"""Music beds and ambience from diffusers audio models: a preset, a hub id or a local folder, loaded like the video models.

``DiffusionPipeline.from_pretrained`` picks the pipeline class from the folder's ``model_index.json``;
Stable Audio Open (``StableAudioPipeline``) and AudioLDM 2 (``AudioLDM2Pipeline``) run through one path.
What differs is read from the loaded pipeline itself: its sampling rate, how long one call may be
(Stable Audio: the DiT's latent length, a hard limit; AudioLDM 2: the length it was trained on) and
which length argument its ``__call__`` takes. Both still only have the legacy ``callback(step, t,
latents)``, which gives per-step progress and cancelling between steps.

A sound longer than one call is made of several calls of equal length, each with the next seed, joined
by an equal-power crossfade. Looping one call would repeat audibly within a minute (AudioLDM 2 makes 10 s),
and a backend that returns exactly the requested duration keeps the mixer free of each model's limits.
Memory policies, the warm pipeline cache and model identities are the video backend's
(``diffusers_backend``), so an audio model and a video model share one GPU's memory sensibly.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from reelwright.errors import GenerationError
from reelwright.generation.backends import Progress, Sound, SoundRequest
from reelwright.generation.diffusers_backend import WARM, ModelSource, place, resolve_model, weakest_policy, weights_size
from reelwright.generation.model_hub import NEEDS_EXTRA
from reelwright.generation.presets import MEMORY_POLICIES
from reelwright.generation.procedural_sound import ProceduralSound

Kind = Literal["music", "ambience"]
#: Pipeline classes this backend can drive (from a preset, or named by a folder's model_index.json).
AUDIO_PIPELINES = ("StableAudioPipeline", "AudioLDM2Pipeline")
#: The crossfade between two calls of a long sound (shorter when one call is short: at most a quarter of it).
CROSSFADE_S = 1.0


@dataclass(frozen=True)
class AudioPreset:
    """A published diffusers audio checkpoint and what Reelwright must know to use it well.

    ``longest_s`` is the most one call makes (longer sounds are joined from several calls);
    ``memory_gb`` is peak GPU memory per memory policy at ``longest_s`` (estimates from the weights'
    size; the automatic policy only needs them roughly right). ``gated``: the hub asks each user to
    accept the licence (and to log in) before downloading.
    """

    id: str
    title: str
    hub_id: str
    pipeline: str
    sample_rate: int
    channels: int
    longest_s: float
    kinds: tuple[Kind, ...]
    licence: str
    memory_gb: dict[str, float]
    memory_source: str = "estimate"
    revision: str = "main"
    dtype: str = "float16"
    steps: int = 100
    guidance: float = 7.0
    gated: bool = False


AUDIO_PRESETS: tuple[AudioPreset, ...] = (
    AudioPreset(
        "stable-audio-open-1.0",
        "Stable Audio Open 1.0 (44.1 kHz stereo, up to 47 s)",
        "stabilityai/stable-audio-open-1.0",
        "StableAudioPipeline",
        sample_rate=44100,
        channels=2,
        longest_s=47.0,
        kinds=("music", "ambience"),
        licence="Stability AI Community License (free below US$1M annual revenue; enterprise licence above)",
        memory_gb={"none": 7.0, "model-offload": 5.0, "group-offload": 4.0},
        steps=100,
        guidance=7.0,
        gated=True,
    ),
    AudioPreset(
        "audioldm2",
        "AudioLDM 2 (16 kHz mono, sound effects and music, 10 s per call)",
        "cvssp/audioldm2",
        "AudioLDM2Pipeline",
        sample_rate=16000,
        channels=1,
        longest_s=10.24,
        kinds=("ambience", "music"),
        licence="CC-BY-NC-SA-4.0 (non-commercial)",
        memory_gb={"none": 4.0, "model-offload": 2.5, "group-offload": 1.5},
        steps=200,
        guidance=3.5,
    ),
    AudioPreset(
        "audioldm2-music",
        "AudioLDM 2 Music (16 kHz mono, music, 10 s per call)",
        "cvssp/audioldm2-music",
        "AudioLDM2Pipeline",
        sample_rate=16000,
        channels=1,
        longest_s=10.24,
        kinds=("music",),
        licence="CC-BY-NC-SA-4.0 (non-commercial)",
        memory_gb={"none": 4.0, "model-offload": 2.5, "group-offload": 1.5},
        steps=200,
        guidance=3.5,
    ),
)
_BY_ID = {preset.id: preset for preset in AUDIO_PRESETS}


def audio_preset(reference: str) -> AudioPreset | None:
    """The audio preset with this id, or None."""
    return _BY_ID.get(reference)


def resolve_audio_model(reference: str) -> tuple[ModelSource, AudioPreset | None]:
    """An audio preset id, else what the video models accept (a save_pretrained folder, a cached hub id)."""
    preset = audio_preset(reference)
    if preset is not None:
        return ModelSource(reference, preset.hub_id, preset.revision, preset.pipeline, f"{preset.hub_id}@{preset.revision}"), preset
    return resolve_model(reference), None


class DiffusersSound:
    """Text to music or ambience with a diffusers audio pipeline (Stable Audio Open, AudioLDM 2)."""

    name = "diffusers-audio"
    version = "1"
    #: Options that change the sound (``backend_identity`` reads this name); memory and device settings do not.
    pixel_options = ("dtype", "steps", "guidance", "negative_prompt")

    class Options(BaseModel):
        """``[backend_options.diffusers-audio]``; a misspelt option is an error, not a silent default."""

        model_config = ConfigDict(extra="forbid")

        model: str = Field(description="An audio preset id, a Hugging Face hub id, or a save_pretrained folder.")
        dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
            default="auto", description="auto: the preset's dtype (float16) on a GPU, float32 on a CPU."
        )
        steps: int | None = Field(
            default=None, ge=1, le=1000, description="Denoising steps (default: the preset's, else the pipeline's own)."
        )
        guidance: float | None = Field(
            default=None, ge=0, le=30, description="Guidance scale (default: the preset's, else the pipeline's own)."
        )
        negative_prompt: str = Field(default="low quality, distorted", description="What the sound should not be.")
        memory: Literal["auto", "none", "model-offload", "group-offload"] = Field(
            default="auto", description="auto: the weakest policy the free GPU memory allows."
        )
        device: str | None = Field(default=None, description="cuda, cuda:1, cpu… (default: cuda when available).")

    def __init__(self, options: Options) -> None:
        if importlib.util.find_spec("torch") is None or importlib.util.find_spec("diffusers") is None:
            raise GenerationError(NEEDS_EXTRA)
        self.options = options
        self.source, self.preset = resolve_audio_model(options.model)
        if self.source.pipeline not in AUDIO_PIPELINES:
            raise GenerationError(
                f"{options.model} is a {self.source.pipeline}, not a sound model Reelwright can drive ({', '.join(AUDIO_PIPELINES)})."
            )
        self.model_identity = self.source.identity
        #: What the model makes (a folder or hub id: both); the other kind comes from the procedural generator,
        #: so a music-only model never turns rain into a tune.
        self.kinds: tuple[Kind, ...] = self.preset.kinds if self.preset else ("music", "ambience")
        self.other_kinds = ProceduralSound()

    @property
    def steps(self) -> int | None:
        """Denoising steps: the options', the preset's, or (None) the pipeline's own default."""
        return self.options.steps or (self.preset.steps if self.preset else None)

    @property
    def guidance(self) -> float | None:
        if self.options.guidance is not None:
            return self.options.guidance
        return self.preset.guidance if self.preset else None

    def generate(self, request: SoundRequest, progress: Progress) -> Sound:
        """Make the sound; on running out of memory, free the model and try once more under the next policy."""
        if request.kind not in self.kinds:
            return self.other_kinds.generate(request, progress)
        import torch

        device = self.device()
        policy = self.memory_policy(device)
        for _attempt in (1, 2):
            key = self.pipeline_key(device, policy)
            pipe = WARM.get(key, partial(self.load, device, policy), self.memory_needed(policy))
            try:
                return self.make(pipe, request, progress)
            except torch.OutOfMemoryError:
                WARM.drop(key)  # frees it; the retry loads it placed more frugally
                if device != "cpu":
                    policy = MEMORY_POLICIES[min(MEMORY_POLICIES.index(policy) + 1, len(MEMORY_POLICIES) - 1)]
        raise GenerationError(
            f"Not enough memory to make {request.duration_s:g} s of {request.kind} with {self.options.model}; "
            "choose a shorter sound or a smaller model."
        )

    def make(self, pipe: Any, request: SoundRequest, progress: Progress) -> Sound:
        """One call per ``longest_call_s`` (at most), equal lengths, seeds ``seed``, ``seed + 1``…, crossfaded."""
        rate = sampling_rate(pipe)
        longest = longest_call_s(pipe) - length_step_s(pipe)  # room to ask for a little more than is kept
        if self.preset is not None:
            longest = min(longest, self.preset.longest_s)
        crossfade = min(CROSSFADE_S, longest / 4)
        calls = 1 if request.duration_s <= longest else math.ceil((request.duration_s - crossfade) / (longest - crossfade))
        seconds = (request.duration_s + (calls - 1) * crossfade) / calls
        pieces = [
            self.call(pipe, request, seconds, request.seed + index, partial(share, progress, index, calls), rate) for index in range(calls)
        ]
        return Sound(exact_length(crossfaded(pieces, round(crossfade * rate)), round(request.duration_s * rate)), rate)

    def call(self, pipe: Any, request: SoundRequest, seconds: float, seed: int, progress: Progress, rate: int) -> np.ndarray:
        """One pipeline call making ``seconds`` of sound: float32 (channels, n), n = round(seconds * rate)."""
        import torch

        accepted = inspect.signature(pipe.__call__).parameters
        steps = self.steps or int(accepted["num_inference_steps"].default)

        def on_step(step: int, timestep: Any, latents: Any) -> None:
            progress(min(1.0, (step + 1) / steps))

        negative = self.options.negative_prompt
        if request.kind == "ambience":
            negative = ", ".join(part for part in (negative, "music") if part)  # ambience is the place, not a score
        asked = min(seconds + length_step_s(pipe), longest_call_s(pipe))  # lengths round down to the model's step; extra is trimmed
        offered = {
            "prompt": prompt_for(request),
            "negative_prompt": negative or None,
            "audio_end_in_s": asked,
            "audio_length_in_s": asked,
            "num_inference_steps": steps,
            "guidance_scale": self.guidance,
            "generator": torch.Generator(device="cpu").manual_seed(seed),
            "output_type": "np",
            "callback": on_step,
            "callback_steps": 1,
        }
        with torch.inference_mode():
            output = pipe(**{key: value for key, value in offered.items() if key in accepted and value is not None})
        samples = np.asarray(output.audios[0], dtype=np.float32)
        samples = samples[None] if samples.ndim == 1 else samples
        if not np.isfinite(samples).all():
            raise GenerationError(f"{self.options.model} made invalid sound (not a number); try dtype float32.")
        return exact_length(np.clip(samples, -1.0, 1.0), round(seconds * rate))

    # loading ----------------------------------------------------------------------------------------
    def device(self) -> str:
        import torch

        return self.options.device or ("cuda" if torch.cuda.is_available() else "cpu")

    def torch_dtype(self, device: str) -> Any:
        import torch

        name: str = self.options.dtype
        if name == "auto":
            name = (self.preset.dtype if self.preset else "float16") if device != "cpu" else "float32"
        return getattr(torch, name)

    def memory_policy(self, device: str) -> str:
        return weakest_policy(device, self.options.memory, self.memory_needed)

    def memory_needed(self, policy: str) -> int:
        """Bytes the model needs under ``policy``: the preset's table, or 1.5x the folder's weights."""
        if self.preset is not None:
            return int(self.preset.memory_gb.get(policy, max(self.preset.memory_gb.values())) * 2**30)
        return int(self.weights_bytes * 1.5)

    @cached_property
    def weights_bytes(self) -> int:
        return weights_size(self.source.location)

    def pipeline_key(self, device: str, policy: str) -> tuple[object, ...]:
        """The warm cache's key (shared with the video models; the device must be third)."""
        return (self.source.identity, str(self.torch_dtype(device)), device, policy, self.name)

    def load(self, device: str, policy: str) -> Any:
        """``DiffusionPipeline.from_pretrained``, as for downloaded weights, then placed by the memory policy."""
        from diffusers import DiffusionPipeline
        from diffusers.utils import logging as diffusers_logging
        from transformers.utils import logging as transformers_logging

        diffusers_logging.disable_progress_bar()  # progress is the job's, not a terminal bar per component
        transformers_logging.disable_progress_bar()

        dtype = self.torch_dtype(device)
        try:
            parts = replaced_components(self.source, dtype)
            pipe = DiffusionPipeline.from_pretrained(self.source.location, revision=self.source.revision, dtype=dtype, **parts)
        except ImportError as error:  # e.g. Stable Audio's scheduler needs torchsde
            raise GenerationError(f"{self.options.model} needs a package that is not installed: {' '.join(str(error).split())}") from None
        except (OSError, ValueError) as error:
            raise GenerationError(self.not_loaded(error)) from error
        pipe.set_progress_bar_config(disable=True)
        place(pipe, device, policy, dtype, fp8=False)
        if getattr(pipe, "vocoder", None) is not None:
            pipe.vae.disable_tiling()  # AudioLDM 2's VAE sees a mel spectrogram as an image: no image tiles for it
        return pipe

    def not_loaded(self, error: Exception) -> str:
        """One line: what failed and, for a hub model, the command that downloads it."""
        if self.source.folder is not None:
            return f"Could not load the model folder {self.source.folder} ({type(error).__name__}: {' '.join(str(error).split())})."
        pull = f"`reelwright models pull {self.source.location}`"
        why = f"Could not load {self.options.model} ({type(error).__name__}); if it is not downloaded, run {pull}"
        if self.preset is not None and self.preset.gated:
            return f"{why} after accepting its licence on its Hugging Face page and logging in (`hf auth login`)."
        return f"{why}."


def share(progress: Progress, index: int, calls: int, fraction: float) -> None:
    """Progress of call ``index`` of ``calls`` as a fraction of the whole sound."""
    progress((index + fraction) / calls)


def prompt_for(request: SoundRequest) -> str:
    """Ambience is asked for as a sound of the place; music takes the plan's style as its mood."""
    if request.kind == "ambience":
        return f"ambient sound of {request.prompt}"
    return ", ".join(part for part in (request.prompt, f"{request.style} mood" if request.style else "") if part)


def replaced_components(source: ModelSource, dtype: Any) -> dict[str, Any]:
    """Components to load in place of what the folder names. AudioLDM 2's published checkpoints name a
    ``GPT2Model`` as language model, which has no generation methods under transformers 5; the pipeline
    calls them, so the same weights are loaded as ``GPT2LMHeadModel`` (its language-model head is tied
    to the embeddings, so nothing new is initialised)."""
    if source.pipeline != "AudioLDM2Pipeline":
        return {}
    from transformers import GPT2LMHeadModel

    return {
        "language_model": GPT2LMHeadModel.from_pretrained(
            source.location, subfolder="language_model", revision=source.revision or "main", dtype=dtype
        )
    }


def sampling_rate(pipe: Any) -> int:
    """Samples per second of what the pipeline makes: its vocoder's (AudioLDM 2) or its VAE's (Stable Audio)."""
    vocoder = getattr(pipe, "vocoder", None)
    return int(vocoder.config.sampling_rate if vocoder is not None else pipe.vae.config.sampling_rate)


def longest_call_s(pipe: Any) -> float:
    """The most one call should make: Stable Audio's latent length, or the longest duration its conditioning
    knows if shorter (it cannot make more); AudioLDM 2's trained length (it can make more, but worse)."""
    vocoder = getattr(pipe, "vocoder", None)
    if vocoder is not None:  # latent rows -> mel frames -> samples
        return float(
            pipe.unet.config.sample_size * pipe.vae_scale_factor * np.prod(vocoder.config.upsample_rates) / vocoder.config.sampling_rate
        )
    latent_s = pipe.transformer.config.sample_size * pipe.vae.hop_length / pipe.vae.config.sampling_rate
    return float(min(latent_s, pipe.projection_model.config.max_value))


def length_step_s(pipe: Any) -> float:
    """What a call's length is rounded down to: AudioLDM 2 makes whole VAE blocks of mel frames, Stable Audio
    whole samples (two, against rounding)."""
    vocoder = getattr(pipe, "vocoder", None)
    if vocoder is not None:
        return float(np.prod(vocoder.config.upsample_rates) * pipe.vae_scale_factor / vocoder.config.sampling_rate)
    return 2 / pipe.vae.config.sampling_rate


def exact_length(samples: np.ndarray, length: int) -> np.ndarray:
    """``samples`` cut, or padded with silence, to ``length`` samples."""
    if samples.shape[-1] >= length:
        return samples[..., :length]
    return np.pad(samples, ((0, 0), (0, length - samples.shape[-1])))


def crossfaded(pieces: list[np.ndarray], overlap: int) -> np.ndarray:
    """Pieces joined end to start, each overlap an equal-power crossfade (the pieces are independent takes)."""
    joined = pieces[0]
    ramp = np.linspace(0.0, np.pi / 2, overlap, dtype=np.float32)
    for piece in pieces[1:]:
        kept = joined.shape[1] - overlap
        middle = joined[:, kept:] * np.cos(ramp) + piece[:, :overlap] * np.sin(ramp)
        joined = np.concatenate([joined[:, :kept], middle, piece[:, overlap:]], axis=1)
    return joined
