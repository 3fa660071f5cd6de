"""coqui-tts voices: real coqui code (Synthesizer, Vits, Xtts, the speaker encoders) on tiny random weights.

The models are built once per module and loaded from folders exactly as downloaded models are; nothing
is downloaded. What a voice says is noise, so the tests check what the backend promises: audio of the
model's rate, lengths that follow the text and the speed, voices that follow the sample, and refusals
that say what to do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from coqui_fixtures import tiny_vits, tiny_xtts, tiny_your_tts, voice_sample

from reelwright.errors import GenerationError
from reelwright.generation.backends import SpeechRequest
from reelwright.generation.coqui_tts import CoquiSpeech, could_be_installed, download, installed_path
from reelwright.plan import Voice

ROOT = Path(__file__).resolve().parents[2]


def line(text: str, *, speed: float = 1.0, language: str = "en", sample: Path | None = None) -> SpeechRequest:
    return SpeechRequest(text, Voice(speed=speed), language=language, reference_audio=sample)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("coqui")


@pytest.fixture(scope="module")
def vits_folder(models: Path) -> Path:
    return tiny_vits(models / "vits")


@pytest.fixture(scope="module")
def vits(vits_folder: Path) -> CoquiSpeech:
    return CoquiSpeech(CoquiSpeech.Options(model=str(vits_folder)))


@pytest.fixture(scope="module")
def multi_folder(models: Path) -> Path:
    return tiny_vits(models / "multi", speakers=["ana", "ben"], languages=["en", "fr-fr"])


@pytest.fixture(scope="module")
def xtts(models: Path) -> CoquiSpeech:
    return CoquiSpeech(
        CoquiSpeech.Options(model=str(tiny_xtts(models / "xtts", languages=["en", "fr", "de"], studio_speakers=["Tiny Studio"])))
    )


@pytest.fixture(scope="module")
def samples(models: Path) -> dict[str, Path]:
    """Voice samples at 44.1 kHz, a rate no model uses: a low voice, a high one, and a high one in stereo."""
    folder = models / "samples"
    folder.mkdir()
    return {
        "low": voice_sample(folder / "low.wav", pitch_hz=110, seconds=1.2),
        "high": voice_sample(folder / "high.wav", pitch_hz=240, seconds=1.2),
        "stereo": voice_sample(folder / "stereo.wav", pitch_hz=180, seconds=1.2, channels=2),
    }


# VITS: the common single-voice model


def test_a_vits_folder_speaks_finite_float32_audio_at_its_configs_sample_rate(vits: CoquiSpeech) -> None:
    speech = vits.speak(line("Hello there, this is the narrator."))
    assert speech.sample_rate == 16000
    assert speech.samples.dtype == np.float32 and speech.samples.ndim == 1
    assert len(speech.samples) > 0 and np.isfinite(speech.samples).all()
    assert np.abs(speech.samples).max() <= 1.0


def test_a_longer_line_gives_longer_audio(vits: CoquiSpeech) -> None:
    short = vits.speak(line("A fox."))
    long = vits.speak(line("A fox runs through the snow at dawn. The light is cold and blue."))
    assert long.duration_s > 2 * short.duration_s


def test_speaking_faster_gives_shorter_audio(vits: CoquiSpeech) -> None:
    normal = vits.speak(line("The lighthouse stands on the cliff.", speed=1.0))
    fast = vits.speak(line("The lighthouse stands on the cliff.", speed=1.5))
    assert fast.duration_s < 0.8 * normal.duration_s


def test_the_same_line_gives_the_same_audio_so_narration_caches_agree(vits: CoquiSpeech) -> None:
    first = vits.speak(line("The same words twice."))
    vits.speak(line("Something else in between."))
    assert np.array_equal(vits.speak(line("The same words twice.")).samples, first.samples)


def test_blank_text_gives_no_audio(vits: CoquiSpeech) -> None:
    speech = vits.speak(line("   "))
    assert len(speech.samples) == 0 and speech.sample_rate == 16000


def test_lines_spoken_from_several_threads_come_out_as_spoken_one_at_a_time(vits: CoquiSpeech) -> None:
    texts = ["One line.", "Another, longer line of narration.", "A third.", "And the last line of the video."]
    alone = [vits.speak(line(text)).samples for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda text: vits.speak(line(text)).samples, texts))
    assert all(np.array_equal(a, b) for a, b in zip(alone, together, strict=True))


def test_a_model_whose_config_names_no_language_speaks_the_default_language(vits: CoquiSpeech, vits_folder: Path, tmp_path: Path) -> None:
    assert vits.languages == {"en"}
    unlabelled = shutil.copytree(vits_folder, tmp_path / "unlabelled")
    config = json.loads((unlabelled / "config.json").read_text(encoding="utf-8"))
    (unlabelled / "config.json").write_text(json.dumps({**config, "languages": []}), encoding="utf-8")  # as older releases
    german = CoquiSpeech(CoquiSpeech.Options(model=str(unlabelled), default_language="de"))
    assert german.languages == {"de"}
    assert len(german.speak(line("Hallo Welt.", language="de")).samples) > 0


def test_a_language_the_model_does_not_speak_is_refused_naming_the_ones_it_does(vits: CoquiSpeech) -> None:
    with pytest.raises(GenerationError, match=r"does not speak 'ja'; it speaks en\b"):
        vits.speak(line("Konnichiwa.", language="ja"))


def test_a_model_that_cannot_clone_refuses_a_voice_sample(vits: CoquiSpeech, samples: dict[str, Path]) -> None:
    with pytest.raises(GenerationError, match="cannot clone a voice; XTTS-v2 and YourTTS can"):
        vits.speak(line("Hello.", sample=samples["low"]))


# Multi-speaker, multilingual VITS


def test_a_multilingual_model_speaks_each_of_its_languages_by_iso_code(multi_folder: Path) -> None:
    voice = CoquiSpeech(CoquiSpeech.Options(model=str(multi_folder), speaker="ana"))
    assert voice.languages == {"en", "fr"}
    english = voice.speak(line("Bonjour le monde.", language="en"))
    french = voice.speak(line("Bonjour le monde.", language="fr"))
    assert len(french.samples) > 0 and not np.array_equal(english.samples, french.samples)
    with pytest.raises(GenerationError, match="it speaks en, fr"):
        voice.speak(line("Hola.", language="es"))


def test_the_configured_speaker_is_the_voice_and_an_unknown_one_is_refused_with_the_list(multi_folder: Path) -> None:
    ana = CoquiSpeech(CoquiSpeech.Options(model=str(multi_folder), speaker="ana")).speak(line("Good evening."))
    ben = CoquiSpeech(CoquiSpeech.Options(model=str(multi_folder), speaker="ben")).speak(line("Good evening."))
    assert not np.array_equal(ana.samples, ben.samples)
    with pytest.raises(GenerationError, match="has no speaker 'cleo'; it has: ana, ben"):
        CoquiSpeech(CoquiSpeech.Options(model=str(multi_folder), speaker="cleo")).speak(line("Good evening."))


# XTTS-v2: cloning


def test_xtts_clones_a_voice_from_a_wav_sample_at_its_output_rate(xtts: CoquiSpeech, samples: dict[str, Path]) -> None:
    speech = xtts.speak(line("Hello there. This is a cloned voice.", sample=samples["stereo"]))
    assert speech.sample_rate == 24000
    assert len(speech.samples) > 0 and np.isfinite(speech.samples).all()


def test_xtts_computes_a_samples_voice_once_per_version_of_the_file_and_speaks_in_it(
    xtts: CoquiSpeech, models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from TTS.tts.models.xtts import Xtts

    computed = []
    original = Xtts.get_gpt_cond_latents

    def counted(self: Xtts, *args: object, **kwargs: object) -> object:
        computed.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Xtts, "get_gpt_cond_latents", counted)
    sample = voice_sample(models / "changing.wav", pitch_hz=110, seconds=1.2)
    first = xtts.speak(line("Good evening.", sample=sample))
    again = xtts.speak(line("Good evening.", sample=sample))
    assert len(computed) == 1
    assert np.array_equal(again.samples, first.samples)
    voice_sample(sample, pitch_hz=240, seconds=1.5)  # the person records their voice again
    other = xtts.speak(line("Good evening.", sample=sample))
    assert len(computed) == 2
    assert not np.array_equal(other.samples, first.samples)


def test_xtts_speaks_faster_when_asked(xtts: CoquiSpeech, samples: dict[str, Path]) -> None:
    normal = xtts.speak(line("Quickly now.", sample=samples["low"]))
    fast = xtts.speak(line("Quickly now.", speed=1.5, sample=samples["low"]))
    assert fast.duration_s < 0.8 * normal.duration_s


def test_xtts_without_a_sample_speaks_in_its_studio_voice(xtts: CoquiSpeech) -> None:
    speech = xtts.speak(line("A studio voice.", language="fr"))
    assert speech.sample_rate == 24000 and len(speech.samples) > 0
    assert xtts.languages == {"en", "fr", "de"}


def test_a_voice_sample_too_short_to_clone_is_refused(xtts: CoquiSpeech, models: Path) -> None:
    with pytest.raises(GenerationError, match=r"is 0\.3 s long; a cloned voice needs at least 1 s"):
        xtts.speak(line("Hello.", sample=voice_sample(models / "short.wav", pitch_hz=150, seconds=0.3)))


def test_a_missing_voice_sample_is_refused_by_name(xtts: CoquiSpeech, models: Path) -> None:
    with pytest.raises(GenerationError, match=r"Cannot read the voice sample gone\.wav"):
        xtts.speak(line("Hello.", sample=models / "gone.wav"))


# YourTTS-like: d-vector cloning


def test_your_tts_clones_a_voice_through_its_speaker_encoder(models: Path, samples: dict[str, Path]) -> None:
    folder = tiny_your_tts(models / "your_tts", speakers=["ana", "ben"], languages=["en", "fr-fr", "pt-br"])
    voice = CoquiSpeech(CoquiSpeech.Options(model=str(folder)))
    assert voice.languages == {"en", "fr", "pt"}
    own = voice.speak(line("Olá a todos.", language="pt"))
    low = voice.speak(line("Olá a todos.", language="pt", sample=samples["low"]))
    high = voice.speak(line("Olá a todos.", language="pt", sample=samples["high"]))
    assert len(low.samples) > 0 and low.sample_rate == 16000
    assert not np.array_equal(low.samples, high.samples) and not np.array_equal(own.samples, low.samples)


# Model names, the cache and identity


def test_a_model_name_loads_the_folder_coqui_installed_it_in(vits_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTS_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    name = "tts_models/en/ljspeech/vits"
    assert installed_path(name) is None
    assert not could_be_installed(name) and not could_be_installed("tts_models/multilingual/multi-dataset/xtts_v2")
    shutil.copytree(vits_folder, tmp_path / "tts" / "tts_models--en--ljspeech--vits")
    assert could_be_installed(name)  # read without importing coqui: listing voices costs no torch import
    assert installed_path(name) == tmp_path / "tts" / "tts_models--en--ljspeech--vits"
    speech = CoquiSpeech(CoquiSpeech.Options(model=name)).speak(line("Installed."))
    assert speech.sample_rate == 16000 and len(speech.samples) > 0


def test_a_model_that_is_not_downloaded_says_which_command_gets_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTS_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    voice = CoquiSpeech(CoquiSpeech.Options(model="tts_models/en/vctk/vits"))
    with pytest.raises(GenerationError, match=r"not downloaded.*HF_HUB_OFFLINE is set.*`reelwright voices pull tts_models/en/vctk/vits`"):
        voice.speak(line("Hello."))
    with pytest.raises(GenerationError, match=r"`reelwright voices pull tts_models/en/vctk/vits`"):
        download("tts_models/en/vctk/vits")


def test_xtts_downloads_only_after_its_license_is_agreed_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTS_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("COQUI_TOS_AGREED", raising=False)
    with pytest.raises(GenerationError, match=r"Coqui Public Model License, for non-commercial use.*--agree-licence"):
        download("tts_models/multilingual/multi-dataset/xtts_v2")


def test_unknown_models_are_refused_with_what_a_model_looks_like(tmp_path: Path) -> None:
    with pytest.raises(GenerationError, match="give a model name like tts_models/multilingual/multi-dataset/xtts_v2 or a model folder"):
        CoquiSpeech(CoquiSpeech.Options(model=str(tmp_path / "nowhere")))
    with pytest.raises(GenerationError, match="coqui-tts has no model tts_models/xx/nobody/vits"):
        installed_path("tts_models/xx/nobody/vits")
    with pytest.raises(GenerationError, match="is not a coqui model folder: Model file not found"):
        CoquiSpeech(CoquiSpeech.Options(model=str(tmp_path))).speak(line("Hello."))


def test_model_identity_follows_the_weights_not_the_folders_place(vits_folder: Path, multi_folder: Path, tmp_path: Path) -> None:
    identity = CoquiSpeech(CoquiSpeech.Options(model=str(vits_folder))).model_identity
    moved = shutil.copytree(vits_folder, tmp_path / "moved")
    assert CoquiSpeech(CoquiSpeech.Options(model=str(moved))).model_identity == identity
    shutil.copy(multi_folder / "model_file.pth", moved / "model_file.pth")
    assert CoquiSpeech(CoquiSpeech.Options(model=str(moved))).model_identity != identity
    named = CoquiSpeech(CoquiSpeech.Options(model="tts_models/en/vctk/vits")).model_identity
    assert isinstance(named, str) and named.startswith("tts_models/en/vctk/vits@coqui-tts 0.")


def test_the_default_backend_is_xtts_v2_and_loads_nothing_until_it_speaks() -> None:
    voice = CoquiSpeech()
    assert voice.options.model == "tts_models/multilingual/multi-dataset/xtts_v2"
    assert voice.model_identity.startswith("tts_models/multilingual/multi-dataset/xtts_v2@")


# torchaudio: coqui imports it; PyPI's only build for our torch cannot load its compiled part here, which
# every test above meets in-process. This one makes any torchaudio build fail that way.


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter: imports are process-wide, so each case needs its own process."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ}
    )


def test_torchaudio_whose_compiled_library_cannot_load_runs_in_pure_python() -> None:
    done = run_python(
        """
        import torch

        def unloadable(path):
            raise OSError(f"Could not load this library: {path}")

        torch.ops.load_library = unloadable  # what a CUDA build of torchaudio does on a machine without CUDA
        from reelwright.generation.coqui_tts import import_coqui
        import_coqui()
        import torchaudio
        wave = torch.sin(torch.arange(16000) / 7.0)[None]
        mel = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_mels=40)(wave)
        import TTS  # imported by import_coqui, with this torchaudio
        print(torchaudio._extension._IS_TORCHAUDIO_EXT_AVAILABLE, tuple(mel.shape))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "False"


def test_one_loaded_model_speaks_as_the_speaker_each_line_names(multi_folder: Path) -> None:
    """Two presets of one model's speakers (xtts-v2, xtts-v2-male) share its weights in memory."""
    voice = CoquiSpeech(CoquiSpeech.Options(model=str(multi_folder)))
    ana = voice.speak(replace(line("Good evening."), speaker="ana"))
    ben = voice.speak(replace(line("Good evening."), speaker="ben"))
    assert not np.array_equal(ana.samples, ben.samples)
    assert np.array_equal(
        ana.samples, CoquiSpeech(CoquiSpeech.Options(model=str(multi_folder), speaker="ana")).speak(line("Good evening.")).samples
    )
    with pytest.raises(GenerationError, match="has no speaker 'cleo'; it has: ana, ben"):
        voice.speak(replace(line("Good evening."), speaker="cleo"))
