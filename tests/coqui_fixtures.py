"""Tiny, randomly initialised coqui-tts models, saved the way coqui's own checkpoints are.

Each builder makes the real model class (``Vits``, ``Xtts``, coqui's ResNet speaker encoder) from a
small config, and writes a folder as coqui's trainer and releases do: ``config.json`` and a checkpoint
holding ``{"config": ..., "model": state_dict, ...}`` (``trainer.io.save_model``), plus what a family
ships beside them (XTTS: the BPE ``vocab.json``, trained here offline, and ``speakers_xtts.pth``;
YourTTS: ``model_se.pth``, ``config_se.json`` and a d-vector ``speakers.json``). Reelwright then loads
the folder through coqui's ``Synthesizer`` exactly as it loads a downloaded model: the code path is
the production one; only the weights are small and random.

The hidden sizes are tiny, but some parts are fixed in coqui's code whatever the config says (XTTS's
HiFi-GAN decoder and speaker encoder, YourTTS's ResNet): those are real-sized and dominate the time.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import torch

from reelwright.generation.coqui_tts import import_coqui

SENTENCES = [
    "the fox runs through the snow at dawn",
    "a lighthouse stands on the cliff at night",
    "hello there, this is a test of a tiny voice",
    "bonjour le monde, la mer est calme",
    "hallo welt, wie geht es dir heute",
]
#: Durations the tiny VITS predicts: about this many frames per input symbol, so speed changes show.
FRAMES_PER_SYMBOL = 6


#: Every VITS layer shrunk: one layer each, 16 channels, a hop of 64 samples (4 x 4 x 4 upsampling).
TINY_VITS = {
    "hidden_channels": 16,
    "hidden_channels_ffn_text_encoder": 32,
    "num_heads_text_encoder": 2,
    "num_layers_text_encoder": 1,
    "num_layers_posterior_encoder": 1,
    "num_layers_flow": 1,
    "out_channels": 129,
    "upsample_rates_decoder": [4, 4, 4],
    "upsample_kernel_sizes_decoder": [8, 8, 8],
    "upsample_initial_channel_decoder": 16,
    "resblock_kernel_sizes_decoder": [3],
    "resblock_dilation_sizes_decoder": [[1, 3, 5]],
    "init_discriminator": False,
    "use_sdp": False,
}


def tiny_vits(folder: Path, *, speakers: list[str] | None = None, languages: list[str] | None = None) -> Path:
    """A character-based VITS (no phonemizer, so no espeak) at 16 kHz, ~0.25M parameters.

    ``speakers`` gives it a speaker embedding table, ``languages`` a language embedding. Its duration
    predictor is deterministic (``use_sdp`` off) and biased to FRAMES_PER_SYMBOL frames per symbol.
    """
    import_coqui()
    from TTS.tts.configs.vits_config import VitsArgs

    args = VitsArgs(
        **TINY_VITS,
        use_speaker_embedding=bool(speakers),
        speaker_embedding_channels=8,
        use_language_embedding=bool(languages),
        embedded_language_dim=4,
    )
    return save_vits(folder, vits_config(args, speakers=speakers or [], languages=languages or []))


def tiny_your_tts(folder: Path, *, speakers: list[str], languages: list[str]) -> Path:
    """A YourTTS-like VITS: speakers as d-vectors of coqui's ResNet speaker encoder (saved beside it), which
    also clones a voice from a sample; a language embedding for ``languages``."""
    import_coqui()
    from trainer.io import save_model
    from TTS.config.shared_configs import BaseAudioConfig
    from TTS.encoder.configs.speaker_encoder_config import SpeakerEncoderConfig
    from TTS.encoder.utils.generic_utils import setup_encoder_model
    from TTS.tts.configs.vits_config import VitsArgs

    folder.mkdir(parents=True, exist_ok=True)
    dimension = 32
    encoder_audio = BaseAudioConfig(sample_rate=16000, fft_size=512, win_length=400, hop_length=160, num_mels=64, preemphasis=0.97)
    encoder_config = SpeakerEncoderConfig(
        model_params={"model_name": "resnet", "input_dim": 64, "proj_dim": dimension, "log_input": True, "use_torch_spec": True},
        audio=encoder_audio,
        num_classes_in_batch=2,
        num_utter_per_class=2,
        num_loader_workers=0,
    )
    torch.manual_seed(1)
    encoder = setup_encoder_model(encoder_config)
    save_model(encoder_config, encoder, folder / "model_se.pth", current_step=0, epoch=0)
    encoder_config.save_json(str(folder / "config_se.json"))
    vectors = torch.nn.functional.normalize(torch.randn(len(speakers), dimension), dim=1)
    d_vectors = {f"{name}_0001.wav": {"name": name, "embedding": vector.tolist()} for name, vector in zip(speakers, vectors, strict=True)}
    (folder / "speakers.json").write_text(json.dumps(d_vectors), encoding="utf-8")
    args = VitsArgs(
        **TINY_VITS,
        use_d_vector_file=True,
        d_vector_file=[str(folder / "speakers.json")],
        d_vector_dim=dimension,
        speaker_encoder_model_path=str(folder / "model_se.pth"),
        speaker_encoder_config_path=str(folder / "config_se.json"),
        use_language_embedding=True,
        embedded_language_dim=4,
    )
    return save_vits(folder, vits_config(args, speakers=[], languages=languages))


def vits_config(args: Any, *, speakers: list[str], languages: list[str], sample_rate: int = 16000, hop_length: int = 64) -> Any:
    """A ``VitsConfig`` that reads characters (no phonemes), with ``args`` as its architecture."""
    from TTS.config.shared_configs import BaseAudioConfig
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig

    return VitsConfig(
        model_args=args,
        audio=BaseAudioConfig(
            sample_rate=sample_rate,
            hop_length=hop_length,
            win_length=4 * hop_length,
            fft_size=4 * hop_length,
            num_mels=20,
            mel_fmax=sample_rate // 2,
            do_trim_silence=False,  # random weights make quiet stretches, not pauses: trimming would cut lines short
        ),
        characters=CharactersConfig(
            characters_class="TTS.tts.models.vits.VitsCharacters",
            characters="abcdefghijklmnopqrstuvwxyzàâçéèêëîïôùûüäöß",
            punctuations=" !'(),-.:;?",
            pad="<PAD>",
            eos="<EOS>",
            bos="<BOS>",
            blank="<BLNK>",
        ),
        use_phonemes=False,
        text_cleaner="multilingual_cleaners",
        speakers=speakers,
        languages=languages,
    )


def save_vits(folder: Path, config: Any, *, frames_per_symbol: float | None = FRAMES_PER_SYMBOL) -> Path:
    """A randomly initialised ``Vits`` of ``config`` saved as coqui's trainer saves it (``model_file.pth``)."""
    from trainer.io import save_model
    from TTS.tts.models.vits import Vits

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = Vits(config)
    if frames_per_symbol is not None:
        with torch.no_grad():
            model.duration_predictor.proj.weight.mul_(0.01)
            model.duration_predictor.proj.bias.fill_(math.log(frames_per_symbol))
    save_model(config, model, folder / "model_file.pth", current_step=0, epoch=0)
    config.save_json(str(folder / "config.json"))
    return folder


