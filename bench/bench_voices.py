"""Benchmark of the narration engines: real-time factor (synthesis seconds / audio seconds), measured in one run.

Every engine speaks the same sentences through Reelwright's backend (``speak(SpeechRequest)``); printed per
engine: the load (construction and first line), the median real-time factor over the sentences, the
audio seconds per character (how fast the voice talks: a random model can talk unnaturally fast or slow,
which moves its factor), and the factor against Piper's.

Engines (``ENGINES``; a new one is one entry):
- ``piper``: the bundled en_US "joe" voice, real weights;
- ``coqui-vits``: VITS at VCTK's published size (``VitsConfig`` defaults, 109 speakers, stochastic duration
  predictor), random weights, reading characters instead of espeak phonemes; its ``length_scale`` is set so
  it talks at SPEECH_S_PER_CHAR, a natural pace;
- ``coqui-xtts``: XTTS-v2 at its published size (30-layer, 1024-wide GPT with perceiver conditioning,
  the HiFi-GAN decoder and speaker encoder) with random weights and a small BPE vocabulary, cloning a voice
  sample; its GPT's stop code is suppressed, so each sentence is XTTS_CODES audio codes (~3 s), where real
  weights stop when the sentence is spoken. The sample's conditioning is computed once, before timing.

Run: ``.venv/bin/python bench/bench_voices.py [--quick] [--engines piper,coqui-vits] [--threads N]``
(``--quick``: fewer sentences, no XTTS; XTTS takes minutes on a CPU).
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from coqui_fixtures import save_vits, tiny_xtts, vits_config, voice_sample  # the suite's builders, reused

from reelwright.generation.backends import Speech, SpeechRequest
from reelwright.generation.coqui_tts import CoquiSpeech, import_coqui
from reelwright.generation.piper_tts import PiperSpeech
from reelwright.plan import Voice

SENTENCES = [
    "A red fox runs through the snow at dawn.",
    "The lighthouse has watched over this coast for a hundred years.",
    "Rain taps on the window while the city sleeps.",
    "Far below, a paper boat drifts along the quiet river.",
    "By evening the mountains turn gold, then blue, then dark.",
    "Nobody remembers who built the bridge, but everyone crosses it.",
]
#: A natural speaking pace (about 15 characters a second), the random VITS is tuned to.
SPEECH_S_PER_CHAR = 0.065
#: Audio codes per XTTS sentence: 1024 samples at 22.05 kHz each, 64 codes ~ 3 s.
XTTS_CODES = 64


@dataclass(frozen=True)
class Engine:
    """A narration engine as the bench builds it: ``build(scratch)`` returns the backend and, for engines
    that clone, the voice sample every line is spoken in (None for engines with their own voice)."""

    name: str
    build: Callable[[Path], tuple[Any, Path | None]]
    slow: bool = False


def build_piper(scratch: Path) -> tuple[Any, Path | None]:
    return PiperSpeech(), None


def build_coqui_vits(scratch: Path) -> tuple[Any, Path | None]:
    """VITS as published for VCTK (``VitsConfig`` defaults: 192 channels, 6 text-encoder layers, HiFi-GAN
    upsampling 8x8x2x2 at 22.05 kHz) with a 109-speaker embedding, then paced to SPEECH_S_PER_CHAR."""
    import_coqui()
    from TTS.tts.configs.vits_config import VitsArgs

    speakers = [f"p{number}" for number in range(225, 334)]
    args = VitsArgs(use_speaker_embedding=True)
    config = vits_config(args, speakers=speakers, languages=["en"], sample_rate=22050, hop_length=256)
    folder = save_vits(scratch / "vits", config, frames_per_symbol=None)
    probe = CoquiSpeech(CoquiSpeech.Options(model=str(folder), speaker="p225")).speak(request(SENTENCES[0], None))
    config.model_args.length_scale = SPEECH_S_PER_CHAR * len(SENTENCES[0]) / probe.duration_s
    config.save_json(str(folder / "config.json"))
    return CoquiSpeech(CoquiSpeech.Options(model=str(folder), speaker="p225")), None


def build_coqui_xtts(scratch: Path) -> tuple[Any, Path | None]:
    """XTTS-v2's published architecture (``XttsArgs`` defaults are v1's; these are v2's config.json values)."""
    import_coqui()
    folder = tiny_xtts(
        scratch / "xtts",
        languages=["en"],
        studio_speakers=[],
        audio_codes=XTTS_CODES,
        sizes={
            "gpt_layers": 30,
            "gpt_n_model_channels": 1024,
            "gpt_n_heads": 16,
            "decoder_input_dim": 1024,
            "gpt_num_audio_tokens": 1026,
            "gpt_start_audio_token": 1024,
            "gpt_stop_audio_token": 1025,
            "gpt_max_text_tokens": 402,
        },
    )
    return CoquiSpeech(CoquiSpeech.Options(model=str(folder))), voice_sample(scratch / "voice.wav", pitch_hz=130, seconds=6.0)


