"""Real video models through diffusers: a preset, a hub id or a local folder, loaded the published way.

``DiffusionPipeline.from_pretrained`` picks the pipeline class from the folder's ``model_index.json``,
so Wan, LTX-Video, CogVideoX and Stable Video Diffusion (text- and image-to-video) load and run through
one path; what differs per family is data (``presets.FAMILY_RULES``) and which call arguments the
pipeline accepts (read from its signature). On a GPU the model runs in bf16 (or the preset's dtype)
under a memory policy chosen from free memory, with per-step progress, cancelling between steps, and
one retry under a stronger policy after running out of memory. torch and diffusers are imported only
when a model is used, so the embedded default never loads them.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.util
import inspect
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageOps
from pydantic import BaseModel, Field

from reelwright.errors import GenerationError
from reelwright.generation.backends import ClipRequest, Progress
from reelwright.generation.capabilities import Capabilities
from reelwright.generation.model_hub import NEEDS_EXTRA
from reelwright.generation.presets import FAMILY_RULES, MEMORY_POLICIES, PRESETS, Preset

CAMERA_WORDS = {
    "static": "static camera",
    "pan_left": "slow camera pan to the left",
    "pan_right": "slow camera pan to the right",
    "tilt_up": "camera tilts up",
    "tilt_down": "camera tilts down",
    "zoom_in": "slow zoom in",
    "zoom_out": "slow zoom out",
    "orbit": "camera orbits around the subject",
}
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth")


@dataclass(frozen=True)
class ModelSource:
    """Where a model's weights are (a folder or a hub id) and what is known about it before loading."""

    reference: str
    location: str
    revision: str | None
    pipeline: str
    identity: str
    preset: Preset | None = None
    folder: Path | None = None


def resolve_model(reference: str) -> ModelSource:
    """A preset id, a folder saved with ``save_pretrained``, or a hub id whose ``model_index.json`` is cached."""
    preset = PRESETS.get(reference)
    if preset is not None:
        return ModelSource(reference, preset.hub_id, preset.revision, preset.pipeline, f"{preset.hub_id}@{preset.revision}", preset)
    folder = Path(reference).expanduser()
    if folder.is_dir():
        index = folder / "model_index.json"
        if not index.is_file():
            raise GenerationError(f"{folder} is not a diffusers model folder (it has no model_index.json).")
        return ModelSource(reference, str(folder.resolve()), None, pipeline_class(index), folder_fingerprint(folder), folder=folder)
    if reference.count("/") == 1 and not reference.startswith((".", "/", "~")):
        index_path = cached_file(reference, "model_index.json")
        if index_path is None:
            raise GenerationError(f"Model {reference} is not downloaded; run `reelwright models pull {reference}`.")
        return ModelSource(reference, reference, None, pipeline_class(index_path), f"{reference}@{index_path.parent.name}")
    raise GenerationError(f"Unknown model {reference!r}: use a preset (`reelwright models list`), a hub id, or a model folder.")


def pipeline_class(index: Path) -> str:
    try:
        return str(json.loads(index.read_text(encoding="utf-8"))["_class_name"])
    except (OSError, ValueError, KeyError) as error:
        raise GenerationError(f"{index} does not name a pipeline class ({error}).") from error


def folder_fingerprint(folder: Path) -> str:
    """What identifies a model folder's weights without reading them all: every config file's content and
    every weight file's name and size. Retrained or swapped weights change it; moving the folder does not."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if path.suffix == ".json":
            digest.update(relative.encode() + b"\0" + path.read_bytes())
        elif path.suffix in WEIGHT_SUFFIXES:
            digest.update(f"{relative}\0{path.stat().st_size}".encode())
    return f"folder:{digest.hexdigest()[:24]}"


def spatial_multiple(folder: Path) -> int:
    """What a folder's own configs say frame sides must divide by: the VAE's spatial compression times the
    transformer's patch (Wan 2.2's 5B packs 2x2 patches into a 16x VAE: 32), or 1 when they do not say."""
    try:
        vae = json.loads((folder / "vae" / "config.json").read_text(encoding="utf-8"))
        transformer = json.loads((folder / "transformer" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 1
    compression, patch = vae.get("scale_factor_spatial"), transformer.get("patch_size")
    patch = patch[-1] if isinstance(patch, list) else patch
    return int(compression) * int(patch) if isinstance(compression, int) and isinstance(patch, int) else 1


def cached_file(repo_id: str, filename: str) -> Path | None:
    """A file of a hub repository from the local Hugging Face cache, without any network access."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, filename)
    return Path(found) if isinstance(found, str) else None


