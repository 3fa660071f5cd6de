"""Real diffusers audio models: Stable Audio Open and AudioLDM 2 load from a saved folder (or the hub cache)
the way published weights load, make exactly the requested duration at the model's own rate, repeat
themselves for a seed, report progress per step, stop when cancelled, survive running out of memory
once, and join several calls for sounds longer than one call.

The pipelines are the real diffusers classes with tiny random weights (tests/audio_model_fixtures.py);
nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import huggingface_hub.constants
import numpy as np
import pytest
import torch
from audio_model_fixtures import BUILDERS, SAMPLE_RATE
from tiny_diffusers import into_hub_cache

from reelwright.errors import Cancelled, GenerationError
from reelwright.generation.audio_models import (
    AUDIO_PIPELINES,
    AUDIO_PRESETS,
    DiffusersSound,
    audio_preset,
    crossfaded,
    prompt_for,
)
from reelwright.generation.backends import Sound, SoundRequest
from reelwright.generation.presets import MEMORY_POLICIES
from reelwright.generation.procedural_sound import ProceduralSound

FAMILIES = ["stable-audio", "audioldm2"]
CHANNELS = {"stable-audio": 2, "audioldm2": 1}
#: The longest call each tiny model makes (its latent length; AudioLDM 2's trained length).
LONGEST_S = {"stable-audio": 1.024, "audioldm2": 0.512}
STEPS = 2
#: Stable Audio's scheduler draws its noise from a torchsde Brownian tree, which warns that float32 times sit
#: a hair outside its interval; the same happens with the published weights and changes nothing.
pytestmark = pytest.mark.filterwarnings("ignore:Should have:UserWarning:torchsde")


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)  # two shared cores: the default thread count makes timings erratic


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("audio-models")
    return {name: build(root / name) for name, build in BUILDERS.items()}


def sound_model(folder: Path | str, **options: object) -> DiffusersSound:
    return DiffusersSound(DiffusersSound.Options(model=str(folder), **{"steps": STEPS, **options}))  # type: ignore[arg-type]


def request(duration_s: float = 0.4, seed: int = 7, kind: str = "music") -> SoundRequest:
    return SoundRequest(prompt="rain on a window", kind=kind, duration_s=duration_s, seed=seed, style="noir")  # type: ignore[arg-type]


def quiet(fraction: float) -> None:
    pass


# ---------------------------------------------------------------------------------------------- presets
def test_every_audio_preset_names_its_licence_pipeline_and_limits() -> None:
    assert {preset.id for preset in AUDIO_PRESETS} >= {"stable-audio-open-1.0", "audioldm2", "audioldm2-music"}
    for preset in AUDIO_PRESETS:
        assert audio_preset(preset.id) is preset
        assert preset.hub_id.count("/") == 1 and preset.licence and preset.pipeline in AUDIO_PIPELINES
        assert set(preset.memory_gb) == set(MEMORY_POLICIES) and preset.kinds and set(preset.kinds) <= {"music", "ambience"}
        assert preset.channels in (1, 2) and preset.sample_rate >= 16000 and preset.longest_s > 5
    assert audio_preset("stable-audio-open-1.0").gated  # type: ignore[union-attr]
    assert audio_preset("wan2.1-t2v-1.3b") is None


def test_ambience_is_asked_for_as_a_place_and_music_takes_the_style_as_mood() -> None:
    assert prompt_for(request(kind="ambience")) == "ambient sound of rain on a window"
    assert prompt_for(request(kind="music")) == "rain on a window, noir mood"


def test_calls_are_joined_end_to_start_with_an_equal_power_crossfade() -> None:
    first, second = np.full((2, 100), 0.5, np.float32), np.full((2, 80), -0.5, np.float32)
    joined = crossfaded([first, second], 20)
    assert joined.shape == (2, 160) and joined.dtype == np.float32
    assert (joined[:, :80] == 0.5).all() and (joined[:, 100:] == -0.5).all()
    assert np.isclose(joined[0, 80], 0.5) and np.isclose(joined[0, 99], -0.5)


# ---------------------------------------------------------------------------------------------- families
@pytest.mark.parametrize("name", FAMILIES)
def test_a_model_folder_makes_exactly_the_requested_duration_at_its_own_rate(name: str, tiny: dict[str, Path]) -> None:
    sound = sound_model(tiny[name]).generate(request(0.37), quiet)
    assert isinstance(sound, Sound) and sound.sample_rate == SAMPLE_RATE
    assert sound.samples.dtype == np.float32 and sound.samples.shape == (CHANNELS[name], round(0.37 * SAMPLE_RATE))
    assert np.isfinite(sound.samples).all() and np.abs(sound.samples).max() <= 1.0 and np.abs(sound.samples).max() > 0


@pytest.mark.parametrize("name", FAMILIES)
def test_the_same_seed_makes_the_same_sound_and_another_seed_another(name: str, tiny: dict[str, Path]) -> None:
    model = sound_model(tiny[name])
    first, again, other = (model.generate(request(seed=seed), quiet).samples for seed in (7, 7, 8))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", FAMILIES)
def test_progress_is_reported_at_every_step_and_ends_at_one(name: str, tiny: dict[str, Path]) -> None:
    seen: list[float] = []
    sound_model(tiny[name], steps=3).generate(request(), seen.append)
    assert len(seen) == 3 and seen == sorted(seen) and seen[-1] == 1.0


@pytest.mark.parametrize("name", FAMILIES)
def test_a_sound_longer_than_one_call_is_joined_from_several_calls(name: str, tiny: dict[str, Path]) -> None:
    seen: list[float] = []
    duration = 2.2 * LONGEST_S[name]  # three calls, with two crossfades
    sound = sound_model(tiny[name]).generate(request(duration), seen.append)
    assert sound.samples.shape == (CHANNELS[name], round(duration * SAMPLE_RATE))
    assert len(seen) == 3 * STEPS and seen == sorted(seen) and seen[-1] == 1.0  # three calls of two steps
    assert np.isfinite(sound.samples).all()


@pytest.mark.parametrize("name", FAMILIES)
def test_cancelling_stops_between_steps_and_the_model_stays_usable(name: str, tiny: dict[str, Path]) -> None:
    model = sound_model(tiny[name])
    steps: list[float] = []

    def cancel(fraction: float) -> None:
        steps.append(fraction)
        raise Cancelled("Cancelled.")

    with pytest.raises(Cancelled):
        model.generate(request(), cancel)
    assert len(steps) == 1  # stopped after the first step, no later step ran
    assert model.generate(request(), quiet).duration_s == pytest.approx(0.4)


@pytest.mark.parametrize("name", FAMILIES)
def test_running_out_of_memory_is_retried_once_then_explained(name: str, tiny: dict[str, Path]) -> None:
    model = sound_model(tiny[name])
    failures = [1]

    def out_of_memory_once(fraction: float) -> None:
        if failures:
            failures.pop()
            raise torch.OutOfMemoryError("CUDA out of memory (raised by the test)")

    assert model.generate(request(), out_of_memory_once).duration_s == pytest.approx(0.4)

    def always_out_of_memory(fraction: float) -> None:
        raise torch.OutOfMemoryError("CUDA out of memory (raised by the test)")

    with pytest.raises(GenerationError, match="Not enough memory") as refused:
        model.generate(request(), always_out_of_memory)
    assert "\n" not in str(refused.value)


# ---------------------------------------------------------------------------------------------- models
def test_new_weights_in_a_folder_change_the_model_identity(tiny: dict[str, Path], tmp_path: Path) -> None:
    original = sound_model(tiny["stable-audio"]).model_identity
    copy = tmp_path / "copy"
    shutil.copytree(tiny["stable-audio"], copy)
    assert sound_model(copy).model_identity == original  # where it lives does not matter

    (weights,) = (copy / "transformer").glob("*.safetensors")
    weights.write_bytes(weights.read_bytes() + b"\0" * 64)  # other weights, another size
    assert sound_model(copy).model_identity != original
    assert sound_model("audioldm2").model_identity == "cvssp/audioldm2@main"


def test_an_unknown_model_a_missing_folder_or_a_video_model_is_refused(tmp_path: Path) -> None:
    video = tmp_path / "video"
    video.mkdir()
    (video / "model_index.json").write_text(json.dumps({"_class_name": "WanPipeline"}))
    refusals = {
        "no-such-model": "Unknown model",
        str(tmp_path / "missing" / "folder"): "Unknown model",
        str(tmp_path): "no model_index.json",
        str(video): "WanPipeline, not a sound model",
    }
    for reference, reason in refusals.items():
        with pytest.raises(GenerationError, match=reason):
            sound_model(reference)


def test_a_folder_with_missing_weights_is_explained_in_one_line(tiny: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny["stable-audio"], broken)
    for weights in (broken / "transformer").glob("*.safetensors"):
        weights.unlink()
    with pytest.raises(GenerationError, match="Could not load the model folder") as refused:
        sound_model(broken).generate(request(), quiet)
    assert "\n" not in str(refused.value)


def test_a_preset_loads_from_the_hub_cache_and_a_missing_one_names_the_pull_command(
    tiny: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """huggingface_hub reads HF_HOME once at import, so the test points its cache constant here as HF_HOME would."""
    into_hub_cache(tiny["stable-audio"], "stabilityai/stable-audio-open-1.0", tmp_path / "hf")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)

    installed = sound_model("stable-audio-open-1.0")
    assert installed.model_identity == "stabilityai/stable-audio-open-1.0@main"
    assert installed.generate(request(), quiet).samples.shape == (2, round(0.4 * SAMPLE_RATE))

    with pytest.raises(GenerationError, match=r"run `reelwright models pull cvssp/audioldm2`\.") as missing:
        sound_model("audioldm2").generate(request(), quiet)
    assert "\n" not in str(missing.value)


def test_a_music_only_preset_leaves_ambience_to_the_procedural_generator(
    tiny: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AudioLDM2-music makes tunes: asked for rain, it would play rain as music."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))  # an empty cache
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    music_only = sound_model("audioldm2-music")
    assert music_only.kinds == ("music",)

    rain = music_only.generate(request(kind="ambience"), quiet)  # no weights needed: the model is not asked

    procedural = ProceduralSound().generate(request(kind="ambience"), quiet)
    assert rain.sample_rate == procedural.sample_rate and np.array_equal(rain.samples, procedural.samples)
    with pytest.raises(GenerationError, match="reelwright models pull"):
        music_only.generate(request(kind="music"), quiet)