def build_kokoro(scratch: Path) -> tuple[Any, Path | None]:
    """Kokoro-82M int8 from PyPI (the kokoro extra). Its English voices are npm files: a packaged Japanese
    voice's style vector stands in under an English name, which sets only timbre, not the cost."""
    import numpy as np

    from reelwright.generation.kokoro_tts import KokoroSpeech

    packaged = KokoroSpeech()
    voices = scratch / "kokoro"
    voices.mkdir(parents=True, exist_ok=True)
    np.save(voices / "af_bench.npy", packaged._style(next(iter(packaged.voices()))))
    return KokoroSpeech(KokoroSpeech.Options(voice="af_bench", voices_dir=voices, threads=2)), None


ENGINES: list[Engine] = [
    Engine("piper", build_piper),
    Engine("kokoro", build_kokoro),
    Engine("coqui-vits", build_coqui_vits),
    Engine("coqui-xtts", build_coqui_xtts, slow=True),
]


def request(text: str, sample: Path | None) -> SpeechRequest:
    return SpeechRequest(text, Voice(), reference_audio=sample)


def speak(backend: Any, line: SpeechRequest) -> Speech:
    """``backend.speak(request)``; engines still on the older ``speak(text, voice)`` get the text and voice."""
    if len(inspect.signature(backend.speak).parameters) == 1:
        return backend.speak(line)
    return backend.speak(line.text, line.voice)


def parameters_m(backend: Any) -> str:
    """The model's size in millions of parameters, where it is a torch model this process can see."""
    voice = getattr(backend, "_voice", None)
    model = getattr(voice, "model", None)
    if not isinstance(model, torch.nn.Module):
        return "-"
    return f"{sum(parameter.numel() for parameter in model.parameters()) / 1e6:.1f}M"


def measure(engine: Engine, sentences: list[str], scratch: Path) -> dict[str, float | str]:
    start = time.perf_counter()
    backend, sample = engine.build(scratch)
    built_s = time.perf_counter() - start
    start = time.perf_counter()
    speak(backend, request("Hello.", sample))  # loads the model and, when cloning, the sample's conditioning
    load_s = time.perf_counter() - start
    factors, seconds_per_char = [], []
    for text in sentences:
        start = time.perf_counter()
        speech = speak(backend, request(text, sample))
        elapsed = time.perf_counter() - start
        factors.append(elapsed / speech.duration_s)
        seconds_per_char.append(speech.duration_s / len(text))
    return {
        "build_s": built_s,
        "load_s": load_s,
        "rtf": statistics.median(factors),
        "rtf_max": max(factors),
        "s_per_char": statistics.median(seconds_per_char),
        "params": parameters_m(backend),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="two sentences, no slow engines")
    parser.add_argument("--engines", default=",".join(engine.name for engine in ENGINES))
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads (default: all cores)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    chosen = [engine for engine in ENGINES if engine.name in args.engines.split(",") and not (args.quick and engine.slow)]
    sentences = SENTENCES[:2] if args.quick else SENTENCES
    print(f"{len(sentences)} sentences, torch threads {args.threads}; RTF = synthesis s / audio s (lower is faster)")
    results: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for engine in chosen:
            folder = Path(scratch) / engine.name
            folder.mkdir()
            results[engine.name] = result = measure(engine, sentences, folder)
            print(
                f"  {engine.name:<11} params {result['params']:>7}  build {result['build_s']:5.1f} s  load+first line {result['load_s']:5.1f} s  "
                f"RTF median {result['rtf']:.3f} (max {result['rtf_max']:.3f})  {result['s_per_char'] * 1000:.0f} ms audio/char"
            )
    if "piper" in results:
        for name, result in results.items():
            if name != "piper":
                print(f"  {name} / piper: {float(result['rtf']) / float(results['piper']['rtf']):.1f}x the synthesis time per audio second")


if __name__ == "__main__":
    main()
