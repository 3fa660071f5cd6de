"""Tiny, randomly initialised diffusers audio pipelines, saved the way real weights are published.

Each builder makes the real pipeline class (``StableAudioPipeline``, ``AudioLDM2Pipeline``) from small
configs, builds its tokenizers offline from a few sentences, and ``save_pretrained``s it into a folder.
Reelwright loads the folder with ``DiffusionPipeline.from_pretrained`` exactly as it loads a downloaded
model: only the weights are small and random. The component classes, and the names they are saved
under, are the published checkpoints' own (AudioLDM 2's language model is a ``GPT2Model``, as in
cvssp/audioldm2), so the loading quirks of the real models are met here too.

The sampling rates are low (2 kHz) so that a second of sound is a few hundred latent steps; the
backend reads the rate from the pipeline, never assumes 44.1 or 16 kHz.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

SENTENCES = [
    "calm piano music with soft strings",
    "rain on a window at night",
    "ambient sound of a busy city street with traffic",
    "waves crashing on rocks and seagulls",
    "an upbeat electronic track with a strong beat",
    "wind through pine trees, birds singing",
    "a crackling fireplace in a quiet room",
    "dark cinematic drone, noir mood",
    "low quality, distorted, noise, music",
]
SAMPLE_RATE = 2000
T5_DIM = 16
TEXT_LENGTH = 32  # tokens per prompt (the real models use 128 and 77)


def t5_tokenizer(length: int = TEXT_LENGTH) -> object:
    """A T5 tokenizer (Unigram pieces, ``</s>`` appended) whose vocabulary is learnt from ``SENTENCES``."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import T5Tokenizer

    learner = Tokenizer(models.Unigram())
    learner.normalizer = normalizers.Lowercase()
    learner.pre_tokenizer = pre_tokenizers.Metaspace()
    learner.train_from_iterator(SENTENCES, trainers.UnigramTrainer(vocab_size=90, special_tokens=["<pad>", "</s>", "<unk>"]))
    pieces = sorted(learner.get_vocab().items(), key=lambda item: item[1])
    return T5Tokenizer(
        vocab=[(piece, 0.0 if index < 3 else -float(index)) for piece, index in pieces], extra_ids=0, model_max_length=length
    )


def roberta_tokenizer(length: int = TEXT_LENGTH) -> object:
    """A byte-level BPE tokenizer in RoBERTa's layout (CLAP's text branch), every byte a token, no merges."""
    from tokenizers import pre_tokenizers
    from transformers import RobertaTokenizer

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    vocab = {token: index for index, token in enumerate(specials + sorted(pre_tokenizers.ByteLevel.alphabet()))}
    return RobertaTokenizer(vocab=vocab, merges=[], model_max_length=length)


def t5_encoder() -> torch.nn.Module:
    from transformers import T5Config, T5EncoderModel

    config = T5Config(vocab_size=96, d_model=T5_DIM, d_kv=8, d_ff=32, num_layers=1, num_heads=2, relative_attention_num_buckets=8)
    return T5EncoderModel(config).eval()


def stable_audio(folder: Path) -> Path:
    """Stable Audio Open's parts, stereo: a DiT over 256 latent steps of an Oobleck VAE that packs 8 samples
    into one step, so one call makes at most 256 * 8 / 2000 = 1.024 s."""
    from diffusers import (
        AutoencoderOobleck,
        CosineDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )

    torch.manual_seed(0)
    conditioning = 16
    pipe = StableAudioPipeline(
        vae=AutoencoderOobleck(
            encoder_hidden_size=6,
            downsampling_ratios=[2, 4],
            channel_multiples=[1, 2],
            decoder_channels=6,
            decoder_input_channels=4,
            audio_channels=2,
            sampling_rate=SAMPLE_RATE,
        ).eval(),
        text_encoder=t5_encoder(),
        projection_model=StableAudioProjectionModel(text_encoder_dim=T5_DIM, conditioning_dim=conditioning, min_value=0, max_value=32),
        tokenizer=t5_tokenizer(),
        transformer=StableAudioDiTModel(
            sample_size=256,
            in_channels=4,
            num_layers=1,
            attention_head_dim=8,
            num_attention_heads=2,
            num_key_value_attention_heads=1,
            out_channels=4,
            cross_attention_dim=16,
            time_proj_dim=8,
            global_states_input_dim=2 * conditioning,
            cross_attention_input_dim=conditioning,
        ).eval(),
        scheduler=CosineDPMSolverMultistepScheduler(),  # the published checkpoint's scheduler (needs torchsde)
    )
    return save(pipe, folder)


