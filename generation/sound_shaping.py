"""Signal helpers that the instruments, the music renderer and the ambience layers share.

They all build sounds from the same few float32 numpy operations (sample times, oscillators, an envelope, a
filter, placing a sound in a track); one place for them keeps the modules that use them about sound.
"""

from __future__ import annotations

import numpy as np
from scipy import signal


def time(seconds: float, rate: int) -> np.ndarray:
    return np.arange(round(seconds * rate), dtype=np.float32) / np.float32(rate)


def cycles(freq: float, n: int, rate: int) -> np.ndarray:
    """Phase in cycles, wrapped to [0, 1) in float64 before float32, so long notes stay in tune."""
    phase = np.arange(n) * (freq / rate)
    return (phase - np.floor(phase)).astype(np.float32)


def sine(freq: float, n: int, rate: int) -> np.ndarray:
    return np.sin(np.float32(2 * np.pi) * cycles(freq, n, rate))


def swell(t: np.ndarray, attack_s: float, off_s: float, release_s: float) -> np.ndarray:
    """Raised-cosine rise over ``attack_s``, hold, raised-cosine fall over ``release_s`` from ``off_s``."""
    rise = np.clip(t / np.float32(max(attack_s, 1e-3)), 0, 1)
    fall = np.clip((t - np.float32(off_s)) / np.float32(release_s), 0, 1)
    return (0.5 - 0.5 * np.cos(np.float32(np.pi) * rise)) * (0.5 + 0.5 * np.cos(np.float32(np.pi) * fall))


def filtered(x: np.ndarray, rate: int, low: float | None, high: float | None, order: int = 2) -> np.ndarray:
    """Butterworth band-pass (or high-pass with ``high`` None, low-pass with ``low`` None), along the last axis."""
    nyquist = 0.49 * rate
    high = min(high, nyquist) if high is not None else None
    if low is not None and high is not None:
        sos = signal.butter(order, [low, high], "bandpass", fs=rate, output="sos")
    elif low is not None:
        sos = signal.butter(order, low, "highpass", fs=rate, output="sos")
    else:
        sos = signal.butter(order, high, "lowpass", fs=rate, output="sos")
    return signal.sosfilt(sos, x, axis=-1).astype(np.float32)


def add(track: np.ndarray, samples: np.ndarray, start: int) -> None:
    """Adds ``samples`` (mono or stereo, like ``track``) into ``track`` from ``start``, dropping what falls past its end."""
    end = min(start + samples.shape[-1], track.shape[-1])
    if start < end:
        track[..., start:end] += samples[..., : end - start]


def panned(mono: np.ndarray, level: float, pan: float) -> np.ndarray:
    """``mono`` as (2, n) at ``level``, placed by a constant-power pan law (-1 left, 1 right)."""
    angle = (pan + 1) * np.pi / 4
    return np.array([[level * np.cos(angle)], [level * np.sin(angle)]], dtype=np.float32) * mono