def weakest_policy(device: str, chosen: str, needed: Callable[[str], int]) -> str:
    """``chosen`` unless it is "auto", else the weakest memory policy whose need fits in free GPU memory
    ("none" on a CPU): video and audio models choose the same way."""
    if device == "cpu":
        return "none"
    if chosen != "auto":
        return chosen
    free = free_memory(device)
    return next((policy for policy in MEMORY_POLICIES if needed(policy) < free * 0.9), MEMORY_POLICIES[-1])


def weights_size(location: str) -> int:
    """Bytes of a model folder's weight files (0 for a hub id)."""
    folder = Path(location)
    return sum(p.stat().st_size for p in folder.rglob("*") if p.suffix in WEIGHT_SUFFIXES) if folder.is_dir() else 0


class DiffusersBackend:
    """Text-to-video or image-to-video with a diffusers pipeline; which one follows from the model."""

    name = "diffusers"
    version = "1"
    #: Options that change the pixels (part of every clip's cache key); memory and speed settings do not.
    pixel_options = ("dtype", "steps", "guidance", "step_cache")

    class Options(BaseModel):
        """``[backend_options.diffusers]``, or ``--model`` for one request."""

        model: str = Field(description="A preset id (`reelwright models list`), a Hugging Face hub id, or a save_pretrained folder.")
        dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
            default="auto", description="auto: the preset's dtype (bf16) on a GPU, float32 on a CPU."
        )
        steps: int | None = Field(default=None, ge=1, le=500, description="Denoising steps (default: the preset's).")
        guidance: float | None = Field(default=None, ge=0, le=30, description="Guidance scale (default: the preset's).")
        memory: Literal["auto", "none", "model-offload", "group-offload"] = Field(
            default="auto", description="auto: the weakest policy the free GPU memory allows, from the preset's table."
        )
        fp8: bool = Field(default=False, description="Store the transformer's weights in fp8 (layerwise casting): about half the memory.")
        step_cache: Literal["none", "first-block", "pyramid"] = Field(
            default="none", description="Reuse work between denoising steps (First-Block-Cache, Pyramid Attention Broadcast): faster."
        )
        compile: bool = Field(default=False, description="torch.compile the transformer (slow first call, faster after).")
        device: str | None = Field(default=None, description="cuda, cuda:1, cpu… (default: cuda when available).")
        area: int | None = Field(default=None, ge=32 * 32, description="Render this many pixels per frame instead of the model's own.")
        max_frames: int | None = Field(default=None, ge=1, description="The most frames per call (longer shots are chained).")

    def __init__(self, options: Options) -> None:
        if importlib.util.find_spec("torch") is None or importlib.util.find_spec("diffusers") is None:
            raise GenerationError(NEEDS_EXTRA)
        self.options = options
        self.source = resolve_model(options.model)
        rules = self.source.preset.capabilities if self.source.preset else FAMILY_RULES.get(self.source.pipeline)
        if rules is None:
            raise GenerationError(f"{options.model} is a {self.source.pipeline}, which Reelwright cannot drive yet.")
        if self.source.folder is not None:
            rules = replace(rules, size_multiple=max(rules.size_multiple, spatial_multiple(self.source.folder)))
        self.capabilities = adjusted(rules, options.area, options.max_frames)
        self.model_identity = self.source.identity

    @property
    def steps(self) -> int:
        return self.options.steps or (self.source.preset.steps if self.source.preset else 30)

    @property
    def guidance(self) -> float:
        if self.options.guidance is not None:
            return self.options.guidance
        return self.source.preset.guidance if self.source.preset else 5.0

    def render(self, request: ClipRequest, progress: Progress) -> Iterator[np.ndarray]:
        """Call the model once; on running out of memory, free it and try once more under the next policy."""
        import torch

        device = self.device()
        policy = self.memory_policy(device)
        for attempt in (1, 2):
            pipe = WARM.get(self.pipeline_key(device, policy), partial(self.load, device, policy), self.memory_needed(policy))
            try:
                frames = self.call(pipe, request, progress, device)
                break
            except torch.OutOfMemoryError:
                WARM.drop(self.pipeline_key(device, policy))  # frees it; the retry loads it placed more frugally
                if attempt == 2:
                    raise GenerationError(
                        f"Not enough memory to make a {request.width}x{request.height}, {request.num_frames}-frame clip with "
                        f"{self.options.model}; choose a shorter shot, a smaller size or a smaller model."
                    ) from None
                if device != "cpu":
                    policy = MEMORY_POLICIES[min(MEMORY_POLICIES.index(policy) + 1, len(MEMORY_POLICIES) - 1)]
        yield from frames

    def call(self, pipe: Any, request: ClipRequest, progress: Progress, device: str) -> list[np.ndarray]:
        import torch

        def on_step(pipeline: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            progress((step + 1) / max(1, getattr(pipeline, "num_timesteps", 0) or self.steps))
            return tensors

        image = None
        if request.source_image is not None:
            with Image.open(request.source_image) as opened:
                image = ImageOps.fit(ImageOps.exif_transpose(opened).convert("RGB"), (request.width, request.height))
        elif self.capabilities.needs_image:
            raise GenerationError(f"{self.options.model} animates an image; this shot has none.")
        offered = {
            "prompt": ", ".join(part for part in (request.prompt, CAMERA_WORDS.get(request.camera, ""), request.style) if part),
            "negative_prompt": request.negative_prompt or None,
            "image": image,
            "height": request.height,
            "width": request.width,
            "num_frames": request.num_frames,
            "frame_rate": request.fps,
            "fps": request.fps,
            "num_inference_steps": self.steps,
            "guidance_scale": self.guidance,
            "max_guidance_scale": self.guidance,
            "generator": torch.Generator(device="cpu").manual_seed(request.seed),
            "output_type": "np",
            "callback_on_step_end": on_step,
        }
        accepted = inspect.signature(pipe.__call__).parameters
        with torch.inference_mode():
            output = pipe(**{key: value for key, value in offered.items() if key in accepted and value is not None})
        video = np.asarray(output.frames[0])
        frames = [np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8) for frame in video]
        while len(frames) < request.num_frames:  # a family that makes fewer than asked ends on its last frame
            frames.append(frames[-1])
        return frames[: request.num_frames]

    # loading ----------------------------------------------------------------------------------------
    def device(self) -> str:
        import torch

        return self.options.device or ("cuda" if torch.cuda.is_available() else "cpu")

    def torch_dtype(self, device: str) -> Any:
        import torch

        name: str = self.options.dtype
        if name == "auto":
            name = (self.source.preset.dtype if self.source.preset else "bfloat16") if device != "cpu" else "float32"
        return getattr(torch, name)

    def memory_policy(self, device: str) -> str:
        return weakest_policy(device, self.options.memory, self.memory_needed)

    def memory_needed(self, policy: str) -> int:
        """Bytes the model needs under ``policy``: the preset's table, or 1.5x the folder's weights."""
        preset = self.source.preset
        if preset is not None:
            return int(preset.memory_gb.get(policy, max(preset.memory_gb.values())) * 2**30)
        return int(self.weights_bytes * 1.5)

    @cached_property
    def weights_bytes(self) -> int:
        """The size of a model folder's weight files, read once (renders ask for it every call)."""
        return weights_size(self.source.location)

    def pipeline_key(self, device: str, policy: str) -> tuple[object, ...]:
        options = self.options
        return (self.source.identity, str(self.torch_dtype(device)), device, policy, options.fp8, options.step_cache, options.compile)

    def load(self, device: str, policy: str) -> Any:
        """``DiffusionPipeline.from_pretrained``, as for downloaded weights, then placed by the memory policy."""
        from diffusers import DiffusionPipeline
        from diffusers.utils import logging as diffusers_logging
        from transformers.utils import logging as transformers_logging

        diffusers_logging.disable_progress_bar()  # progress is the job's, not a terminal bar per component
        transformers_logging.disable_progress_bar()

        try:
            pipe = DiffusionPipeline.from_pretrained(self.source.location, revision=self.source.revision, dtype=self.torch_dtype(device))
        except (OSError, ValueError) as error:
            raise GenerationError(
                f"Could not load {self.options.model} ({type(error).__name__}); if it is not downloaded, run "
                f"`reelwright models pull {self.options.model}`."
            ) from error
        pipe.set_progress_bar_config(disable=True)
        place(pipe, device, policy, self.torch_dtype(device), fp8=self.options.fp8)
        denoiser = getattr(pipe, "transformer", None)
        if self.options.step_cache != "none":
            if denoiser is None or not hasattr(denoiser, "enable_cache"):
                raise GenerationError(f"{self.options.model} has no transformer that can cache steps; set step_cache to none.")
            try:
                denoiser.enable_cache(step_cache_config(self.options.step_cache, pipe))
            except (ValueError, IndexError, TypeError) as error:
                raise GenerationError(f"{self.options.model} cannot use the {self.options.step_cache} step cache ({error}).") from error
        if self.options.compile and denoiser is not None:
            import torch

            pipe.transformer = torch.compile(denoiser)
        return pipe