def audioldm2(folder: Path) -> Path:
    """AudioLDM 2's parts, mono: CLAP and T5 text encoders, a GPT-2 that writes 8 conditioning vectors, a UNet
    over a mel spectrogram (8 bins) and a HiFi-GAN that makes 16 samples per mel frame; its trained length
    is 32 latent rows * 2 (VAE) * 16 / 2000 = 0.512 s."""
    from diffusers import AudioLDM2Pipeline, AudioLDM2ProjectionModel, AudioLDM2UNet2DConditionModel, AutoencoderKL, DDIMScheduler
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, GPT2Config, GPT2Model, SpeechT5HifiGan, SpeechT5HifiGanConfig

    torch.manual_seed(0)
    language_dim, clap_dim, mel_bins = 16, 8, 8
    clap = ClapModel(
        ClapConfig(
            text_config={
                "vocab_size": 300,
                "hidden_size": 8,
                "intermediate_size": 16,
                "num_attention_heads": 1,
                "num_hidden_layers": 1,
                "max_position_embeddings": TEXT_LENGTH + 4,
                "pad_token_id": 1,
                "bos_token_id": 0,
                "eos_token_id": 2,
                "projection_dim": clap_dim,
            },
            audio_config={
                "spec_size": 8,
                "window_size": 4,
                "num_mel_bins": 8,
                "intermediate_size": 16,
                "depths": [1, 1],
                "num_attention_heads": [1, 1],
                "num_hidden_layers": 1,
                "hidden_size": 16,
                "projection_dim": clap_dim,
                "patch_size": 2,
                "patch_stride": 2,
                "patch_embeds_hidden_size": 8,
            },
            projection_dim=clap_dim,
        )
    ).eval()
    language_model = GPT2Model(
        GPT2Config(n_embd=language_dim, n_head=2, n_layer=1, vocab_size=32, n_positions=64, bos_token_id=0, eos_token_id=0)
    ).eval()
    language_model.config.max_new_tokens = 8  # the published config says how many vectors GPT-2 writes
    pipe = AudioLDM2Pipeline(
        vae=AutoencoderKL(
            block_out_channels=[8, 16],
            in_channels=1,
            out_channels=1,
            norm_num_groups=8,
            down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
            up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
            latent_channels=4,
        ).eval(),
        text_encoder=clap,
        text_encoder_2=t5_encoder(),
        projection_model=AudioLDM2ProjectionModel(text_encoder_dim=clap_dim, text_encoder_1_dim=T5_DIM, langauge_model_dim=language_dim),
        language_model=language_model,
        tokenizer=roberta_tokenizer(),
        tokenizer_2=t5_tokenizer(),
        feature_extractor=ClapFeatureExtractor(
            feature_size=8, sampling_rate=SAMPLE_RATE, hop_length=40, fft_window_size=128, frequency_max=SAMPLE_RATE // 2
        ),
        unet=AudioLDM2UNet2DConditionModel(
            sample_size=32,
            block_out_channels=(8, 16),
            layers_per_block=1,
            norm_num_groups=8,
            in_channels=4,
            out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=([None, language_dim, T5_DIM], [None, language_dim, T5_DIM]),  # self, GPT-2, T5: as published
            attention_head_dim=4,
        ).eval(),
        scheduler=DDIMScheduler(
            beta_schedule="scaled_linear", beta_start=0.0015, beta_end=0.0195, clip_sample=False, set_alpha_to_one=False
        ),
        vocoder=SpeechT5HifiGan(
            SpeechT5HifiGanConfig(
                model_in_dim=mel_bins,
                sampling_rate=SAMPLE_RATE,
                upsample_initial_channel=8,
                upsample_rates=[4, 4],
                upsample_kernel_sizes=[8, 8],
                resblock_kernel_sizes=[3],
                resblock_dilation_sizes=[[1, 3]],
                normalize_before=False,
            )
        ).eval(),
    )
    return save(pipe, folder)


def save(pipe: object, folder: Path) -> Path:
    pipe.save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


BUILDERS: dict[str, Callable[[Path], Path]] = {"stable-audio": stable_audio, "audioldm2": audioldm2}
