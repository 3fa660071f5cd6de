"""Talking portraits with Wan2.2-S2V-14B: a photo and speech become a lip-synced, gesturing video.

The model runs through DiffSynth-Studio (PyPI ``diffsynth``), whose ``WanVideoPipeline`` drives Wan2.2-S2V
(``input_audio`` / ``audio_embeds``, ``motion_video``). Its own ``from_pretrained`` downloads from ModelScope
and recognises files by a hash of their tensor names and shapes; Reelwright instead reads the files of the
published Hugging Face repository (``Wan-AI/Wan2.2-S2V-14B``) from a local folder or the Hugging Face cache,
never downloading at run time, and builds each component with diffsynth's own ``load_model`` (its memory
management included) from a configuration read from the folder: the DiT's ``config.json``, the wav2vec2
folder's ``config.json``, and the text encoder's and VAE's sizes read from their tensors' shapes. The same
code therefore loads the published 14B weights and a tiny random set saved in the same layout (the tests).

The model's rules are its own: 16 fps, clips of ``4n`` new frames (``4n + 1`` with the reference frame),
sides in multiples of 64, speech at 16 kHz. A request is met by placing its speech on a 16 kHz track as
long as the shot, generating enough clips at 16 fps (each clip continuing from the previous one's last 73
frames, as diffsynth's ``motion_video`` expects), then resampling to the request's frame rate and fitting
the frames to its size. Speech past the shot's end is not heard in it, so it is not animated either.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property, partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageOps
from pydantic import BaseModel, ConfigDict, Field

from reelwright.errors import FaceProblem, GenerationError
from reelwright.generation.backends import Progress, TalkingRequest
from reelwright.generation.capabilities import Capabilities, FrameRule
from reelwright.generation.diffusers_backend import WARM, folder_fingerprint, weakest_policy, weights_size
from reelwright.generation.faces import read_photo, speaking_face
from reelwright.generation.model_hub import installed
from reelwright.generation.presets import MEMORY_POLICIES

HUB_ID = "Wan-AI/Wan2.2-S2V-14B"
NEEDS_EXTRA = "The wan-s2v talking backend needs the talking extra: pip install 'reelwright[talking]'."
#: The model's own rules: frames per second, the frame-count step, the side multiple, the speech sample rate.
MODEL_FPS = 16
FRAME_STEP = 4
SIZE_MULTIPLE = 64
SAMPLE_RATE = 16000
#: Pixels per frame the model makes by default (480p: 832x448) and the most new frames per call (5 s at 16 fps).
AREA = 832 * 448
LONGEST_CLIP = 80
#: Frames of earlier video a clip continues from (diffsynth's ``WanVideoUnit_S2V.process_motion_latents``).
MOTION_FRAMES = 73
#: GPU memory per memory policy as a share of the weights' size: about 80 / 40 / 20 GB for the published
#: 45 GB of bf16 weights at 480p (published: ~80 GB without offload, 16-24 GB with offload).
MEMORY_SHARE = {"none": 1.8, "model-offload": 0.9, "group-offload": 0.45}
#: The published files (Hugging Face layout of Wan-AI/Wan2.2-S2V-14B); folders end with "/".
DIT_FILES = "diffusion_pytorch_model*.safetensors"
TEXT_ENCODER_FILE = "models_t5_umt5-xxl-enc-bf16.pth"
VAE_FILE = "Wan2.1_VAE.pth"
AUDIO_FOLDER = "wav2vec2-large-xlsr-53-english"
TOKENIZER_FOLDER = "google/umt5-xxl"
#: The DiT of the published checkpoint (diffsynth's MODEL_CONFIGS entry for it); the folder's config.json overrides.
PUBLISHED_DIT: dict[str, Any] = {
    "dim": 5120,
    "in_dim": 16,
    "ffn_dim": 13824,
    "out_dim": 16,
    "text_dim": 4096,
    "freq_dim": 256,
    "eps": 1e-06,
    "patch_size": (1, 2, 2),
    "num_heads": 40,
    "num_layers": 40,
    "cond_dim": 16,
    "audio_dim": 1024,
    "num_audio_token": 4,
}
#: The published VAE's width (diffsynth's ``WanVideoVAE`` builds only this one).
PUBLISHED_VAE_DIM = 96
DEFAULT_NEGATIVE = (
    "blurry, low quality, worst quality, static picture, subtitles, watermark, ugly, deformed face, extra fingers, "
    "badly drawn hands, fused fingers, cluttered background, many people in the background"
)


@dataclass(frozen=True)
class TalkingPreset:
    """A published talking-portrait checkpoint (a photo and speech in, a lip-synced video out) and what
    Reelwright must know to use it: which talking backend runs it (``talking_backend``), its rules (new frames
    per call, frame rate, side multiple, pixels), the speech sample rate it hears, peak GPU memory per memory
    policy, and its licence. ``reelwright models`` lists, pulls and removes it like the video and audio presets."""

    id: str
    title: str
    hub_id: str
    backend: str
    pipeline: str
    capabilities: Capabilities
    sample_rate: int
    licence: str
    memory_gb: dict[str, float]
    memory_source: str = "estimate"
    revision: str = "main"
    dtype: str = "bfloat16"
    steps: int = 40
    guidance: float = 4.5

    @property
    def role(self) -> str:
        return "talking"


WAN_S2V_14B = TalkingPreset(
    "wan2.2-s2v-14b",
    "Wan2.2-S2V 14B talking portrait (photo + speech, 480p, 16 fps)",
    HUB_ID,
    backend="wan-s2v",
    pipeline="WanVideoPipeline",
    capabilities=Capabilities(
        size_multiple=SIZE_MULTIPLE,
        area=AREA,
        frames=FrameRule(multiple=FRAME_STEP, minimum=FRAME_STEP, maximum=LONGEST_CLIP),
        fps=MODEL_FPS,
        takes_image=True,
        needs_image=True,
    ),
    sample_rate=SAMPLE_RATE,
    licence="Apache-2.0",
    memory_gb={"none": 80.0, "model-offload": 40.0, "group-offload": 20.0},
    memory_source="published (about 80 GB without offload, 16-24 GB with offload, at 480p); the split between the offload policies is an estimate",
    steps=40,
    guidance=4.5,
)
TALKING_PRESETS: tuple[TalkingPreset, ...] = (WAN_S2V_14B,)


def talking_preset(reference: str) -> TalkingPreset | None:
    """The talking preset with this id, or None."""
    return next((preset for preset in TALKING_PRESETS if preset.id == reference), None)


@dataclass(frozen=True)
class WeightFiles:
    """Where each component of a Wan2.2-S2V download lies in its folder."""

    folder: Path
    dit: list[Path]
    text_encoder: Path
    vae: Path
    audio: Path
    tokenizer: Path

    @classmethod
    def find(cls, folder: Path, pull_hint: str) -> WeightFiles:
        """The files in ``folder``; a ``GenerationError`` naming what is missing and how to get it."""
        missing = cls.missing(folder)
        if missing:
            raise GenerationError(f"The Wan2.2-S2V weights in {folder} are incomplete (missing {', '.join(missing)}); {pull_hint}")
        dit = sorted(folder.glob(DIT_FILES))
        return cls(folder, dit, folder / TEXT_ENCODER_FILE, folder / VAE_FILE, folder / AUDIO_FOLDER, folder / TOKENIZER_FOLDER)

    @staticmethod
    def missing(folder: Path | None) -> list[str]:
        """The published files ``folder`` lacks (all of them for no folder): what a complete download has."""
        wanted = {
            DIT_FILES: folder is not None and any(folder.glob(DIT_FILES)),
            TEXT_ENCODER_FILE: folder is not None and (folder / TEXT_ENCODER_FILE).is_file(),
            VAE_FILE: folder is not None and (folder / VAE_FILE).is_file(),
            f"{AUDIO_FOLDER}/": folder is not None and (folder / AUDIO_FOLDER / "config.json").is_file(),
            f"{TOKENIZER_FOLDER}/": folder is not None and (folder / TOKENIZER_FOLDER).is_dir(),
        }
        return [name for name, present in wanted.items() if not present]


@dataclass(frozen=True)
class ClipPlan:
    """How a request is made at the model's rules: ``clips`` calls of ``clip_frames`` new frames each,
    at ``width`` x ``height``, covering at least ``needed`` frames at 16 fps."""

    clips: int
    clip_frames: int
    needed: int
    width: int
    height: int

    @property
    def seconds(self) -> float:
        return self.clips * self.clip_frames / MODEL_FPS


def plan_clips(request: TalkingRequest, area: int, longest_clip: int) -> ClipPlan:
    """The fewest clips of at most ``longest_clip`` frames, of equal length (a multiple of 4), that cover the
    shot at 16 fps; the model size keeps the request's aspect in about ``area`` pixels, sides multiples of 64."""
    needed = max(1, math.ceil(request.num_frames * MODEL_FPS / request.fps))
    clips = math.ceil(needed / longest_clip)
    clip_frames = FRAME_STEP * math.ceil(needed / (FRAME_STEP * clips))
    aspect = request.width / request.height
    width = max(SIZE_MULTIPLE, round(math.sqrt(area * aspect) / SIZE_MULTIPLE) * SIZE_MULTIPLE)
    height = max(SIZE_MULTIPLE, round(math.sqrt(area / aspect) / SIZE_MULTIPLE) * SIZE_MULTIPLE)
    return ClipPlan(clips, clip_frames, needed, width, height)


