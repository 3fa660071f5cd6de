"""The voice catalog: which voices exist, which are on this machine, and which one speaks a plan.

A plan asks for a voice by name, or for "the best voice for this language and gender" (an empty
name). ``choose`` answers that from what is installed here, the same way on every machine: a real voice
of the wanted gender and language first; the default voice with a formant-keeping pitch shift when no
voice of that gender is installed; no spoken narration (captions only) when nothing speaks the language,
with a note saying which voice to pull. Engines (Piper, coqui-tts, Kokoro) are built once per process.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reelwright import plugins
from reelwright.errors import GenerationError
from reelwright.generation.backends import SpeechBackend
from reelwright.generation.piper_tts import installed_voices
from reelwright.plan import Gender, Voice
from reelwright.settings import Settings

log = logging.getLogger(__name__)
PIPER_VOICES_REPO = "rhasspy/piper-voices"
CLONE_PREFIX = "clone:"
#: Quality order when a plan leaves the voice to us: cloning and multilingual models speak best.
ENGINE_RANK = {"coqui": 0, "kokoro": 1, "piper": 2}
#: The pitch given to the default voice when a gender is wanted that no installed voice has.
FALLBACK_PITCH = {"female": 4.0, "male": -3.0}


@dataclass(frozen=True)
class VoicePreset:
    """A voice people can ask for by name. ``model`` is what the engine loads: a Piper voice name, a coqui
    model name, a Kokoro voice id; ``speaker`` picks one voice of a multi-speaker model."""

    name: str
    engine: str
    model: str
    languages: tuple[str, ...]
    gender: Gender | None
    description: str
    licence: str
    size_mb: int
    speaker: str | None = None
    clones: bool = False
    bundled: bool = False


#: Multi-speaker models whose speakers are presets of their own.
_XTTS_V2 = VoicePreset(
    "xtts-v2",
    "coqui",
    "tts_models/multilingual/multi-dataset/xtts_v2",
    ("en", "es", "fr", "de", "it", "pt", "pl", "tr", "ru", "nl", "cs", "ar", "zh", "ja", "hu", "ko", "hi"),
    "female",
    "Multilingual, clones a voice from a short sample; default speaker adult female",
    "Coqui Public Model License 1.0.0 (non-commercial)",
    1870,
    speaker="Ana Florence",
    clones=True,
)
_VCTK_P225 = VoicePreset(
    "vctk-p225",
    "coqui",
    "tts_models/en/vctk/vits",
    ("en",),
    "female",
    "VITS, young adult female, Southern English",
    "Apache-2.0",
    150,
    speaker="p225",
)

#: Piper voices: the bundled one and voices whose training data is freely licensed (per each voice's model card).
#: coqui-tts models: licences as coqui's own model catalogue (TTS/.models.json) states them.
PRESETS: tuple[VoicePreset, ...] = (
    VoicePreset(
        "joe", "piper", "joe", ("en",), "male", "Adult male, US English (bundled)", "MIT (voice); piper-tts is GPL-3.0", 63, bundled=True
    ),
    VoicePreset(
        "en_US-ljspeech-high",
        "piper",
        "en_US-ljspeech-high",
        ("en",),
        "female",
        "Adult female, US English",
        "LJ Speech data: public domain",
        114,
    ),
    VoicePreset(
        "de_DE-thorsten-medium", "piper", "de_DE-thorsten-medium", ("de",), "male", "Adult male, German", "Thorsten data: CC0-1.0", 63
    ),
    VoicePreset(
        "fr_FR-siwis-medium", "piper", "fr_FR-siwis-medium", ("fr",), "female", "Adult female, French", "SIWIS data: CC-BY-4.0", 63
    ),
    VoicePreset(
        "es_ES-davefx-medium", "piper", "es_ES-davefx-medium", ("es",), "male", "Adult male, Spanish (Spain)", "davefx data: CC0-1.0", 63
    ),
    _XTTS_V2,
    replace(_XTTS_V2, name="xtts-v2-male", gender="male", description="Multilingual XTTS-v2, adult male speaker", speaker="Damien Black"),
    VoicePreset(
        "your-tts",
        "coqui",
        "tts_models/multilingual/multi-dataset/your_tts",
        ("en", "fr", "pt"),
        None,
        "YourTTS: English, French, Portuguese; clones a voice from a short sample",
        "CC-BY-NC-ND-4.0",
        360,
        clones=True,
    ),
    _VCTK_P225,
    replace(_VCTK_P225, name="vctk-p226", gender="male", description="VITS, adult male, Southern English", speaker="p226"),
    VoicePreset("thorsten-vits", "coqui", "tts_models/de/thorsten/vits", ("de",), "male", "VITS, adult male, German", "Apache-2.0", 140),
    VoicePreset("css10-es-vits", "coqui", "tts_models/es/css10/vits", ("es",), None, "VITS, Spanish", "BSD-3-Clause", 140),
    VoicePreset("css10-fr-vits", "coqui", "tts_models/fr/css10/vits", ("fr",), "male", "VITS, adult male, French", "BSD-3-Clause", 140),
    VoicePreset(
        "mai-it-female", "coqui", "tts_models/it/mai_female/vits", ("it",), "female", "VITS, adult female, Italian", "Apache-2.0", 140
    ),
    VoicePreset("mai-it-male", "coqui", "tts_models/it/mai_male/vits", ("it",), "male", "VITS, adult male, Italian", "Apache-2.0", 140),
    VoicePreset(
        "mai-pl-female", "coqui", "tts_models/pl/mai_female/vits", ("pl",), "female", "VITS, adult female, Polish", "BSD-3-Clause", 140
    ),
)


@dataclass(frozen=True)
class VoiceInfo:
    preset: VoicePreset
    installed: bool

    def as_json(self) -> dict[str, Any]:
        preset = self.preset
        return {
            "name": preset.name,
            "engine": preset.engine,
            "model": preset.model,
            "speaker": preset.speaker,
            "languages": list(preset.languages),
            "gender": preset.gender,
            "description": preset.description,
            "licence": preset.licence,
            "size_mb": preset.size_mb,
            "clones": preset.clones,
            "installed": self.installed,
        }


@dataclass(frozen=True)
class VoiceChoice:
    """The voice a plan is spoken with here (``None``: captions only), the pitch to apply, and a note for people."""

    preset: VoicePreset | None
    pitch_semitones: float
    note: str | None = None
    reference_audio: Path | None = None

    @property
    def name(self) -> str:
        return self.preset.name if self.preset else ""


def preset(name: str) -> VoicePreset | None:
    return next((p for p in PRESETS if p.name == name), None)


class VoiceBank:
    """The voices this machine can speak with, and their engines, built on first use and kept warm."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engines: dict[tuple[str, str, str | None], SpeechBackend] = {}
        self._lock = threading.Lock()

    @property
    def piper_dir(self) -> Path:
        return self.settings.voices_dir / "piper"

    # what is here ---------------------------------------------------------------------------------
    def catalog(self) -> list[VoiceInfo]:
        """Every preset with whether it is installed, then Piper voices found in the voices folder."""
        found = [VoiceInfo(p, self.installed(p)) for p in PRESETS]
        known = {p.model for p in PRESETS if p.engine == "piper"}
        for extra in self.piper_extras():
            if extra.model not in known:
                found.append(VoiceInfo(extra, True))
        return found + self.kokoro_voices()

    @property
    def kokoro_dir(self) -> Path:
        return self.settings.voices_dir / "kokoro"

    def kokoro_voices(self) -> list[VoiceInfo]:
        """Kokoro's voices here (with the kokoro extra): its packaged Japanese voices and voice files in
        ``<data>/voices/kokoro/``; installed where this machine can read the language."""
        try:
            from reelwright.generation.kokoro_tts import LANGUAGES, KokoroSpeech
        except ImportError:
            return []
        try:
            engine = KokoroSpeech(KokoroSpeech.Options(voices_dir=self.kokoro_dir if self.kokoro_dir.is_dir() else None))
        except GenerationError as error:
            log.info("Kokoro voices are not available: %s", error)
            return []
        speaks = engine.languages
        voices = []
        for name in engine.voices():
            language = LANGUAGES[name[0]][0]
            gender: Gender | None = {"f": "female", "m": "male"}.get(name[1:2])  # type: ignore[assignment]
            preset = VoicePreset(f"kokoro-{name}", "kokoro", name, (language,), gender, f"Kokoro-82M voice {name}", "Apache-2.0", 92)
            voices.append(VoiceInfo(preset, language in speaks))
        return voices

    def installed(self, voice: VoicePreset) -> bool:
        if voice.bundled:
            return True
        if voice.engine == "piper":
            return (self.piper_dir / f"{voice.model}.onnx").is_file() and (self.piper_dir / f"{voice.model}.onnx.json").is_file()
        if voice.engine == "coqui":
            from reelwright.generation.coqui_tts import could_be_installed, installed_path

            return could_be_installed(voice.model) and installed_path(voice.model) is not None
        return False

    def piper_extras(self) -> list[VoicePreset]:
        """Piper voices someone put in the voices folder themselves (``NAME.onnx`` + ``NAME.onnx.json``)."""
        return [
            VoicePreset(
                voice.name,
                "piper",
                voice.name,
                (voice.language,),
                None,
                f"Piper voice, {voice.locale} ({voice.quality})",
                "see its model card",
                0,
            )
            for voice in installed_voices(self.piper_dir)
        ]

    # which one ------------------------------------------------------------------------------------
    def plugin_voice(self, name: str) -> VoicePreset | None:
        """``ENGINE:VOICE`` for a speech engine a plugin package installs; it says which languages it speaks."""
        engine, _, model = name.partition(":")
        if not model or engine in {"clone", *ENGINE_RANK}:
            return None
        try:
            languages = tuple(
                sorted(getattr(self.engine(VoicePreset(name, engine, model, (), None, "", "", 0)), "languages", None) or ("en",))
            )
        except GenerationError:
            return None
        return VoicePreset(name, engine, model, languages, None, f"{engine} plugin voice", "see the plugin", 0)

    def choose(self, voice: Voice, language: str, *, clone_sample: Path | None = None) -> VoiceChoice:
        """The voice that speaks ``voice`` in ``language`` here; see the module docstring for the rules."""
        available = [info.preset for info in self.catalog() if info.installed]
        default = self.plugin_voice(self.settings.default_voice) if ":" in self.settings.default_voice else None
        if default is not None:
            available.append(default)
        if voice.name and ":" in voice.name and (plugin := self.plugin_voice(voice.name)) is not None:
            available.append(plugin)
        speaks = [p for p in available if language in p.languages]
        speaks.sort(key=lambda p: (p.name != self.settings.default_voice, ENGINE_RANK.get(p.engine, 9), not p.bundled))
        if voice.name.startswith(CLONE_PREFIX):
            cloners = [p for p in speaks if p.clones]
            if clone_sample is not None and cloners:
                return VoiceChoice(cloners[0], 0.0, reference_audio=clone_sample)
            fallback = self._by_gender(speaks, voice.gender, voice.pitch_semitones)
            reason = (
                "that cloned voice is not available"
                if clone_sample is None
                else "no installed voice can clone: `reelwright voices pull xtts-v2`"
            )
            return replace(fallback, note=f"Narrated with {fallback.name or 'no voice'}: {reason}.")
        if voice.name:
            named = next((p for p in available if p.name == voice.name), None)
            if named is not None and language in named.languages:
                return VoiceChoice(named, voice.pitch_semitones)
            fallback = self._by_gender(speaks, voice.gender, voice.pitch_semitones)
            if named is None:
                known = preset(voice.name)
                why = f"`reelwright voices pull {voice.name}` installs it" if known else "`reelwright voices list` shows the voices"
                return replace(
                    fallback, note=f"The voice {voice.name} is not installed here ({why}); narrated with {fallback.name or 'no voice'}."
                )
            return replace(fallback, note=f"The voice {voice.name} does not speak {language}; narrated with {fallback.name or 'no voice'}.")
        return self._by_gender(speaks, voice.gender, voice.pitch_semitones)

    def _by_gender(self, speaks: list[VoicePreset], gender: Gender | None, pitch: float) -> VoiceChoice:
        if not speaks:
            return VoiceChoice(
                None, 0.0, note="No installed voice speaks this language, so the narration is captions only: " + self.pull_hint()
            )
        if gender is None:
            return VoiceChoice(speaks[0], pitch)
        matching = [p for p in speaks if p.gender == gender]
        if matching:
            return VoiceChoice(matching[0], pitch)
        base = speaks[0]
        shifted = pitch if pitch else (FALLBACK_PITCH[gender] if base.gender and base.gender != gender else 0.0)
        wanted = [p.name for p in PRESETS if p.gender == gender and set(p.languages) & set(base.languages)]
        hint = f" `reelwright voices pull {wanted[0]}` gives a real {gender} voice." if wanted else ""
        how = f"{base.name} with its pitch shifted" if shifted else base.name
        return VoiceChoice(base, shifted, note=f"No {gender} voice is installed: {how}.{hint}")

    def pull_hint(self) -> str:
        return "`reelwright voices pull xtts-v2` speaks 17 languages (`reelwright voices list` shows the others)."

    # speaking -------------------------------------------------------------------------------------
    def engine(self, voice: VoicePreset) -> SpeechBackend:
        """The engine that speaks ``voice``, built once per process (its model loads on first use)."""
        # coqui takes the speaker with each line: the presets of one model's speakers share its loaded weights.
        key = (voice.engine, voice.model, None if voice.engine == "coqui" else voice.speaker)
        with self._lock:
            if key not in self._engines:
                self._engines[key] = self._build(voice)
            return self._engines[key]

    def _build(self, voice: VoicePreset) -> SpeechBackend:
        options: dict[str, Any] = dict(self.settings.backend_options.get(voice.engine, {}))
        if voice.engine == "piper" and not voice.bundled:
            options.update(model_path=self.piper_dir / f"{voice.model}.onnx", config_path=self.piper_dir / f"{voice.model}.onnx.json")
        elif voice.engine == "coqui":
            options.update(model=voice.model)
        elif voice.engine == "kokoro":
            options.update(voice=voice.model, voices_dir=self.kokoro_dir if self.kokoro_dir.is_dir() else None)
        factory = plugins.load(plugins.SPEECH_ENGINES, voice.engine, kind="speech engine", error=GenerationError)
        return plugins.construct(factory, options, kind="speech engine", name=voice.engine, error=GenerationError)

    # getting more ---------------------------------------------------------------------------------
    def pull(self, name: str, *, agree_to_licence: bool = False) -> Path:
        """Download a voice preset's weights: Piper voices into the voices folder, coqui models into coqui's cache
        (XTTS-v2 only once the person agreed to the Coqui Public Model License: ``agree_to_licence``)."""
        voice = preset(name)
        if voice is None:
            raise GenerationError(f"There is no voice preset {name!r}: `reelwright voices list` shows them.")
        if voice.bundled:
            return Path()
        if voice.engine == "coqui":
            from reelwright.generation.coqui_tts import download

            return download(voice.model, agree_to_terms=agree_to_licence)
        return self._pull_piper(voice)

    def _pull_piper(self, voice: VoicePreset) -> Path:
        try:
            from huggingface_hub import hf_hub_download
            from huggingface_hub.errors import LocalEntryNotFoundError
        except ImportError as error:
            raise GenerationError("Pulling voices needs huggingface_hub: pip install 'reelwright[diffusion]'.") from error
        locale, speaker, quality = voice.model.split("-")
        folder = f"{locale.split('_')[0]}/{locale}/{speaker}/{quality}"
        self.piper_dir.mkdir(parents=True, exist_ok=True)
        try:
            for suffix in (".onnx.json", ".onnx"):
                hf_hub_download(PIPER_VOICES_REPO, f"{folder}/{voice.model}{suffix}", local_dir=self.piper_dir / ".download")
                (self.piper_dir / ".download" / folder / f"{voice.model}{suffix}").replace(self.piper_dir / f"{voice.model}{suffix}")
        except LocalEntryNotFoundError as error:
            raise GenerationError(
                f"The voice {voice.name} is not downloaded and this machine is offline (HF_HUB_OFFLINE or no network): "
                f"on a machine with network, run `reelwright voices pull {voice.name}` "
                f"(or put {voice.model}.onnx and {voice.model}.onnx.json from huggingface.co/{PIPER_VOICES_REPO} into {self.piper_dir})."
            ) from error
        except OSError as error:
            raise GenerationError(f"Could not download the voice {voice.name}: {error}") from error
        return self.piper_dir / f"{voice.model}.onnx"

    def remove(self, name: str) -> bool:
        """Delete a pulled Piper voice's files (coqui models are removed from coqui's cache by coqui)."""
        voice = preset(name) or next((p for p in self.piper_extras() if p.name == name), None)
        if voice is None or voice.bundled or voice.engine != "piper":
            return False
        removed = False
        for suffix in (".onnx", ".onnx.json"):
            path = self.piper_dir / f"{voice.model}{suffix}"
            if path.exists():
                path.unlink()
                removed = True
        return removed
