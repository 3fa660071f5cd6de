"""A person's voice sample, checked and normalised before it is stored for cloning.

Whatever people upload (a phone's m4a, an ogg voice message, a WAV) is decoded with PyAV and kept as
24 kHz mono 16-bit WAV, what cloning models read. A sample that is too short, too long or silent is
refused with one line saying what to record instead: cloning from two seconds or from room noise gives
a voice nobody would want, and the person should hear that before any video is made with it.
"""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np

from reelwright.errors import BadRequest

SAMPLE_RATE = 24000
MIN_SECONDS = 3.0
MAX_SECONDS = 60.0
MAX_BYTES = 20 * 1024 * 1024
#: RMS below this (about -50 dBFS) is silence or room noise, not a voice.
SILENCE_RMS = 0.003


def prepare_sample(source: Path, target: Path) -> float:
    """Decode ``source``, check it, write it to ``target`` as 24 kHz mono WAV; return its length in seconds."""
    if source.stat().st_size > MAX_BYTES:
        raise BadRequest(f"That voice sample is over {MAX_BYTES // (1024 * 1024)} MB: record 10-30 seconds of speech.")
    try:
        samples = _decode(source)
    except (av.FFmpegError, ValueError, IndexError) as error:
        raise BadRequest("That file is not audio I can read: send a WAV, MP3, M4A or OGG recording of your voice.") from error
    seconds = len(samples) / SAMPLE_RATE
    if seconds < MIN_SECONDS:
        raise BadRequest(f"That voice sample is {seconds:.1f} s long: record at least {MIN_SECONDS:g} seconds (10-30 s is best).")
    if seconds > MAX_SECONDS:
        raise BadRequest(f"That voice sample is {seconds:.0f} s long: {MAX_SECONDS:g} seconds at most (10-30 s is best).")
    if float(np.sqrt(np.mean(samples**2))) < SILENCE_RMS:
        raise BadRequest("That voice sample is silent (or nearly): record yourself speaking, close to the microphone.")
    peak = float(np.abs(samples).max())
    samples = samples * (0.9 / peak) if peak > 0 else samples
    with wave.open(str(target), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return seconds


def _decode(source: Path) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    with av.open(str(source)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
                if sum(len(c) for c in chunks) > (MAX_SECONDS + 1) * SAMPLE_RATE:
                    return np.concatenate(chunks)
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
