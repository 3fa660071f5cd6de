"""The embedded sound bed: music that follows the words (tempo, key, mood, instruments) and ambience that
sounds like the place named, deterministic for a seed, exactly as long as asked, never clipping, and
stoppable between chunks.

Everything is measured on real renders: onsets per second, how much of the spectrum sits on the key's
pitch classes, spectral centroids and bands.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest

from reelwright import plugins
from reelwright.errors import Cancelled, GenerationError
from reelwright.generation.ambience import ambience_for
from reelwright.generation.backends import SoundRequest
from reelwright.generation.procedural_sound import PEAK_DBFS, SCALES, Key, ProceduralSound, Score, score_for

RATE = 48000


def render(
    prompt: str, kind: Literal["music", "ambience"] = "music", *, seconds: float = 12.0, seed: int = 1, style: str = ""
) -> np.ndarray:
    sound = ProceduralSound().generate(SoundRequest(prompt, kind, seconds, seed, style), lambda done: None)
    assert sound.sample_rate == RATE
    return sound.samples


def spectrum(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Power spectrum of the mono sum, and its frequencies."""
    mono = samples.mean(axis=0)
    return np.abs(np.fft.rfft(mono)) ** 2, np.fft.rfftfreq(len(mono), 1 / RATE)


def centroid(samples: np.ndarray) -> float:
    power, freqs = spectrum(samples)
    return float((power * freqs).sum() / power.sum())


def share(samples: np.ndarray, low: float, high: float) -> float:
    power, freqs = spectrum(samples)
    return float(power[(freqs >= low) & (freqs < high)].sum() / power.sum())


def onsets_per_second(samples: np.ndarray) -> float:
    """Peaks of spectral flux (the rise of log magnitude between 1024-sample frames) above an adaptive threshold."""
    mono, hop = samples.mean(axis=0), 512
    frames = np.arange(1024)[None, :] + hop * np.arange(len(mono) // hop - 2)[:, None]
    magnitude = np.log1p(100 * np.abs(np.fft.rfft(mono[frames] * np.hanning(1024), axis=1)))
    flux = np.maximum(np.diff(magnitude, axis=0), 0).sum(axis=1)
    threshold = np.median(flux) + 2 * np.std(flux)
    peaks = (flux[1:-1] > flux[:-2]) & (flux[1:-1] >= flux[2:]) & (flux[1:-1] > threshold)
    return float(peaks.sum() / (len(mono) / RATE))


def in_key(samples: np.ndarray, key: Key, shift: int = 0) -> float:
    """Share of the 80-1200 Hz energy within 30 cents of the key's pitch classes (moved by ``shift`` semitones)."""
    power, freqs = spectrum(samples)
    band = (freqs > 80) & (freqs < 1200)
    midi = 69 + 12 * np.log2(freqs[band] / 440)
    nearest = np.round(midi)
    scale = [(key.tonic + shift + step) % 12 for step in SCALES[key.mode]]
    on_scale = (np.abs(midi - nearest) < 0.3) & np.isin(nearest % 12, scale)
    return float(power[band][on_scale].sum() / power[band].sum())


def test_the_same_request_sounds_the_same() -> None:
    assert np.array_equal(render("calm piano", seconds=6), render("calm piano", seconds=6))
    assert np.array_equal(render("rain on a window", "ambience", seconds=4), render("rain on a window", "ambience", seconds=4))


def test_another_seed_plays_another_tune() -> None:
    first, second = render("upbeat", seed=1), render("upbeat", seed=2)
    assert abs(np.corrcoef(first.mean(axis=0), second.mean(axis=0))[0, 1]) < 0.3
    rain = [render("rain", "ambience", seconds=4, seed=seed) for seed in (1, 2)]
    assert abs(np.corrcoef(rain[0][0], rain[1][0])[0, 1]) < 0.1


@pytest.mark.parametrize("kind", ["music", "ambience"])
@pytest.mark.parametrize("seconds", [0.3, 3.33, 7.77])
def test_a_sound_is_exactly_as_long_as_asked(kind: Literal["music", "ambience"], seconds: float) -> None:
    samples = render("a forest lullaby", kind, seconds=seconds)
    assert samples.shape == (2, round(seconds * RATE)) and samples.dtype == np.float32


def test_the_sample_rate_comes_from_the_backend_s_settings_section() -> None:
    backend = plugins.construct(ProceduralSound, {"sample_rate": 24000}, kind="sound backend", name="procedural", error=GenerationError)
    sound = backend.generate(SoundRequest("calm", "music", 2.5, 1), lambda done: None)
    assert sound.sample_rate == 24000 and sound.samples.shape == (2, 60000)
    with pytest.raises(GenerationError, match="sample_rate"):
        plugins.construct(ProceduralSound, {"sample_rate": 10}, kind="sound backend", name="procedural", error=GenerationError)


@pytest.mark.parametrize(
    ("prompt", "style", "expected"),
    [
        ("upbeat happy pop", "", {"mood": "upbeat", "mode": "major", "drums": "kit"}),
        ("calm relaxing", "", {"mood": "calm", "chords": "pad", "drums": None}),
        ("sad and slow", "", {"mood": "dark", "mode": "minor"}),
        ("", "film noir", {"mood": "dark", "mode": "minor"}),
        ("happy", "film noir", {"mood": "upbeat", "mode": "major"}),
        ("calm but mysterious", "", {"mood": "calm", "mode": "minor"}),
        ("epic cinematic", "", {"chords": "strings", "drums": "toms"}),
        ("gentle piano", "", {"chords": "piano", "lead": "piano"}),
        ("acoustic guitar", "", {"chords": "guitar", "lead": "guitar"}),
        ("lofi chill beats", "", {"chords": "keys", "drums": "soft", "sevenths": True}),
        ("upbeat at 90 bpm", "", {"tempo_bpm": 90}),
        ("something in D minor", "", {"tonic": 2, "mode": "minor"}),
        ("upbeat with no drums", "", {"drums": None}),
    ],
)
def test_the_words_choose_the_score(prompt: str, style: str, expected: dict[str, object]) -> None:
    score = score_for(SoundRequest(prompt, "music", 10, 3, style))
    chosen = {**vars(score), "tonic": score.key.tonic, "mode": score.key.mode}
    assert {name: chosen[name] for name in expected} == expected


def test_faster_moods_are_faster_and_name_their_instruments() -> None:
    upbeat, calm = (score_for(SoundRequest(prompt, "music", 10, seed)) for prompt, seed in (("upbeat", 4), ("calm", 4)))
    assert upbeat.tempo_bpm > calm.tempo_bpm + 30
    assert upbeat.instruments == ("piano", "mallets", "bass", "kit") and "drums" not in calm.instruments


def test_upbeat_music_is_busier_than_calm_music() -> None:
    assert onsets_per_second(render("upbeat happy")) > 2.5 * onsets_per_second(render("calm relaxing"))


@pytest.mark.parametrize("prompt", ["upbeat", "calm", "sad", "epic", "lofi", "guitar", "piano"])
def test_the_notes_are_in_the_key_the_score_chose(prompt: str) -> None:
    samples = render(prompt)
    key = score_for(SoundRequest(prompt, "music", 12.0, 1)).key
    assert in_key(samples, key) > 0.8
    assert in_key(samples, key) > in_key(samples, key, shift=1) + 0.3  # a semitone off, much of it is not


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("rain on a window", "rain"),
        ("busy city street", "city"),
        ("ocean waves", "waves"),
        ("wind howling", "wind"),
        ("a crowded cafe", "cafe"),
        ("a cheering crowd", "crowd"),
        ("birds in the forest", "forest"),
        ("crickets on a summer night", "night"),
        ("a crackling campfire", "fire"),
        ("rain in the city", "rain"),
        ("a city street at night", "city"),
        ("a forest at night", "night"),
        ("an empty office", "room"),
    ],
)
def test_each_place_is_recognised_from_how_people_describe_it(prompt: str, kind: str) -> None:
    assert ambience_for(prompt) == kind


