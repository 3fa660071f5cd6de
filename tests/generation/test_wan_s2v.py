"""Wan2.2-S2V through diffsynth, for real, with tiny random weights saved in the published layout.

The folder holds what Wan-AI/Wan2.2-S2V-14B publishes (sharded DiT safetensors with config.json, the umT5
encoder and the Wan 2.1 VAE as .pth files, the wav2vec2 folder, the umT5 tokenizer folder), made by
diffsynth's and transformers' own classes with a few channels each. The backend loads it through the code
that loads the 14B weights and runs diffsynth's ``WanVideoPipeline`` (prompt, reference image, audio
embeddings, motion frames from the previous clip, CFG, VAE decode); only the sizes are small.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from conftest import ffprobe
from PIL import Image
from skimage import data
from tiny_diffusers import t5_tokenizer

from reelwright.bot.render_service import RenderOutcome
from reelwright.bot.service import ConversationService
from reelwright.errors import Cancelled, FaceProblem, GenerationError
from reelwright.generation import wan_s2v
from reelwright.generation.backends import Speech, TalkingRequest, build_talking
from reelwright.generation.credentials import read_credentials
from reelwright.generation.faces import speaking_face
from reelwright.records import UserRef
from reelwright.settings import Settings

TEXT_DIM = 32
AUDIO_DIM = 16
#: Two steps, 64x64 frames, clips of 8 new frames: every part of the real pipeline, in well under a second a call.
FAST = {"steps": 2, "area": 64 * 64, "clip_frames": 8}


def tiny_weights(folder: Path) -> Path:
    """Random Wan2.2-S2V components with a few channels each, saved as Wan-AI/Wan2.2-S2V-14B publishes them."""
    from diffsynth.models.wan_video_dit_s2v import WanS2VModel
    from diffsynth.models.wan_video_text_encoder import WanTextEncoder
    from diffsynth.models.wan_video_vae import VideoVAE_
    from safetensors.torch import save_file
    from transformers import Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC, Wav2Vec2Processor

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    # 2 heads of 128: the 3-D rotary split needs head dims well above 64; z_dim 16 is fixed by the frame packer.
    dit_config = {
        "dim": 256,
        "in_dim": 16,
        "ffn_dim": 512,
        "out_dim": 16,
        "text_dim": TEXT_DIM,
        "freq_dim": 256,
        "eps": 1e-6,
        "patch_size": [1, 2, 2],
        "num_heads": 2,
        "num_layers": 2,
        "cond_dim": 16,
        "audio_dim": AUDIO_DIM,
        "num_audio_token": 4,
        "audio_inject_layers": [0, 1],
    }
    (folder / "config.json").write_text(json.dumps({"_class_name": "WanModel_S2V", "model_type": "s2v", **dit_config}), encoding="utf-8")
    dit = {key: value.contiguous() for key, value in WanS2VModel(**{**dit_config, "patch_size": (1, 2, 2)}).state_dict().items()}
    keys = sorted(dit)
    halves = (keys[: len(keys) // 2], keys[len(keys) // 2 :])
    for index, part in enumerate(halves, start=1):
        save_file({key: dit[key] for key in part}, str(folder / f"diffusion_pytorch_model-0000{index}-of-00002.safetensors"))

    text_encoder = WanTextEncoder(vocab=128, dim=TEXT_DIM, dim_attn=TEXT_DIM, dim_ffn=64, num_heads=4, num_layers=2, num_buckets=32)
    torch.save(text_encoder.state_dict(), folder / wan_s2v.TEXT_ENCODER_FILE)
    torch.save(VideoVAE_(dim=4, z_dim=16).state_dict(), folder / wan_s2v.VAE_FILE)
    t5_tokenizer(folder / wan_s2v.TOKENIZER_FOLDER)

    audio = folder / wan_s2v.AUDIO_FOLDER
    audio.mkdir()
    vocabulary = {
        "<pad>": 0,
        "<s>": 1,
        "</s>": 2,
        "<unk>": 3,
        "|": 4,
        **{letter: 5 + i for i, letter in enumerate("abcdefghijklmnopqrstuvwxyz'")},
    }
    (audio / "vocab.json").write_text(json.dumps(vocabulary), encoding="utf-8")
    processor = Wav2Vec2Processor(
        feature_extractor=Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True),
        tokenizer=Wav2Vec2CTCTokenizer(str(audio / "vocab.json")),
    )
    processor.save_pretrained(audio)
    # 24 layers as published: the DiT weighs all 25 hidden states of wav2vec2-large; 50 features a second (strides 320).
    wav2vec = Wav2Vec2ForCTC(
        Wav2Vec2Config(
            vocab_size=len(vocabulary),
            hidden_size=AUDIO_DIM,
            num_hidden_layers=24,
            num_attention_heads=2,
            intermediate_size=32,
            conv_dim=[16] * 7,
            num_conv_pos_embeddings=16,
            num_conv_pos_embedding_groups=2,
            do_stable_layer_norm=True,
            feat_extract_norm="layer",
        )
    )
    wav2vec.save_pretrained(audio)
    return folder


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)  # on shared cores the default threads make the same call vary by seconds
    return tiny_weights(tmp_path_factory.mktemp("wan-s2v"))


@pytest.fixture(scope="module")
def face(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("face") / "face.png"
    pixels = np.zeros((96, 80, 3), dtype=np.uint8)
    pixels[20:80, 15:65] = (210, 170, 140)
    Image.fromarray(pixels).save(path)
    return path


def backend(weights: Path, **options: Any) -> Any:
    """The backend as Reelwright builds it: by entry point name from its settings section."""
    settings = Settings(talking_backend="wan-s2v", backend_options={"wan-s2v": {"model_dir": str(weights), **FAST, **options}})
    return build_talking(settings)


def speech(seconds: float, rate: int = 22050) -> Speech:
    """Syllable-like bursts of a voiced tone at Piper's rate (the backend resamples to 16 kHz)."""
    t = np.arange(round(seconds * rate)) / rate
    return Speech((0.5 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32), rate)