def speech_track(request: TalkingRequest, seconds: float) -> np.ndarray:
    """The request's speech at 16 kHz, placed ``speech_start_s`` into a silent track of ``seconds``."""
    import soxr

    speech = np.asarray(request.speech.samples, dtype=np.float32)
    if request.speech.sample_rate != SAMPLE_RATE:
        speech = soxr.resample(speech, request.speech.sample_rate, SAMPLE_RATE).astype(np.float32)
    track = np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)
    start = max(0, round(request.speech_start_s * SAMPLE_RATE))
    kept = speech[: max(0, len(track) - start)]
    track[start : start + len(kept)] = kept
    return track


def reference_image(request: TalkingRequest, width: int, height: int) -> Image.Image:
    """The face to animate: the uploaded photo, else the shot's first frame, fitted to the model's size."""
    if request.face_image is not None:
        image = Image.fromarray(read_photo(request.face_image))
    elif request.base_frames is not None:
        first = next(iter(request.base_frames), None)
        if first is None:
            raise FaceProblem("The talking shot has no picture of a face; upload a portrait photo for it.")
        image = Image.fromarray(np.asarray(first, dtype=np.uint8)).convert("RGB")
    else:
        raise FaceProblem("The talking shot has no picture of a face; upload a portrait photo for it.")
    return around_face(image, width, height)