def test_places_sound_the_way_they_should() -> None:
    sounds = {
        place: render(place, "ambience", seconds=8)
        for place in (
            "rain on a window",
            "ocean waves",
            "busy city street",
            "wind howling",
            "a crowded cafe",
            "birds in the forest",
            "crickets at night",
            "an empty office",
        )
    }
    brightness = {place: centroid(samples) for place, samples in sounds.items()}
    assert brightness["rain on a window"] > 1.5 * brightness["ocean waves"]
    assert brightness["rain on a window"] > 3 * brightness["busy city street"]
    assert brightness["wind howling"] < brightness["busy city street"] < brightness["birds in the forest"]
    assert share(sounds["birds in the forest"], 2000, 24000) > 0.8 and share(sounds["crickets at night"], 2000, 24000) > 0.8
    assert share(sounds["a crowded cafe"], 200, 4000) > 0.9  # voices
    assert share(sounds["an empty office"], 0, 300) > 0.6  # a low hush
    for samples in sounds.values():
        assert abs(np.corrcoef(samples)[0, 1]) < 0.9  # stereo, not mono in two channels


@pytest.mark.parametrize(
    ("prompt", "kind"), [("upbeat", "music"), ("epic", "music"), ("crackling fire", "ambience"), ("busy city", "ambience")]
)
def test_nothing_clips(prompt: str, kind: Literal["music", "ambience"]) -> None:
    samples = render(prompt, kind, seconds=8)
    assert np.all(np.isfinite(samples))
    assert np.abs(samples).max() == pytest.approx(10 ** (PEAK_DBFS / 20), rel=1e-4)


@pytest.mark.parametrize("kind", ["music", "ambience"])
def test_progress_is_reported_in_chunks_up_to_done(kind: Literal["music", "ambience"]) -> None:
    reported: list[float] = []
    ProceduralSound().generate(SoundRequest("city traffic, upbeat", kind, 20.0, 1), reported.append)
    assert len(reported) >= 3 and reported == sorted(reported) and reported[-1] == 1.0


@pytest.mark.parametrize("kind", ["music", "ambience"])
def test_a_cancelled_render_stops_at_the_next_chunk(kind: Literal["music", "ambience"]) -> None:
    calls: list[float] = []

    def cancel_after_first(done: float) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise Cancelled("The person cancelled.")

    with pytest.raises(Cancelled):
        ProceduralSound().generate(SoundRequest("wind and rain, epic", kind, 60.0, 1), cancel_after_first)
    assert len(calls) == 2 and calls[-1] < 1.0


def test_a_score_reads_as_what_a_musician_would_be_told() -> None:
    score = Score(96, Key(9, "minor"), "dark", "pad", "piano", None, (0, 5, 2, 6))
    assert str(score.key) == "A minor" and score.beat_s == pytest.approx(0.625)
    assert score.instruments == ("pad", "piano", "bass")