def adjusted(rules: Capabilities, area: int | None, max_frames: int | None) -> Capabilities:
    frames = rules.frames
    if max_frames is not None and not frames.fixed:
        frames = replace(frames, maximum=max(frames.minimum, max_frames))
    if area is not None:  # a chosen pixel budget replaces the model's own sizes
        return replace(rules, area=area, sizes=(), frames=frames)
    return replace(rules, frames=frames)


def place(pipe: Any, device: str, policy: str, dtype: Any, *, fp8: bool) -> None:
    """Put a pipeline where it runs: all on the device, or offloaded so it fits (VAE tiled when memory is short)."""
    import torch

    denoiser = getattr(pipe, "transformer", None)
    if fp8 and device != "cpu" and denoiser is not None and hasattr(denoiser, "enable_layerwise_casting"):
        denoiser.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=dtype)
    if device == "cpu" or policy == "none":
        pipe.to(device)
    elif policy == "model-offload":
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.enable_group_offload(onload_device=torch.device(device), offload_type="leaf_level", use_stream=True)
    vae = getattr(pipe, "vae", None)
    if policy != "none" and vae is not None and hasattr(vae, "enable_tiling"):
        vae.enable_tiling()


def step_cache_config(kind: str, pipe: Any) -> Any:
    from diffusers import FirstBlockCacheConfig, PyramidAttentionBroadcastConfig

    if kind == "first-block":
        return FirstBlockCacheConfig(threshold=0.05)
    return PyramidAttentionBroadcastConfig(
        spatial_attention_block_skip_range=2,
        spatial_attention_timestep_skip_range=(100, 800),
        current_timestep_callback=lambda: pipe.current_timestep,
    )


def free_memory(device: str) -> int:
    """Bytes free on the device (for a CPU, available system memory)."""
    import torch

    if device.startswith("cuda"):
        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    import psutil

    return int(psutil.virtual_memory().available)


class WarmPipelines:
    """Loaded pipelines kept for the next call, one cache per process, evicted by memory rather than count:
    before a load, the least recently used are released until the new one fits."""

    def __init__(self) -> None:
        self._loaded: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], load: Callable[[], Any], need_bytes: int) -> Any:
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
            device = str(key[2])
            while self._loaded and free_memory(device) < need_bytes:
                self._release(next(iter(self._loaded)))
            pipe = load()
            self._loaded[key] = pipe
            return pipe

    def drop(self, key: tuple[object, ...]) -> None:
        with self._lock:
            if key in self._loaded:
                self._release(key)

    def _release(self, key: tuple[object, ...]) -> None:
        import torch

        del self._loaded[key]
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def __len__(self) -> int:
        return len(self._loaded)


WARM = WarmPipelines()