def around_face(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` cropped to the model's shape around the face that speaks (the one the plan chose, the largest),
    so a tall crop of a wide photo keeps it; centred when no face is found (the model may still find one)."""
    try:
        face = speaking_face(np.asarray(image)).face
    except FaceProblem:
        return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)
    centring = (min(1.0, max(0.0, face.center[0] / image.width)), min(1.0, max(0.0, face.center[1] / image.height)))
    return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS, centering=centring)


def fitted(frames: list[np.ndarray], request: TalkingRequest) -> Iterator[np.ndarray]:
    """Exactly ``num_frames`` frames at the request's rate and size from frames made at 16 fps."""
    size = (request.width, request.height)
    for index in range(request.num_frames):
        source = frames[min(len(frames) - 1, int(index * MODEL_FPS / request.fps))]
        image = Image.fromarray(source)
        if image.size != size:
            image = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
        yield np.asarray(image, dtype=np.uint8)


def stepped(report: Callable[[int], None], timesteps: Iterable[Any]) -> Iterator[Any]:
    """diffsynth's ``progress_bar_cmd``: the denoising loop's timesteps, reporting each finished step; an
    exception raised by ``report`` (``Cancelled``) leaves the loop."""
    for index, timestep in enumerate(timesteps):
        yield timestep
        report(index + 1)


# loading -------------------------------------------------------------------------------------------
def tensor_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Every tensor's shape in a weights file, without reading the tensors (safetensors header, or a memory map)."""
    import torch

    if path.suffix == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as opened:
            return {key: tuple(opened.get_slice(key).get_shape()) for key in opened.keys()}  # safe_open is no dict
    state = torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    state = state.get("model_state", state)
    return {key: tuple(value.shape) for key, value in state.items() if hasattr(value, "shape")}


def dit_config(files: WeightFiles) -> dict[str, Any]:
    """``WanS2VModel``'s arguments: the published ones, overridden by the folder's config.json where it names them."""
    import inspect

    from diffsynth.models.wan_video_dit_s2v import WanS2VModel

    config = dict(PUBLISHED_DIT)
    path = files.folder / "config.json"
    if path.is_file():
        accepted = inspect.signature(WanS2VModel.__init__).parameters
        given = json.loads(path.read_text(encoding="utf-8"))
        config.update({key: value for key, value in given.items() if key in accepted and key != "self"})
    config["patch_size"] = tuple(config["patch_size"])
    return config


def text_encoder_config(path: Path) -> dict[str, Any]:
    """``WanTextEncoder``'s sizes read from its tensors (umT5-XXL's encoder in the published file)."""
    shapes = tensor_shapes(path)
    vocab, dim = shapes["token_embedding.weight"]
    buckets, heads = shapes["blocks.0.pos_embedding.embedding.weight"]
    layers = len({key.split(".")[1] for key in shapes if key.startswith("blocks.")})
    return {
        "vocab": vocab,
        "dim": dim,
        "dim_attn": shapes["blocks.0.attn.q.weight"][0],
        "dim_ffn": shapes["blocks.0.ffn.fc1.weight"][0],
        "num_heads": heads,
        "num_layers": layers,
        "num_buckets": buckets,
        "shared_pos": False,
    }


def vae_config(path: Path) -> dict[str, Any]:
    """The Wan 2.1 VAE's width and latent channels read from its tensors (96 and 16 in the published file)."""
    shapes = tensor_shapes(path)
    return {"dim": shapes["encoder.conv1.weight"][0], "z_dim": shapes["conv2.weight"][0]}


@cache
def sized_classes() -> tuple[type, type]:
    """diffsynth's Wan VAE and wav2vec2 audio encoder, sized by their weights instead of fixed to the published
    sizes (diffsynth hard-codes them); for the published files they build exactly diffsynth's modules."""
    import torch
    from diffsynth.models.wan_video_vae import VideoVAE_, WanVideoVAE
    from diffsynth.models.wav2vec import WanS2VAudioEncoder
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    class SizedWanVideoVAE(WanVideoVAE):
        def __init__(self, dim: int = PUBLISHED_VAE_DIM, z_dim: int = 16) -> None:
            super().__init__(z_dim=z_dim)
            if dim != PUBLISHED_VAE_DIM:
                self.model = VideoVAE_(dim=dim, z_dim=z_dim).eval().requires_grad_(False)

    class SizedAudioEncoder(WanS2VAudioEncoder):
        def __init__(self, config: dict[str, Any]) -> None:
            torch.nn.Module.__init__(self)
            self.model = Wav2Vec2ForCTC(Wav2Vec2Config(**config))
            self.video_rate = 30

    return SizedWanVideoVAE, SizedAudioEncoder


def vram_config(policy: str, device: str, dtype: Any) -> dict[str, Any]:
    """diffsynth's placement of one model under a memory policy: all on the device; whole models moved to the
    device when used (model-offload); or layers streamed from CPU memory as computed (group-offload)."""
    offload = None if policy == "none" else "cpu"
    onload = "cpu" if policy == "group-offload" else device
    return {
        "offload_dtype": None if offload is None else dtype,
        "offload_device": offload,
        "onload_dtype": dtype,
        "onload_device": onload,
        "preparing_dtype": dtype,
        "preparing_device": device,
        "computation_dtype": dtype,
        "computation_device": device,
    }


def load_pipeline(files: WeightFiles, device: str, dtype: Any, policy: str) -> Any:
    """A diffsynth ``WanVideoPipeline`` with the four Wan2.2-S2V models, tokenizer and audio processor,
    assembled as its ``from_pretrained`` does, from the files of a local folder."""
    from diffsynth.core.loader import load_model
    from diffsynth.models.model_loader import ModelPool
    from diffsynth.models.wan_video_dit_s2v import WanS2VModel
    from diffsynth.models.wan_video_text_encoder import HuggingfaceTokenizer, WanTextEncoder
    from diffsynth.pipelines.wan_video import WanVideoPipeline
    from diffsynth.utils.state_dict_converters.wan_video_vae import WanVideoVAEStateDictConverter
    from diffsynth.utils.state_dict_converters.wans2v_audio_encoder import WanS2VAudioEncoderStateDictConverter
    from transformers import Wav2Vec2Processor

    vae_class, audio_class = sized_classes()
    placement = vram_config(policy, device, dtype)
    limit = None
    if policy == "group-offload":
        import torch

        limit = torch.cuda.mem_get_info(device)[1] / 2**30 - 2  # diffsynth's own suggestion: all but 2 GB

    def part(model_class: type, published: str, paths: list[Path], config: dict[str, Any], converter: Any = None) -> Any:
        """One model, loaded like diffsynth's ``ModelPool.load_model_file`` (memory management by the published class)."""
        return load_model(
            model_class,
            [str(path) for path in paths] if len(paths) > 1 else str(paths[0]),
            config,
            dtype,
            device,
            converter,
            use_disk_map=True,
            module_map=ModelPool().fetch_module_map(published, placement),
            vram_config=placement,
            vram_limit=limit,
        )

    audio_config = json.loads((files.audio / "config.json").read_text(encoding="utf-8"))
    audio_weights = sorted(files.audio.glob("*.safetensors")) or sorted(files.audio.glob("*.bin"))
    pipe = WanVideoPipeline(device=device, torch_dtype=dtype)
    pipe.dit = part(WanS2VModel, "diffsynth.models.wan_video_dit_s2v.WanS2VModel", files.dit, dit_config(files))
    pipe.text_encoder = part(
        WanTextEncoder,
        "diffsynth.models.wan_video_text_encoder.WanTextEncoder",
        [files.text_encoder],
        text_encoder_config(files.text_encoder),
    )
    pipe.vae = part(
        vae_class, "diffsynth.models.wan_video_vae.WanVideoVAE", [files.vae], vae_config(files.vae), WanVideoVAEStateDictConverter
    )
    pipe.audio_encoder = part(
        audio_class,
        "diffsynth.models.wav2vec.WanS2VAudioEncoder",
        audio_weights,
        {"config": audio_config},
        WanS2VAudioEncoderStateDictConverter,
    )
    pipe.height_division_factor = pipe.width_division_factor = pipe.vae.upsampling_factor * 2
    pipe.tokenizer = HuggingfaceTokenizer(name=str(files.tokenizer), seq_len=512, clean="whitespace")
    pipe.audio_processor = Wav2Vec2Processor.from_pretrained(str(files.audio))
    pipe.vram_management_enabled = pipe.check_vram_management_state()
    return pipe


class WanS2VBackend:
    """Photo + speech -> a lip-synced talking video with Wan2.2-S2V-14B (diffsynth), on a GPU."""

    name = "wan-s2v"
    version = "1"
    #: Wan2.2-S2V's frames are the finished pictures, not a labelled draft.
    draft = False
    #: Options that change the pixels (part of every clip's cache key); memory and device settings do not.
    pixel_options = ("dtype", "steps", "guidance", "area", "clip_frames", "negative_prompt")

    class Options(BaseModel):
        """``[backend_options.wan-s2v]``; a misspelt option is an error, not a silent default."""

        model_config = ConfigDict(extra="forbid")

        model: str = Field(
            default=HUB_ID,
            description=f"The preset id ({WAN_S2V_14B.id}) or Hugging Face hub id whose download is in the local cache "
            "(`reelwright models pull ID`).",
        )
        model_dir: Path | None = Field(
            default=None, description="A folder with the published files instead of the cache (e.g. from `hf download ID --local-dir DIR`)."
        )
        dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
            default="auto", description="auto: bf16 on a GPU, float32 on a CPU."
        )
        steps: int = Field(default=WAN_S2V_14B.steps, ge=1, le=200, description="Denoising steps per clip (the published examples use 40).")
        guidance: float = Field(
            default=WAN_S2V_14B.guidance, ge=0, le=30, description="Classifier-free guidance scale (1 turns it off: half the work)."
        )
        negative_prompt: str = Field(default=DEFAULT_NEGATIVE, description="What the video should not show.")
        area: int = Field(default=AREA, ge=64 * 64, description="Pixels per frame the model makes (480p: 832x448); the output is resized.")
        clip_frames: int = Field(
            default=LONGEST_CLIP,
            ge=FRAME_STEP,
            le=120,
            multiple_of=FRAME_STEP,
            description="The most new frames per model call (5 s at 16 fps).",
        )
        memory: Literal["auto", "none", "model-offload", "group-offload"] = Field(
            default="auto", description="auto: the weakest policy the free GPU memory allows."
        )
        device: str | None = Field(default=None, description="cuda, cuda:1, cpu… (default: cuda when available).")

    def __init__(self, options: Options) -> None:
        if importlib.util.find_spec("torch") is None or importlib.util.find_spec("diffsynth") is None:
            raise GenerationError(NEEDS_EXTRA)
        self.options = options
        self.files = WeightFiles.find(self.folder(), self.pull_hint)
        self.model_identity = folder_fingerprint(self.files.folder)

    @property
    def pull_hint(self) -> str:
        model = self.options.model
        preset = talking_preset(model)
        hub_id = preset.hub_id if preset else model
        return (
            f"download them with `reelwright models pull {model}` (about 49 GB), or `hf download {hub_id} --local-dir DIR` "
            "and set model_dir = DIR in [backend_options.wan-s2v]."
        )

    def folder(self) -> Path:
        """The weights' folder: ``model_dir``, else the model's snapshot in the Hugging Face cache (no network)."""
        if self.options.model_dir is not None:
            folder = self.options.model_dir.expanduser()
            if not folder.is_dir():
                raise GenerationError(f"The Wan2.2-S2V model_dir {folder} does not exist; {self.pull_hint}")
            return folder
        found = installed(self.options.model)
        if found is None or found.path is None:
            raise GenerationError(f"{self.options.model} is not downloaded; {self.pull_hint}")
        return found.path

    def render(self, request: TalkingRequest, progress: Progress) -> Iterator[np.ndarray]:
        """Make the clip; on running out of memory, free the model and try once more under the next policy."""
        import torch

        plan = plan_clips(request, self.options.area, self.options.clip_frames)
        image = reference_image(request, plan.width, plan.height)
        audio = speech_track(request, plan.seconds)
        device = self.device()
        policy = self.memory_policy(device)
        for attempt in (1, 2):
            key = self.pipeline_key(device, policy)
            pipe = WARM.get(key, partial(self.load, device, policy), self.memory_needed(policy))
            try:
                frames = self.generate(pipe, request, plan, image, audio, progress)
                break
            except torch.OutOfMemoryError:
                WARM.drop(key)  # frees it; the retry loads it placed more frugally
                if attempt == 2:
                    raise GenerationError(
                        f"Not enough memory to make a {plan.width}x{plan.height} talking clip with Wan2.2-S2V; "
                        "set a smaller area or clip_frames in [backend_options.wan-s2v]."
                    ) from None
                if device != "cpu":
                    policy = MEMORY_POLICIES[min(MEMORY_POLICIES.index(policy) + 1, len(MEMORY_POLICIES) - 1)]
        yield from fitted(frames, request)

    def generate(
        self, pipe: Any, request: TalkingRequest, plan: ClipPlan, image: Image.Image, audio: np.ndarray, progress: Progress
    ) -> list[np.ndarray]:
        """``plan.clips`` pipeline calls, each continuing from the last 73 frames made before it; 16 fps frames."""
        import torch
        from diffsynth.pipelines.wan_video import WanVideoUnit_S2V

        num_frames = plan.clip_frames + 1  # the pipeline's first frame is the reference image
        with torch.inference_mode():
            audio_embeds, _, _ = WanVideoUnit_S2V.pre_calculate_audio_pose(
                pipe,
                input_audio=audio,
                audio_sample_rate=SAMPLE_RATE,
                num_frames=num_frames,
                height=plan.height,
                width=plan.width,
                fps=MODEL_FPS,
            )
        made: list[np.ndarray] = []
        history = torch.zeros(1, 3, MOTION_FRAMES, plan.height, plan.width)  # the model's own start: no motion yet
        for clip in range(plan.clips):

            def report(step: int, clip: int = clip) -> None:
                progress(min(1.0, (clip + step / self.options.steps) / plan.clips))

            video = pipe(
                prompt=", ".join(part for part in (request.prompt, request.style) if part),
                negative_prompt=self.options.negative_prompt,
                input_image=image,
                audio_embeds=audio_embeds[clip],
                motion_video=history.to(dtype=pipe.torch_dtype, device=pipe.device) if clip else None,
                seed=request.seed + clip,
                num_frames=num_frames,
                height=plan.height,
                width=plan.width,
                num_inference_steps=self.options.steps,
                cfg_scale=self.options.guidance,
                progress_bar_cmd=partial(stepped, report),
            )
            new = [np.asarray(frame.convert("RGB"), dtype=np.uint8) for frame in video[-plan.clip_frames :]]
            made.extend(new)
            pixels = torch.from_numpy(np.stack(new)).permute(3, 0, 1, 2).float() / 127.5 - 1.0
            history = torch.cat([history[0], pixels], dim=1)[:, -MOTION_FRAMES:].unsqueeze(0)
        return made[: plan.needed]

    # loading ----------------------------------------------------------------------------------------
    def device(self) -> str:
        import torch

        return self.options.device or ("cuda" if torch.cuda.is_available() else "cpu")

    def torch_dtype(self, device: str) -> Any:
        import torch

        name: str = self.options.dtype
        if name == "auto":
            name = "bfloat16" if device != "cpu" else "float32"
        return getattr(torch, name)

    def memory_policy(self, device: str) -> str:
        return weakest_policy(device, self.options.memory, self.memory_needed)

    def memory_needed(self, policy: str) -> int:
        return int(self.weights_bytes * MEMORY_SHARE[policy])

    @cached_property
    def weights_bytes(self) -> int:
        return weights_size(str(self.files.folder))

    def pipeline_key(self, device: str, policy: str) -> tuple[object, ...]:
        """The warm cache's key (shared with the diffusers models; the device must be third)."""
        return (self.model_identity, str(self.torch_dtype(device)), device, policy, self.name)

    def load(self, device: str, policy: str) -> Any:
        try:
            return load_pipeline(self.files, device, self.torch_dtype(device), policy)
        except ImportError as error:
            raise GenerationError(f"diffsynth cannot be imported ({' '.join(str(error).split())}); {NEEDS_EXTRA}") from error
        except RuntimeError as error:
            if "torchvision" in str(error):  # diffsynth imports torchvision; a build for another torch fails on import
                raise GenerationError(
                    f"diffsynth cannot be imported: torchvision does not match the installed torch ({error}). "
                    "Install torch and torchvision from the same PyTorch index."
                ) from error
            raise
        except (OSError, KeyError, ValueError) as error:
            raise GenerationError(
                f"Could not load the Wan2.2-S2V weights in {self.files.folder} ({type(error).__name__}: {' '.join(str(error).split())}); "
                f"{self.pull_hint}"
            ) from error