def request(face: Path | None, **changes: Any) -> TalkingRequest:
    fields: dict[str, Any] = {
        "speech": speech(0.4),
        "speech_start_s": 0.05,
        "width": 72,
        "height": 56,
        "fps": 16,
        "num_frames": 8,
        "prompt": "a woman talks to the camera",
        "seed": 3,
        "face_image": face,
    }
    return TalkingRequest(**{**fields, **changes})


def test_a_photo_and_speech_become_exactly_the_requested_frames(weights: Path, face: Path) -> None:
    wan = backend(weights)
    fractions: list[float] = []
    frames = list(wan.render(request(face, speech=speech(0.8), fps=12, num_frames=10), fractions.append))

    assert len(frames) == 10
    assert all(frame.shape == (56, 72, 3) and frame.dtype == np.uint8 for frame in frames)
    # 10 frames at 12 fps are 14 at 16 fps: two clips of 8, two steps each, the second continuing the first.
    assert fractions == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert wan.draft is False


def test_the_same_request_makes_the_same_frames_and_the_model_stays_loaded(weights: Path, face: Path) -> None:
    wan = backend(weights)
    first = list(wan.render(request(face), lambda _: None))
    second = list(wan.render(request(face), lambda _: None))

    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_the_shot_frames_give_the_face_when_there_is_no_photo(weights: Path) -> None:
    base = [np.full((128, 64, 3), 128, dtype=np.uint8)] * 8
    frames = list(backend(weights).render(request(None, base_frames=base, width=64, height=128), lambda _: None))

    assert [frame.shape for frame in frames] == [(128, 64, 3)] * 8


def test_cancelling_stops_between_steps_and_the_next_render_still_works(weights: Path, face: Path) -> None:
    wan = backend(weights)
    seen: list[float] = []

    def cancel_after_first_step(fraction: float) -> None:
        seen.append(fraction)
        raise Cancelled("stopped")

    with pytest.raises(Cancelled):
        list(wan.render(request(face), cancel_after_first_step))
    assert seen == [0.5]
    assert len(list(wan.render(request(face), lambda _: None))) == 8


def test_no_face_at_all_is_a_face_problem(weights: Path) -> None:
    with pytest.raises(FaceProblem):
        list(backend(weights).render(request(None), lambda _: None))


def test_missing_weights_name_the_file_and_the_pull_command(weights: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    partial.mkdir()
    for path in weights.iterdir():
        if path.name != wan_s2v.VAE_FILE:
            (partial / path.name).symlink_to(path)

    with pytest.raises(GenerationError, match=r"missing Wan2\.1_VAE\.pth.*reelwright models pull Wan-AI/Wan2\.2-S2V-14B"):
        backend(partial)
    with pytest.raises(GenerationError, match=r"does not exist.*hf download"):
        backend(tmp_path / "nowhere")


def test_the_weights_identity_changes_with_the_weights(weights: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in weights.iterdir():
        (copy / path.name).symlink_to(path)
    (copy / "config.json").unlink()
    (copy / "config.json").write_text(json.dumps({**json.loads((weights / "config.json").read_text()), "eps": 1e-5}))

    assert backend(weights).model_identity == backend(weights).model_identity
    assert backend(copy).model_identity != backend(weights).model_identity


def test_torchvision_whose_compiled_ops_cannot_load_still_imports_beside_transformers() -> None:
    """diffsynth requires torchvision; PyPI's build for this torch is CUDA's, whose ops cannot load beside the CPU
    torch here. Imported after ``reelwright`` (as every entry point does) its Python part loads, so transformers
    models and diffsynth work; a fresh interpreter shows it, whichever build is installed."""
    script = "import reelwright, torchvision, diffsynth; from transformers import AutoModel; print('ok')"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")


def test_a_talking_plan_renders_through_the_pipeline_with_wan_s2v_named_in_its_credentials(weights: Path, tmp_path: Path) -> None:
    """The same service, pipeline and marks as every video; the talking shot made by the model, not a draft."""
    settings = Settings(
        data_dir=tmp_path / "data",
        llm_provider="template",
        talking_backend="wan-s2v",
        backend_options={"wan-s2v": {"model_dir": str(weights), **FAST}},
    )
    photo = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(photo)
    user = UserRef("test", "alice", "Alice")

    async def scenario() -> RenderOutcome:
        service = ConversationService(settings)
        try:
            version = await service.plan(user, "a square video. make the woman in this photo say: Hello there.", photo, consent=True)
            return await (await service.render(user, version.project_id)).result()
        finally:
            await service.close()

    made = asyncio.run(scenario())
    assert float(ffprobe(made.path)["format"]["duration"]) == pytest.approx(made.seconds, abs=0.1)
    models = dict(read_credentials(made.path).models)
    assert models[1].startswith("wan-s2v ")


def test_a_tall_crop_of_a_wide_photo_keeps_the_face_that_speaks() -> None:
    wide = np.full((512, 1400, 3), 200, dtype=np.uint8)
    wide[:, :512] = data.astronaut()  # the face near the left edge, where a centred crop would cut it out
    crop = wan_s2v.around_face(Image.fromarray(wide), 288, 512)
    assert crop.size == (288, 512)
    assert speaking_face(np.asarray(crop)).chosen_by == "only"
