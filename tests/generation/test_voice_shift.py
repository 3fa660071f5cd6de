"""Pitch shifting keeps the voice's formants and length: measured on a synthetic vowel whose pitch and
formants are known, and against plain resampling, which moves the formants with the pitch."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.signal import lfilter

from reelwright.generation.voice_shift import pitch_track, shift_pitch

RATE = 22050
#: The vowel /a/ of an adult male voice: (formant, bandwidth) in Hz.
FORMANTS = ((700, 80), (1220, 90), (2600, 120))


def vowel(f0: float, seconds: float = 1.0, vibrato: float = 0.0) -> np.ndarray:
    """A glottal pulse train (a two-pole glottal shape, lip radiation) through three formant resonators."""
    count = int(seconds * RATE)
    frequency = f0 * (1 + vibrato * np.sin(2 * np.pi * 5 * np.arange(count) / RATE))
    pulses = np.diff(np.floor(np.cumsum(frequency / RATE)), prepend=0.0)
    sound = np.diff(lfilter([1.0], [1, -2 * 0.97, 0.97**2], pulses), prepend=0.0)
    for formant, bandwidth in FORMANTS:
        radius = np.exp(-np.pi * bandwidth / RATE)
        angle = 2 * np.pi * formant / RATE
        sound = lfilter([1 - radius], [1, -2 * radius * np.cos(angle), radius**2], sound)
    return (0.5 * sound / np.abs(sound).max()).astype(np.float32)


def middle(samples: np.ndarray) -> np.ndarray:
    return samples[len(samples) // 4 : 3 * len(samples) // 4].astype(np.float64)


def measured_f0(samples: np.ndarray) -> float:
    """The strongest autocorrelation peak between 60 and 500 Hz, refined between samples."""
    part = middle(samples) - middle(samples).mean()
    correlation = np.correlate(part, part, "full")[len(part) - 1 :]
    low, high = int(RATE / 500), int(RATE / 60)
    lag = low + int(np.argmax(correlation[low:high]))
    left, centre, right = correlation[lag - 1 : lag + 2]
    return RATE / (lag + 0.5 * (left - right) / (left - 2 * centre + right))


def envelope(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The spectral envelope in dB (0 at its top) between 200 Hz and 4 kHz: the log spectrum with its
    quefrencies above 2.5 ms (the harmonics of any pitch below 400 Hz) removed."""
    part = middle(samples)
    size = 1 << 15
    cepstrum = np.fft.irfft(np.log(np.abs(np.fft.rfft(part * np.hanning(len(part)), size)) + 1e-9), size)
    cut = int(0.0025 * RATE)
    cepstrum[cut : size - cut] = 0
    decibels = np.fft.rfft(cepstrum, size).real * 20 / np.log(10)
    frequencies = np.fft.rfftfreq(size, 1 / RATE)
    band = (frequencies > 200) & (frequencies < 4000)
    return frequencies[band], decibels[band] - decibels[band].max()


def measured_formants(samples: np.ndarray) -> np.ndarray:
    """The peaks of the spectral envelope above 500 Hz."""
    frequencies, decibels = envelope(samples)
    peaks = np.flatnonzero((decibels[1:-1] > decibels[:-2]) & (decibels[1:-1] > decibels[2:])) + 1
    return frequencies[peaks][frequencies[peaks] > 500]


def envelope_distance(one: np.ndarray, other: np.ndarray) -> float:
    """The RMS difference of two envelopes, in dB."""
    return float(np.sqrt(np.mean((envelope(one)[1] - envelope(other)[1]) ** 2)))


def semitones_between(low: float, high: float) -> float:
    return 12 * np.log2(high / low)


def resampled(samples: np.ndarray, semitones: float) -> np.ndarray:
    """What narration used to do: read the samples faster (np.interp), which also shortens them."""
    positions = np.arange(0, len(samples) - 1, 2 ** (semitones / 12))
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def test_the_synthetic_vowel_has_the_pitch_and_formants_it_was_made_with() -> None:
    sound = vowel(120)
    assert measured_f0(sound) == pytest.approx(120, rel=0.01)
    assert measured_formants(sound)[:3] == pytest.approx([700, 1220, 2600], rel=0.05)


@pytest.mark.parametrize("semitones", [4, -4])
def test_shifting_a_vowel_moves_its_pitch_and_keeps_its_formants_and_length(semitones: int) -> None:
    sound = vowel(120)
    shifted = shift_pitch(sound, RATE, semitones)
    assert len(shifted) == len(sound)
    assert shifted.dtype == np.float32
    assert semitones_between(measured_f0(sound), measured_f0(shifted)) == pytest.approx(semitones, abs=0.5)
    assert measured_formants(shifted)[:3] == pytest.approx(measured_formants(sound)[:3], rel=0.1)
    # The same vowel made at the new pitch: the shifted one's envelope is within a few dB of it.
    assert envelope_distance(shifted, vowel(120 * 2 ** (semitones / 12))) < 3


def test_resampling_moves_the_formants_with_the_pitch_which_is_why_it_is_not_used() -> None:
    sound = vowel(120)
    chipmunk = resampled(sound, 4)
    assert semitones_between(measured_f0(sound), measured_f0(chipmunk)) == pytest.approx(4, abs=0.5)
    assert measured_formants(chipmunk)[0] / measured_formants(sound)[0] > 1.15  # F1 up by about a quarter
    assert envelope_distance(chipmunk, vowel(120 * 2 ** (4 / 12))) > 10
    assert len(chipmunk) < 0.8 * len(sound)


@pytest.mark.parametrize("semitones", [-6, -2, 3, 6])
def test_a_vowel_with_vibrato_follows_its_pitch_contour_by_the_requested_interval(semitones: int) -> None:
    sound = vowel(150, seconds=1.5, vibrato=0.04)
    hop = 110
    before, voiced_before = pitch_track(sound.astype(np.float64), RATE, hop)
    after, voiced_after = pitch_track(shift_pitch(sound, RATE, semitones).astype(np.float64), RATE, hop)
    both = voiced_before & voiced_after
    assert both.mean() > 0.9
    intervals = 12 * np.log2(before[both] / after[both])
    assert np.median(intervals) == pytest.approx(semitones, abs=0.25)
    assert np.percentile(np.abs(intervals - semitones), 90) < 0.5


def test_no_shift_returns_the_samples_unchanged() -> None:
    sound = vowel(120)
    assert np.array_equal(shift_pitch(sound, RATE, 0), sound)


def test_silence_and_noise_keep_their_length_and_stay_quiet() -> None:
    silence = np.zeros(RATE, dtype=np.float32)
    assert np.array_equal(shift_pitch(silence, RATE, 5), silence)
    noise = (np.random.default_rng(1).standard_normal(RATE) * 0.1).astype(np.float32)
    shifted = shift_pitch(noise, RATE, 5)
    assert len(shifted) == len(noise)
    assert np.sqrt(np.mean(shifted**2)) == pytest.approx(0.1, rel=0.2)


def test_shifting_is_far_faster_than_real_time() -> None:
    sound = np.concatenate([vowel(110 + 10 * step, seconds=0.5) for step in range(10)])  # 5 s
    shift_pitch(sound[:RATE], RATE, 3)
    started = time.process_time()  # CPU time: other work on the machine does not count
    shift_pitch(sound, RATE, 3)
    assert (time.process_time() - started) / (len(sound) / RATE) < 0.1
