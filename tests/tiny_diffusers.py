"""Tiny, randomly initialised diffusers video pipelines, saved the way real weights are published.

Each builder makes the real pipeline class from small configs (a few channels, one or two layers),
trains a tokenizer offline where the family needs one, and ``save_pretrained``s it into a folder.
Reelwright then loads the folder with ``DiffusionPipeline.from_pretrained`` exactly as it loads a
downloaded model: the code path is the production one; only the weights are small and random.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

SENTENCES = [
    "a red fox running through snow at dawn",
    "a lighthouse on a cliff at night with waves",
    "a paper boat floating on a quiet river",
    "a hot air balloon over green hills",
    "close up of rain drops on a window",
    "a city street with neon lights and people walking",
    "a cat sleeping in the sun on a wooden floor",
    "mountains under a starry sky, slow camera pan",
    "a train crossing a bridge in autumn",
    "waves crashing on rocks, cinematic, golden hour",
    "blurry, low quality, distorted, watermark, text",
    "bring this image to life with gentle motion",
]
TEXT_DIM = 32
#: ``[backend_options.diffusers]`` for the tiny models: two steps, a few thousand pixels, short calls.
FAST_OPTIONS = {"steps": 2, "area": 64 * 48, "max_frames": 9}


def t5_tokenizer(folder: Path) -> object:
    """A T5-style tokenizer (Unigram, </s> appended) trained on a dozen sentences, saved to ``folder``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.Unigram())
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=120, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>")
    tokenizer.train_from_iterator(SENTENCES, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    wrapped.save_pretrained(folder)
    return PreTrainedTokenizerFast.from_pretrained(folder)


def t5_encoder(umt5: bool = False) -> torch.nn.Module:
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    sizes = {
        "vocab_size": 128,
        "d_model": TEXT_DIM,
        "d_kv": 8,
        "d_ff": 64,
        "num_layers": 2,
        "num_heads": 4,
        "relative_attention_num_buckets": 8,
    }
    model = UMT5EncoderModel(UMT5Config(**sizes)) if umt5 else T5EncoderModel(T5Config(**sizes))
    return model.eval()


def wan_vae() -> torch.nn.Module:
    from diffusers import AutoencoderKLWan

    return AutoencoderKLWan(
        base_dim=8,
        z_dim=4,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
        latents_mean=[0.0] * 4,
        latents_std=[1.0] * 4,
    ).eval()


def flow_scheduler() -> object:
    from diffusers import FlowMatchEulerDiscreteScheduler

    return FlowMatchEulerDiscreteScheduler(shift=3.0)


def wan_transformer(in_channels: int = 4, out_channels: int = 4) -> torch.nn.Module:
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=8,
        in_channels=in_channels,
        out_channels=out_channels,
        text_dim=TEXT_DIM,
        freq_dim=16,
        ffn_dim=32,
        num_layers=2,
        rope_max_seq_len=1024,
    ).eval()


def wan22_t2v(folder: Path) -> Path:
    """Wan 2.2 A14B-style: two experts, the second taking over below the boundary timestep."""
    from diffusers import WanPipeline

    torch.manual_seed(0)
    pipe = WanPipeline(
        tokenizer=t5_tokenizer(folder / "_tokenizer"),
        text_encoder=t5_encoder(umt5=True),
        transformer=wan_transformer(),
        transformer_2=wan_transformer(),
        vae=wan_vae(),
        scheduler=flow_scheduler(),
        boundary_ratio=0.875,
    )
    return save(pipe, folder)


def wan22_ti2v(folder: Path) -> Path:
    """Wan 2.2 TI2V-5B-style: a VAE that packs 2x2 patches (16x spatial compression), timesteps per token."""
    from diffusers import AutoencoderKLWan, WanPipeline

    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=8,
        decoder_base_dim=8,
        z_dim=8,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
        latents_mean=[0.0] * 8,
        latents_std=[1.0] * 8,
        is_residual=True,
        in_channels=12,
        out_channels=12,
        patch_size=2,
        scale_factor_spatial=16,
    ).eval()
    pipe = WanPipeline(
        tokenizer=t5_tokenizer(folder / "_tokenizer"),
        text_encoder=t5_encoder(umt5=True),
        transformer=wan_transformer(in_channels=8, out_channels=8),
        vae=vae,
        scheduler=flow_scheduler(),
        expand_timesteps=True,
    )
    return save(pipe, folder)


def wan_t2v(folder: Path) -> Path:
    from diffusers import WanPipeline

    torch.manual_seed(0)
    pipe = WanPipeline(
        tokenizer=t5_tokenizer(folder / "_tokenizer"),
        text_encoder=t5_encoder(umt5=True),
        transformer=wan_transformer(),
        vae=wan_vae(),
        scheduler=flow_scheduler(),
    )
    return save(pipe, folder)


