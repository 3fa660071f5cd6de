"""Shift a voice's pitch without moving its formants or changing its length: TD-PSOLA.

Resampling a recording raises the pitch and every resonance of the vocal tract with it (the
"chipmunk" voice), and changes its length. Pitch-synchronous overlap-add (TD-PSOLA) instead cuts the
voiced signal into two-period grains centred on each glottal pulse and lays them out again at the new
period: each grain keeps the vocal tract's response to one pulse, so the spectral envelope (the
formants) stays where it was while the harmonics under it move. Unvoiced sounds (s, f, breath) are
copied unchanged, and the output has exactly as many samples as the input.

Chosen over the WORLD vocoder (PyPI ``pyworld``: an sdist that compiles; analysis and resynthesis
cost about a tenth of the audio's duration with its fastest pitch tracker and leave the voice buzzier)
and over a phase vocoder (librosa's pitch shift: phasy, and it moves the formants unless corrected).
On Piper speech shifted by 2 to 4 semitones, the share of voiced frames that stay clearly periodic was
0.70-0.81 with PSOLA, 0.62-0.68 with the phase vocoder and 0.55-0.60 with WORLD; PSOLA runs at about
2% of real time on one core.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import butter, sosfiltfilt

#: The voice range searched for a pitch, in Hz: below a bass's lowest note, above a child's speaking voice.
F0_MIN = 60.0
F0_MAX = 500.0
#: The YIN threshold on the cumulative mean normalised difference: below it a frame is periodic.
_THRESHOLD = 0.15
#: A frame is voiced when its best dip is below this and it is not near silence.
_VOICED_DIP = 0.3
_SILENCE_DB = -45.0
#: Frames analysed at once (about 1.3 s of audio at a 5 ms hop).
_BLOCK = 256


def shift_pitch(samples: np.ndarray, rate: int, semitones: float) -> np.ndarray:
    """``samples`` (mono) with its voiced pitch moved by ``semitones``, formants and length kept."""
    signal = np.asarray(samples, dtype=np.float64)
    if semitones == 0 or len(signal) < 4 * rate / F0_MIN:
        return np.asarray(samples, dtype=np.float32).copy()
    hop = max(1, round(rate * 0.005))
    periods, voiced = pitch_track(signal, rate, hop)
    marks, mark_periods, mark_voiced = _pitch_marks(signal, periods, voiced, hop, rate)
    return _overlap_add(signal, marks, mark_periods, mark_voiced, 2 ** (semitones / 12)).astype(np.float32)


def pitch_track(signal: np.ndarray, rate: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """The pitch period in samples (fractional) and a voiced flag for each ``hop`` of ``signal``: YIN
    (de Cheveigné and Kawahara, 2002) with FFT correlations, a block of frames at a time so memory
    stays small for long narration."""
    lag_max = int(np.ceil(rate / F0_MIN))
    length = 2 * lag_max + 2
    padded = np.pad(signal, ((lag_max + 1) // 2, length + hop))
    frames = sliding_window_view(padded, length)[::hop][: len(signal) // hop + 1]
    blocks = [_yin(frames[start : start + _BLOCK], int(rate / F0_MAX), lag_max) for start in range(0, len(frames), _BLOCK)]
    periods, dips, levels = (np.concatenate(parts) for parts in zip(*blocks, strict=True))
    voiced = (dips < _VOICED_DIP) & (levels > levels.max() + _SILENCE_DB)
    return _smooth(periods, voiced)


def _yin(frames: np.ndarray, lag_min: int, lag_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each frame (an integration window of ``lag_max + 1`` samples and ``lag_max`` more): the period,
    the depth of its dip in the normalised difference (0 = perfectly periodic), and the level in dB."""
    window = lag_max + 1
    size = 1 << int(np.ceil(np.log2(2 * frames.shape[1])))
    correlation = np.fft.irfft(np.conj(np.fft.rfft(frames[:, :window], size)) * np.fft.rfft(frames, size), size)[:, :window]
    energy = np.cumsum(np.pad(frames**2, ((0, 0), (1, 0))), axis=1)
    shifted_energy = energy[:, window : 2 * window] - energy[:, :window]
    difference = np.maximum(energy[:, window : window + 1] + shifted_energy - 2 * correlation, 0.0)
    running = np.cumsum(difference[:, 1:], axis=1) / np.arange(1, window)
    normalised = np.ones_like(difference)
    normalised[:, 1:] = difference[:, 1:] / np.maximum(running, 1e-12)

    search = normalised[:, lag_min:]
    is_dip = np.zeros(search.shape, dtype=bool)
    is_dip[:, :-1] = search[:, :-1] <= search[:, 1:]
    candidates = (search < _THRESHOLD) & is_dip
    first = np.where(candidates.any(axis=1), candidates.argmax(axis=1), search.argmin(axis=1))
    lag = np.clip(first + lag_min, 1, lag_max - 1)
    rows = np.arange(len(frames))
    left, centre, right = normalised[rows, lag - 1], normalised[rows, lag], normalised[rows, lag + 1]
    curvature = left - 2 * centre + right
    offset = np.where(curvature > 1e-12, 0.5 * (left - right) / np.maximum(curvature, 1e-12), 0.0)
    level = 10 * np.log10(energy[:, window] / window + 1e-20)
    return lag + np.clip(offset, -0.5, 0.5), centre, level


def _smooth(periods: np.ndarray, voiced: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 5-frame median over voiced frames (removes octave slips), and no voiced or unvoiced run shorter
    than 3 frames (15 ms) inside the signal."""
    flags = voiced.copy()
    for value in (True, False):
        edges = np.diff(np.concatenate([[False], flags == value, [False]]).astype(np.int8))
        for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if end - start < 3 and 0 < start and end < len(flags):
                flags[start:end] = not value
    smoothed = periods.copy()
    if flags.sum() >= 5:
        index = np.flatnonzero(flags)
        window = sliding_window_view(np.pad(periods[index], 2, mode="edge"), 5)
        smoothed[index] = np.median(window, axis=1)
    return smoothed, flags


def _pitch_marks(
    signal: np.ndarray, periods: np.ndarray, voiced: np.ndarray, hop: int, rate: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Analysis marks: one on each glottal pulse in voiced stretches, every 5 ms elsewhere.

    A pulse is the strongest peak of the signal below 500 Hz within a quarter period of where the last
    period predicts it: without the formants' ripple the peaks sit at the same point of every period,
    so neighbouring grains add up in phase.
    """
    step = max(2, round(rate * 0.005))
    smooth = sosfiltfilt(butter(2, 500, fs=rate, output="sos"), signal)
    smooth *= _pulse_polarity(smooth, voiced, hop)
    marks: list[int] = []
    mark_periods: list[int] = []
    mark_voiced: list[bool] = []
    position = 0
    was_voiced = False
    while position < len(signal):
        frame = min(position // hop, len(periods) - 1)
        if voiced[frame]:
            period = max(2, round(periods[frame]))
            reach = max(1, period // 4)
            if was_voiced:
                low, high = max(0, position - reach), min(len(signal), position + reach + 1)
            else:
                low, high = position, min(len(signal), position + period)
            position = low + int(np.argmax(smooth[low:high]))
            if marks and position <= marks[-1]:
                position = marks[-1] + max(1, period // 2)
            marks.append(position)
            mark_periods.append(period)
            mark_voiced.append(True)
            position += period
            was_voiced = True
        else:
            marks.append(position)
            mark_periods.append(step)
            mark_voiced.append(False)
            position += step
            was_voiced = False
    return np.array(marks), np.array(mark_periods), np.array(mark_voiced)


def _pulse_polarity(signal: np.ndarray, voiced: np.ndarray, hop: int) -> float:
    """+1 or -1: whichever sign the voiced waveform's biggest excursions take, so marks sit on pulses."""
    sample_voiced = np.repeat(voiced, hop)[: len(signal)]
    part = signal[: len(sample_voiced)][sample_voiced]
    if part.size == 0:
        return 1.0
    return 1.0 if part.max() >= -part.min() else -1.0


def _overlap_add(signal: np.ndarray, marks: np.ndarray, periods: np.ndarray, voiced: np.ndarray, factor: float) -> np.ndarray:
    """Lay the grains out again. Voiced ones go every ``spacing / factor`` samples, where the spacing is
    that of the analysis marks around that time, each grain taken from the mark nearest in time (so the
    length stays and, at a factor of 1, every grain lands back where it came from); unvoiced ones stay
    where they were."""
    spacing = np.diff(marks, append=marks[-1] + periods[-1])
    widest = int(periods.max()) + 1
    output = np.zeros(len(signal) + 2 * widest)
    padded = np.pad(signal, widest)
    windows: dict[int, np.ndarray] = {}
    place = float(marks[0])
    while place < len(signal):
        index = int(np.searchsorted(marks, place))
        if index == len(marks) or (index > 0 and place - marks[index - 1] < marks[index] - place):
            index -= 1
        if voiced[index]:
            centre = round(place)
            hop = float(np.interp(place, marks, spacing)) / factor
        else:
            index = int(np.searchsorted(marks, place - 0.5))
            if index == len(marks):
                break
            place = float(marks[index])
            if voiced[index]:
                continue
            centre = int(marks[index])
            hop = float(spacing[index])
        mark, period = int(marks[index]), int(periods[index])
        window = windows.get(period)
        if window is None:
            window = windows[period] = 0.5 - 0.5 * np.cos(np.pi * np.arange(2 * period) / period)
        grain = padded[widest + mark - period : widest + mark + period] * window
        output[widest + centre - period : widest + centre + period] += grain * min(1.0, hop / period)
        place += hop
    return output[widest : widest + len(signal)]