def xtts_vocab(folder: Path, languages: list[str]) -> Path:
    """A byte-pair vocabulary with XTTS's special tokens ([STOP], [UNK], [SPACE], [START], one per language)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    specials = ["[STOP]", "[UNK]", "[SPACE]", "[START]", *(f"[{language}]" for language in languages)]
    tokenizer.train_from_iterator(SENTENCES, trainers.BpeTrainer(vocab_size=160, special_tokens=specials))
    path = folder / "vocab.json"
    tokenizer.save(str(path))
    return path


def tiny_xtts(
    folder: Path, *, languages: list[str], studio_speakers: list[str], audio_codes: int = 4, sizes: dict[str, Any] | None = None
) -> Path:
    """An XTTS-v2 with a one-layer, 32-wide GPT (perceiver conditioning, as v2) and a vocabulary of 160.

    Its GPT never emits the stop code, so every sentence is exactly ``audio_codes`` audio codes (1024
    samples each at 22.05 kHz), whatever the random weights. ``speakers_xtts.pth`` holds ``studio_speakers``'
    conditioning. ``sizes`` overrides the architecture (``XttsArgs`` fields), as the bench does for the real one.
    """
    import_coqui()
    from trainer.io import save_model
    from TTS.tts.configs.xtts_config import XttsArgs, XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts

    folder.mkdir(parents=True, exist_ok=True)
    tiny = {
        "gpt_layers": 1,
        "gpt_n_model_channels": 32,
        "gpt_n_heads": 2,
        "decoder_input_dim": 32,
        "gpt_max_text_tokens": 200,
        "gpt_num_audio_tokens": 66,
        "gpt_start_audio_token": 64,
        "gpt_stop_audio_token": 65,
    }
    args = XttsArgs(
        **{**tiny, **(sizes or {})},
        gpt_max_audio_tokens=audio_codes + 3,  # coqui's GPT keeps 3 of these for start, stop and conditioning
        gpt_use_perceiver_resampler=True,
    )
    config = XttsConfig(model_args=args, languages=languages)
    torch.manual_seed(0)
    model = Xtts(config)
    model.tokenizer = VoiceBpeTokenizer(xtts_vocab(folder, languages))
    model.init_models()
    with torch.no_grad():
        model.gpt.mel_head.bias[args.gpt_stop_audio_token] = -1e4
    save_model(config, model, folder / "model.pth", current_step=0, epoch=0)
    config.save_json(str(folder / "config.json"))
    generator = torch.Generator().manual_seed(2)
    studio = {
        name: {
            "gpt_cond_latent": torch.randn(1, 32, args.gpt_n_model_channels, generator=generator),
            "speaker_embedding": torch.nn.functional.normalize(torch.randn(1, args.d_vector_dim, 1, generator=generator), dim=1),
        }
        for name in studio_speakers
    }
    torch.save(studio, folder / "speakers_xtts.pth")
    return folder


def voice_sample(path: Path, *, pitch_hz: float, seconds: float = 2.0, rate: int = 44100, channels: int = 1) -> Path:
    """A WAV that stands in for a recorded voice: a buzzy, vibrato tone at ``pitch_hz`` with a vowel-like
    envelope, at a rate no model uses (so it must be resampled)."""
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(pitch_hz * (1 + 0.03 * np.sin(2 * np.pi * 5 * t))) / rate
    tone = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2
    samples = (0.3 * tone * envelope / np.abs(tone).max()).astype(np.float32)
    soundfile.write(path, np.repeat(samples[:, None], channels, axis=1), rate)
    return path