def wan_i2v(folder: Path) -> Path:
    """Wan 2.2-style image-to-video: the image's latents and a mask join the noise (4 + 4 + 4 channels)."""
    from diffusers import WanImageToVideoPipeline

    torch.manual_seed(0)
    pipe = WanImageToVideoPipeline(
        tokenizer=t5_tokenizer(folder / "_tokenizer"),
        text_encoder=t5_encoder(umt5=True),
        vae=wan_vae(),
        scheduler=flow_scheduler(),
        transformer=wan_transformer(in_channels=12),
    )
    return save(pipe, folder)


def ltx_parts(folder: Path) -> dict[str, object]:
    from diffusers import AutoencoderKLLTXVideo, LTXVideoTransformer3DModel

    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
    ).eval()
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        num_layers=2,  # the first-block step cache needs a first block and others
        caption_channels=TEXT_DIM,
    ).eval()
    return {
        "scheduler": flow_scheduler(),
        "vae": vae,
        "text_encoder": t5_encoder(),
        "tokenizer": t5_tokenizer(folder / "_tokenizer"),
        "transformer": transformer,
    }


def ltx_t2v(folder: Path) -> Path:
    from diffusers import LTXPipeline

    return save(LTXPipeline(**ltx_parts(folder)), folder)  # type: ignore[arg-type]


def ltx_i2v(folder: Path) -> Path:
    from diffusers import LTXImageToVideoPipeline

    return save(LTXImageToVideoPipeline(**ltx_parts(folder)), folder)  # type: ignore[arg-type]


def cogvideox_parts(folder: Path, in_channels: int) -> dict[str, object]:
    from diffusers import AutoencoderKLCogVideoX, CogVideoXDDIMScheduler, CogVideoXTransformer3DModel

    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    ).eval()
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2,
        attention_head_dim=16,  # rotary embedding splits it 4/6/6 over time, height and width
        in_channels=in_channels,
        out_channels=4,
        time_embed_dim=8,
        text_embed_dim=TEXT_DIM,
        num_layers=2,  # the first-block step cache needs a first block and others
        sample_width=8,
        sample_height=8,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=226,
        use_rotary_positional_embeddings=True,
    ).eval()
    return {
        "tokenizer": t5_tokenizer(folder / "_tokenizer"),
        "text_encoder": t5_encoder(),
        "vae": vae,
        "transformer": transformer,
        "scheduler": CogVideoXDDIMScheduler(),
    }


def cogvideox_t2v(folder: Path) -> Path:
    from diffusers import CogVideoXPipeline

    return save(CogVideoXPipeline(**cogvideox_parts(folder, in_channels=4)), folder)  # type: ignore[arg-type]


def cogvideox_i2v(folder: Path) -> Path:
    from diffusers import CogVideoXImageToVideoPipeline

    return save(CogVideoXImageToVideoPipeline(**cogvideox_parts(folder, in_channels=8)), folder)  # type: ignore[arg-type]


def svd(folder: Path) -> Path:
    from diffusers import (
        AutoencoderKLTemporalDecoder,
        EulerDiscreteScheduler,
        StableVideoDiffusionPipeline,
        UNetSpatioTemporalConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    unet = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        cross_attention_dim=16,
        num_attention_heads=(2, 4),
        layers_per_block=1,
        addition_time_embed_dim=4,
        projection_class_embeddings_input_dim=12,
        num_frames=4,
    ).eval()
    vae = AutoencoderKLTemporalDecoder(block_out_channels=(32,), latent_channels=4, layers_per_block=1).eval()  # 32: its norm groups
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=16,
            projection_dim=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            image_size=224,
            patch_size=32,
        )
    ).eval()
    pipe = StableVideoDiffusionPipeline(
        vae=vae,
        image_encoder=encoder,
        unet=unet,
        scheduler=EulerDiscreteScheduler(),
        feature_extractor=CLIPImageProcessor(crop_size=224, size={"shortest_edge": 224}),  # SVD resizes to 224 itself
    )
    return save(pipe, folder)


def save(pipe: object, folder: Path) -> Path:
    pipe.save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "wan-t2v": wan_t2v,
    "wan22-t2v": wan22_t2v,
    "wan22-ti2v": wan22_ti2v,
    "wan-i2v": wan_i2v,
    "ltx-t2v": ltx_t2v,
    "ltx-i2v": ltx_i2v,
    "cogvideox-t2v": cogvideox_t2v,
    "cogvideox-i2v": cogvideox_i2v,
    "svd": svd,
}


def into_hub_cache(folder: Path, repo_id: str, hf_home: Path) -> Path:
    """Lay a saved pipeline out in a Hugging Face cache as a download leaves it (``blobs/`` named by
    content, ``snapshots/<commit>/`` linking to them, ``refs/main``); returns the snapshot folder."""
    import hashlib
    import os
    import shutil

    repo = hf_home / "hub" / f"models--{repo_id.replace('/', '--')}"
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    snapshot = repo / "snapshots" / commit
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        blob = repo / "blobs" / digest
        blob.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, blob)
        link = snapshot / path.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blob, link.parent), link)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot
