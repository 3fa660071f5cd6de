"""The procedural score's instruments: one note, or one drum hit, as float32 mono samples.

Small synthesised instruments (additive piano, FM keys, mallets, pads and strings, a Karplus-Strong guitar,
a bass, a drum kit) that need no samples or weights; kept apart from the score, so what is played and how it
sounds are read and tuned separately.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import soxr

from reelwright.generation.sound_shaping import cycles, filtered, sine, swell, time


def _piano(freq: float, length_s: float, rate: int) -> np.ndarray:
    """Struck strings: partials whose upper ones die first (low notes ring longer), and a damper at note-off."""
    t = time(length_s + 0.3, rate)
    decay = float(np.clip(2.5 * (261.6 / freq) ** 0.6, 0.5, 6.0))
    amplitudes = _below((1.0, 0.6, 0.35, 0.25, 0.15, 0.1, 0.07, 0.05), freq, min(0.45 * rate, 10000))
    upper_fade = np.exp(-t * np.float32(0.7 / decay))
    out = _harmonics(cycles(freq, len(t), rate), amplitudes, upper_fade) * np.exp(-t / np.float32(decay))
    return out * _attack(t, 0.004) * _damper(t, length_s, 0.07)


def _keys(freq: float, length_s: float, rate: int) -> np.ndarray:
    """An electric piano: a sine that phase-modulates itself, brighter at the strike and mellowing as it rings."""
    t = time(length_s + 0.25, rate)
    decay = float(np.clip(2.0 * (261.6 / freq) ** 0.5, 0.6, 4.0))
    index = np.float32(1.4) * np.exp(-t / np.float32(0.5)) + np.float32(0.15)
    phase = cycles(freq, len(t), rate)
    out = np.sin(np.float32(2 * np.pi) * phase + index * np.sin(np.float32(2 * np.pi) * phase))
    return out * np.exp(-t / np.float32(decay)) * _attack(t, 0.003) * _damper(t, length_s, 0.08)


def _mallets(freq: float, length_s: float, rate: int) -> np.ndarray:
    """A marimba bar: its three modes (1, 3.9 and 9.5 times the fundamental), the higher ones short."""
    t = time(min(length_s, 1.5) + 0.6, rate)
    scale = (440.0 / freq) ** 0.3
    out = np.zeros(len(t), dtype=np.float32)
    for ratio, amplitude, decay in ((1.0, 1.0, 0.9), (3.93, 0.3, 0.25), (9.54, 0.08, 0.08)):
        if ratio * freq < 0.45 * rate:
            out += np.float32(amplitude) * np.exp(-t / np.float32(decay * scale)) * sine(ratio * freq, len(t), rate)
    return out * _attack(t, 0.0015)


def _pad(freq: float, length_s: float, rate: int) -> np.ndarray:
    """Two detuned voices of a soft saw-like tone with slow attack and release: a bed under everything."""
    release = 0.8
    t = time(length_s + release, rate)
    amplitudes = _below(tuple(0.5 / number**1.5 for number in range(1, 7)), freq, 0.45 * rate)
    out = sum(_harmonics(cycles(freq * detune, len(t), rate), amplitudes) for detune in (0.9965, 1.0035))
    return np.asarray(out, dtype=np.float32) * swell(t, min(0.6, length_s / 3), length_s, release)


def _strings(freq: float, length_s: float, rate: int) -> np.ndarray:
    """A bowed section: bright saw-like partials, two players slightly apart in pitch, vibrato that sets in."""
    release = 0.5
    t = time(length_s + release, rate)
    vibrato = 0.003 * np.minimum(1.0, t / 0.6) * np.sin(np.float32(2 * np.pi * 5.3) * t)
    wobble = np.float32(freq) * np.cumsum(vibrato) / np.float32(rate)
    amplitudes = _below(tuple(0.45 / number for number in range(1, 9)), freq, 0.45 * rate)
    out = sum(_harmonics(cycles(freq * detune, len(t), rate) + wobble, amplitudes) for detune in (0.9975, 1.0025))
    return np.asarray(out, dtype=np.float32) * swell(t, min(0.25, length_s / 3), length_s, release)


def _guitar(freq: float, length_s: float, rate: int) -> np.ndarray:
    """Karplus-Strong: a noise burst circulating in a delay line that averages away its highs each pass.

    The loop runs one period at a time (vectorised within it), at the rate where the period is a whole
    number of samples plus the averager's half sample, so the note is in tune; soxr brings it to ``rate``.
    """
    period = max(2, round(rate / freq - 0.5))
    loop_rate = freq * (period + 0.5)
    total = int((length_s + 0.15) * loop_rate)
    decay = float(np.exp(-1 / (freq * float(np.clip(1.8 * (196 / freq) ** 0.5, 0.4, 3.0)))))
    burst = np.random.default_rng(int(freq * 1000)).uniform(-1, 1, period)
    line = np.zeros(total + period + 1)
    line[1 : period + 1] = np.convolve(burst, [0.5, 0.5], mode="same")
    for start in range(period + 1, total + 1, period):
        end = min(start + period, total + 1)
        line[start:end] = decay * 0.5 * (line[start - period : end - period] + line[start - period - 1 : end - period - 1])
    note = soxr.resample(line[1 : total + 1].astype(np.float32), loop_rate, rate, quality="MQ")
    t = time(len(note) / rate, rate)[: len(note)]
    return note * _attack(t, 0.002) * _damper(t, length_s, 0.05)


def _bass(freq: float, length_s: float, rate: int) -> np.ndarray:
    t = time(length_s + 0.12, rate)
    fade = np.exp(-t / np.float32(1.5 if length_s < 2 else 4.0))
    out = _harmonics(cycles(freq, len(t), rate), _below((1.0, 0.45, 0.18, 0.08), freq, 0.45 * rate), fade) * fade
    return out * _attack(t, 0.008) * _damper(t, length_s, 0.05)


INSTRUMENTS: dict[str, Callable[[float, float, int], np.ndarray]] = {
    "piano": _piano,
    "keys": _keys,
    "mallets": _mallets,
    "pad": _pad,
    "strings": _strings,
    "guitar": _guitar,
    "bass": _bass,
}


def _kick(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = time(0.45, rate)
    phase = 48 * t + 110 * 0.035 * (1 - np.exp(-t / np.float32(0.035)))
    click = filtered(rng.standard_normal(len(t)).astype(np.float32), rate, None, 4000) * np.exp(-t / np.float32(0.003))
    return np.sin(np.float32(2 * np.pi) * phase) * np.exp(-t / np.float32(0.28)) + 0.3 * click


def _snare(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = time(0.3, rate)
    rattle = filtered(rng.standard_normal(len(t)).astype(np.float32), rate, 1500, 8000) * np.exp(-t / np.float32(0.09))
    return 0.5 * sine(185, len(t), rate) * np.exp(-t / np.float32(0.06)) + 0.9 * rattle


def _hat(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = time(0.12, rate)
    return 1.2 * filtered(rng.standard_normal(len(t)).astype(np.float32), rate, 7000, None) * np.exp(-t / np.float32(0.025))


def _brush(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = time(0.35, rate)
    return (
        1.2 * filtered(rng.standard_normal(len(t)).astype(np.float32), rate, 1000, 6000) * _attack(t, 0.008) * np.exp(-t / np.float32(0.09))
    )


def _soft_hat(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = time(0.1, rate)
    return filtered(rng.standard_normal(len(t)).astype(np.float32), rate, 4000, 9000) * np.exp(-t / np.float32(0.02))


def _tom(low: float) -> Callable[[int, np.random.Generator], np.ndarray]:
    def tom(rate: int, rng: np.random.Generator) -> np.ndarray:
        t = time(0.8, rate)
        phase = low * t + 0.4 * low * 0.08 * (1 - np.exp(-t / np.float32(0.08)))
        skin = filtered(rng.standard_normal(len(t)).astype(np.float32), rate, None, 800) * np.exp(-t / np.float32(0.05))
        return np.sin(np.float32(2 * np.pi) * phase) * np.exp(-t / np.float32(0.35)) + 0.4 * skin

    return tom


DRUM_SOUNDS: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "kick": _kick,
    "snare": _snare,
    "hat": _hat,
    "brush": _brush,
    "soft_hat": _soft_hat,
    "tom_low": _tom(82.0),
    "tom_high": _tom(123.0),
}


# --- Shaping a note ---------------------------------------------------------------------------------


def _harmonics(phase: np.ndarray, amplitudes: tuple[float, ...], damping: np.ndarray | None = None) -> np.ndarray:
    """Sum of ``amplitudes[k - 1] * damping ** (k - 1) * sin(2 pi k phase)``: harmonic partials, each ``damping``
    times quicker to fade than the one below, by the Chebyshev recurrence
    sin((k + 1) x) = 2 cos(x) sin(k x) - sin((k - 1) x), a few multiplications per partial instead of a sine."""
    angle = np.float32(2 * np.pi) * phase
    current = np.sin(angle)
    twice_cos = np.float32(2) * np.cos(angle)
    squared = None if damping is None else damping * damping
    if damping is not None:
        twice_cos *= damping
    previous = np.zeros_like(current)
    out = np.float32(amplitudes[0]) * current
    for amplitude in amplitudes[1:]:
        following = twice_cos * current
        following -= previous if squared is None else squared * previous
        previous, current = current, following
        out += np.float32(amplitude) * current
    return out


def _below(amplitudes: tuple[float, ...], freq: float, limit: float) -> tuple[float, ...]:
    """The partials of ``freq`` that stay under ``limit`` (above it they would alias)."""
    return amplitudes[: max(1, int(limit // freq))]


def _attack(t: np.ndarray, seconds: float) -> np.ndarray:
    return np.minimum(np.float32(1), t / np.float32(seconds))


def _damper(t: np.ndarray, off_s: float, seconds: float) -> np.ndarray:
    """1 until note-off, then an exponential fall (a damper on a string, a key released)."""
    return np.exp(-np.maximum(t - np.float32(off_s), 0) / np.float32(seconds))
