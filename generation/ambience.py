"""The procedural ambience: which place a prompt names, and that place's sound.

A place has no score and no notes: rain, wind, waves, city traffic, crowds, birds, crickets and fire are
each a few layers of filtered noise and short synthesised events, rendered one layer at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import soxr
from scipy import signal

from reelwright.generation.backends import Progress
from reelwright.generation.sound_shaping import add, filtered, panned, sine, swell, time

Layer = Callable[[np.random.Generator, int, int], np.ndarray]


def ambience_for(prompt: str) -> str:
    """The kind of ambience a prompt describes; a quiet room tone when no word matches.

    Kinds are tried in an order that lets the sound that dominates a scene win: "rain in the city" is
    rain, "a windy beach" is waves, "a city street at night" is traffic, "a forest at night" is crickets.
    """
    text = prompt.lower()
    for kind, pattern in _AMBIENCE_WORDS:
        if re.search(rf"\b(?:{pattern})\b", text):
            return kind
    return "room"


def render_ambience(kind: str, length: int, rate: int, rng: np.random.Generator, progress: Progress) -> np.ndarray:
    """The kind's layers summed, one at a time."""
    layers = _AMBIENCES[kind]
    out = np.zeros((2, length), dtype=np.float32)
    for number, layer in enumerate(layers):
        progress(0.95 * number / len(layers))
        if length:
            out += layer(rng, length, rate)
    return out


def _rain_hiss(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Countless distant drops: wide, bright noise whose intensity drifts."""
    hiss = filtered(_noise(rng, (2, n)), rate, 400, 9000)
    return 0.18 * hiss * _contour(rng, n, rate, 0.3, 0.75, 1.0)


def _rain_drops(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Near drops: sparse impulses ringing through short resonances, like ticks on glass and leaves."""
    out = np.zeros((2, n), dtype=np.float32)
    for channel in out:
        for centre in rng.uniform((1800, 3800), (2800, 5500)):
            channel += 3.0 * _resonated(_impulses(rng, n, rate, 35.0), rate, float(centre), 6.0)
    return out


def _wind_body(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Low broadband air that swells with gusts."""
    gusts = _contour(rng, n, rate, 0.25, 0.1, 1.0) ** 2
    air = filtered(_noise(rng, (2, n)), rate, 60, 900)
    return 0.9 * air * (0.15 + gusts)


def _wind_howl(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """The howl: breathy tones gliding slowly in pitch, loudest in the gusts."""
    out = np.zeros((2, n), dtype=np.float32)
    for low, high in ((320.0, 560.0), (520.0, 900.0)):
        pitch = _contour(rng, n, rate, 0.2, low, high)
        breath = 0.5 + 0.5 * filtered(_noise(rng, n), rate, None, 25) * 8
        tone = np.sin(np.float32(2 * np.pi) * (np.cumsum(pitch, dtype=np.float64) / rate % 1).astype(np.float32)) * breath
        strength = 0.8 * _contour(rng, n, rate, 0.2, 0.0, 1.0) ** 3
        out += panned(tone * strength, 1.0, rng.uniform(-0.7, 0.7))
    return out


def _waves(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Surf: a low roar that swells as each wave comes in, with the hiss of foam as it breaks."""
    hop = max(1, rate // 100)
    steps = n // hop + 2
    surge = np.full(steps, 0.12)
    foam = np.zeros(steps)
    crest = rng.uniform(0.5, 4.0)
    t = np.arange(steps) * hop / rate
    while crest < t[-1] + 6:
        rise, fall, height = rng.uniform(2.0, 3.5), rng.uniform(2.5, 4.5), rng.uniform(0.6, 1.0)
        before = np.clip((t - crest + rise) / rise, 0, 1)
        shape = np.where(t < crest, 0.5 - 0.5 * np.cos(np.pi * before), np.exp(-(t - crest) / fall))
        surge += height * shape
        foam += height * np.clip((t - crest) / 0.6, 0, 1) ** 2 * np.exp(-np.maximum(t - crest - 0.6, 0) / (0.4 * fall))
        crest += rng.uniform(6.0, 11.0)
    roar = filtered(_noise(rng, (2, n)), rate, 80, 900) * _upsampled(surge, hop, n)
    hiss = filtered(_noise(rng, (2, n)), rate, 1500, 9000) * _upsampled(foam, hop, n)
    return 0.6 * roar + 0.3 * hiss


def _city_rumble(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """The city's bed: low traffic rumble and a faint mid-range hum."""
    rumble = filtered(_noise(rng, (2, n)), rate, 30, 200) + 0.15 * filtered(_noise(rng, (2, n)), rate, 200, 1200)
    return 0.8 * rumble * _contour(rng, n, rate, 0.2, 0.85, 1.0)


def _city_cars(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Cars passing one way or the other: engine and tyre noise rising, sweeping across, and falling away."""
    hop = max(1, rate // 200)
    steps = n // hop + 2
    t = np.arange(steps) * hop / rate
    left, right = np.zeros(steps), np.zeros(steps)
    passing = rng.uniform(-1.0, 2.0)
    while passing < t[-1] + 3:
        width, loudness, direction = rng.uniform(1.2, 2.5), rng.uniform(0.4, 1.0), rng.choice([-1.0, 1.0])
        envelope = loudness * np.exp(-0.5 * ((t - passing) / (width / 2)) ** 2)
        angle = (np.clip(direction * (t - passing) / width, -1, 1) * 0.8 + 1) * np.pi / 4
        left += envelope * np.cos(angle)
        right += envelope * np.sin(angle)
        passing += rng.exponential(3.5) + 0.8
    engine = filtered(_noise(rng, n), rate, 80, 400) + 0.6 * filtered(_noise(rng, n), rate, 500, 3000)
    return 0.9 * engine * np.stack([_upsampled(left, hop, n), _upsampled(right, hop, n)])


def _city_horns(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Now and then a distant horn: two reedy tones a major third apart, sometimes twice."""
    out = np.zeros((2, n), dtype=np.float32)
    at = rng.uniform(1.0, 8.0)
    while at < n / rate:
        pitch, loudness, pan = rng.uniform(380, 460), rng.uniform(0.2, 0.5), rng.uniform(-0.7, 0.7)
        for repeat in range(1 if rng.random() < 0.6 else 2):
            t = time(rng.uniform(0.25, 0.6), rate)
            tone = sum(np.float32(1 / k) * (sine(k * pitch, len(t), rate) + sine(k * pitch * 1.26, len(t), rate)) for k in (1, 3, 5, 7))
            honk = filtered(np.asarray(tone, dtype=np.float32), rate, None, 2500) * swell(t, 0.02, t[-1] - 0.03, 0.03)
            add(out, panned(honk, loudness, pan), round((at + repeat * (t[-1] + 0.15)) * rate))
        at += rng.exponential(9.0) + 2.0
    return out


#: Formants (F1, F2, F3) of five vowels, for babble.
_VOWELS = ((730, 1090, 2440), (530, 1840, 2480), (300, 2250, 2900), (570, 840, 2410), (325, 700, 2530))


def _babble(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """A room of people talking: voiced buzz and breath through vowel formants, switched on in syllables
    by talkers who speak in bursts, half of them to the left and half to the right, over a murmur."""
    hop = max(1, rate // 200)
    out = np.zeros((2, n), dtype=np.float32)
    for side in range(2):
        pitches = [_contour(rng, n, rate, 2.0, low, low * 1.5) for low in (100.0, 130.0, 190.0)]
        buzz = sum(((np.cumsum(pitch, dtype=np.float64) / rate) % 1).astype(np.float32) - np.float32(0.5) for pitch in pitches)
        source = np.asarray(buzz, dtype=np.float32) + 0.6 * _noise(rng, n)
        for vowel, envelope in zip(_VOWELS, _syllables(rng, n // hop + 2, rate / hop, talkers=6), strict=True):
            voiced = sum(_resonated(source, rate, formant, 6.0) * np.float32(0.5**number) for number, formant in enumerate(vowel))
            out[side] += np.asarray(voiced, dtype=np.float32) * _upsampled(envelope, hop, n)
    out = 0.75 * out + 0.25 * out[::-1]
    return 0.5 * out + 0.15 * filtered(_noise(rng, (2, n)), rate, 250, 2500)


def _syllables(rng: np.random.Generator, steps: int, control_rate: float, talkers: int) -> np.ndarray:
    """How loud each vowel is at each of ``steps`` control points, for ``talkers`` people speaking in
    bursts of 1-4 s, four to six syllables a second, each syllable one vowel."""
    envelopes = np.zeros((len(_VOWELS), steps))
    for _talker in range(talkers):
        speaking = rng.uniform(-2.0, 1.0)
        while speaking < steps / control_rate:
            end, loudness = speaking + rng.uniform(1.0, 4.0), rng.uniform(0.3, 1.0)
            syllable = speaking
            while syllable < end:
                length = rng.uniform(0.12, 0.25)
                first, last = int(syllable * control_rate), int((syllable + length) * control_rate)
                low, high = max(first, 0), min(last, steps)
                if low < high:
                    shape = np.sin(np.linspace(0, np.pi, last - first)) ** 2
                    envelopes[rng.integers(len(_VOWELS)), low:high] += loudness * shape[low - first : high - first]
                syllable += length + rng.uniform(0.02, 0.12)
            speaking = end + rng.uniform(0.5, 3.0)
    return envelopes


def _clinks(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Cups and cutlery: bright, inharmonic pings now and then."""
    out = np.zeros((2, n), dtype=np.float32)
    at = rng.uniform(0.2, 3.0)
    while at < n / rate:
        pitch, loudness, pan = rng.uniform(1800, 3200), rng.uniform(0.05, 0.2), rng.uniform(-0.7, 0.7)
        t = time(0.3, rate)
        ping = sum(
            np.float32(a) * np.exp(-t / np.float32(d)) * sine(r * pitch, len(t), rate)
            for r, a, d in ((1, 1, 0.15), (2.7, 0.5, 0.06), (5.2, 0.3, 0.03))
        )
        add(out, panned(np.asarray(ping, dtype=np.float32), loudness, pan), round(at * rate))
        at += rng.exponential(2.5) + 0.1
    return out


def _leaves(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Leaves in a light breeze, over soft low air."""
    rustle = filtered(_noise(rng, (2, n)), rate, 1200, 7000) * _contour(rng, n, rate, 0.4, 0.3, 1.0) ** 2
    return 0.12 * rustle + 0.08 * filtered(_noise(rng, (2, n)), rate, 40, 300)


def _birds(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """A few birds, each with its own song: trills of falling chirps, or rising whistles, from its own place."""
    out = np.zeros((2, n), dtype=np.float32)
    for _bird in range(3):
        base, trill = rng.uniform(2200, 4500), rng.random() < 0.5
        pan, loudness = rng.uniform(-0.8, 0.8), rng.uniform(0.3, 1.0)
        at = rng.uniform(0.0, 4.0)
        while at < n / rate:
            notes = int(rng.integers(4, 9) if trill else rng.integers(2, 4))
            for note in range(notes):
                length = rng.uniform(0.04, 0.07) if trill else rng.uniform(0.12, 0.25)
                t = time(length, rate)
                start_pitch, end_pitch = (base * 1.4, base * 0.8) if trill else (base * 0.85, base * rng.uniform(1.1, 1.4))
                pitch = start_pitch + (end_pitch - start_pitch) * t / np.float32(length)
                chirp = np.sin(np.float32(2 * np.pi) * (np.cumsum(pitch, dtype=np.float64) / rate % 1).astype(np.float32))
                chirp *= np.sin(np.float32(np.pi) * t / np.float32(length)) ** 2
                add(out, panned(chirp, 0.35 * loudness, pan), round((at + note * length * (1.3 if trill else 1.6)) * rate))
            at += rng.exponential(3.0) + 0.8
    return out


def _night_air(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    return 0.15 * filtered(_noise(rng, (2, n)), rate, 30, 400) + 0.02 * filtered(_noise(rng, (2, n)), rate, 2000, 6000)


def _crickets(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Crickets: a high carrier pulsed a few times per chirp, each cricket at its own pitch, pace and place."""
    out = np.zeros((2, n), dtype=np.float32)
    hop = max(1, rate // 2000)
    t = np.arange(n // hop + 2) * hop / rate
    for _cricket in range(3):
        carrier, pulse_rate = rng.uniform(3800, 5200), rng.uniform(25, 40)
        pulses, period = int(rng.integers(3, 6)), rng.uniform(0.5, 1.1)
        within = (t + rng.uniform(0, period)) % period * pulse_rate
        gate = (within < pulses) * np.sin(np.pi * (within % 1)) ** 2 * rng.uniform(0.3, 0.8)
        song = sine(carrier, n, rate) * _upsampled(gate, hop, n) * _contour(rng, n, rate, 0.1, 0.5, 1.0)
        out += panned(song, 1.0, rng.uniform(-0.8, 0.8))
    return out


def _fire_roar(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """The flames: a low flickering roar."""
    flicker = _contour(rng, n, rate, 3.0, 0.0, 1.0)
    roar = filtered(_noise(rng, (2, n)), rate, 40, 350) + 0.1 * filtered(_noise(rng, (2, n)), rate, 400, 1500)
    return 0.7 * roar * (0.6 + 0.4 * flicker)


def _fire_crackle(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Crackles in bursts (mostly tiny, now and then loud) and the odd lower pop of a splitting log."""
    out = np.zeros((2, n), dtype=np.float32)
    bursts = _contour(rng, n, rate, 1.5, 0.0, 1.0) ** 2
    for channel in out:
        crackles = _impulses(rng, n, rate, 60.0, heavy=True) * bursts
        channel += 0.6 * filtered(crackles, rate, 1500, None) + 0.5 * _resonated(crackles, rate, float(rng.uniform(2500, 4000)), 3.0)
        channel += 5.0 * _resonated(_impulses(rng, n, rate, 0.8, heavy=True), rate, float(rng.uniform(600, 1200)), 2.5)
    return out


def _room_tone(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """An empty room: the low, steady hush of air and distant building noise."""
    tone = filtered(_noise(rng, (2, n)), rate, 30, 250) + 0.08 * filtered(_noise(rng, (2, n)), rate, 250, 3000)
    return 0.5 * tone * _contour(rng, n, rate, 0.1, 0.95, 1.0)


#: Ambience kinds in the order they are tried (see ``ambience_for``), with the words that name them.
_AMBIENCE_WORDS: tuple[tuple[str, str], ...] = (
    ("fire", r"fire|fireplace|campfire|bonfire|crackl\w*|flames?|hearth"),
    ("rain", r"rain\w*|drizzle|downpour|storm\w*|thunder\w*|showers?"),
    ("waves", r"waves?|ocean|sea|surf|beach|shore|coast\w*|tide"),
    ("cafe", r"cafe|café|coffee ?shop|restaurant|bar|pub|diner|bistro"),
    ("crowd", r"crowd\w*|chatter\w*|people|party|market|audience|conversation\w*|talking|busy room"),
    ("city", r"city|street|traffic|cars?|downtown|urban|road|highway|intersection"),
    ("night", r"night\w*|crickets?|insects?|cicadas?"),
    ("wind", r"wind\w*|breez\w*|gusts?|gale|blizzard|howl\w*"),
    ("forest", r"forest|woods|woodland|birds?|birdsong|jungle|park|meadow|garden|trees"),
)


def _reduced_rate(layer: Layer, factor: int) -> Layer:
    """``layer`` rendered at ``1 / factor`` of the sample rate and resampled: for layers with little above
    a few kHz (rumble, surf, babble), a fraction of the work for the same sound."""

    def rendered(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
        low = rate // factor
        samples = layer(rng, -(-n * low // rate) + 1, low)
        up = soxr.resample(np.ascontiguousarray(samples.T), low, rate, quality="MQ").T
        out = np.zeros((2, n), dtype=np.float32)
        out[:, : min(n, up.shape[1])] = up[:, :n]
        return out

    return rendered


_AMBIENCES: dict[str, tuple[Layer, ...]] = {
    "rain": (_rain_hiss, _rain_drops),
    "wind": (_reduced_rate(_wind_body, 4), _reduced_rate(_wind_howl, 4)),
    "waves": (_reduced_rate(_waves, 2),),
    "city": (_reduced_rate(_city_rumble, 4), _reduced_rate(_city_cars, 4), _city_horns),
    "cafe": (_reduced_rate(_babble, 4), _clinks),
    "crowd": (_reduced_rate(_babble, 4),),
    "forest": (_leaves, _birds),
    "night": (_reduced_rate(_night_air, 4), _crickets),
    "fire": (_reduced_rate(_fire_roar, 4), _fire_crackle),
    "room": (_reduced_rate(_room_tone, 4),),
}


# --- Noise and events -------------------------------------------------------------------------------


def _noise(rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape, dtype=np.float32)


def _resonated(x: np.ndarray, rate: int, centre: float, q: float) -> np.ndarray:
    """``x`` through one resonance (a two-pole peak), normalised to unit gain at its centre."""
    b, a = signal.iirpeak(min(centre, 0.45 * rate), q, fs=rate)
    return signal.sosfilt(signal.tf2sos(b, a), x, axis=-1).astype(np.float32)


def _impulses(rng: np.random.Generator, n: int, rate: int, per_second: float, heavy: bool = False) -> np.ndarray:
    """Clicks at random times, ``per_second`` on average, of random sign; ``heavy``: mostly tiny, some loud
    (a capped power law, so one freak click cannot set the level of the whole sound)."""
    count = int(rng.poisson(per_second * n / rate))
    out = np.zeros(n, dtype=np.float32)
    sizes = np.minimum(rng.pareto(2.5, count), 6.0) * 0.25 if heavy else rng.lognormal(-0.5, 0.5, count)
    np.add.at(out, rng.integers(0, n, count), (sizes * rng.choice([-1.0, 1.0], count)).astype(np.float32))
    return out


def _contour(rng: np.random.Generator, n: int, rate: int, changes_per_s: float, low: float, high: float) -> np.ndarray:
    """A smooth random curve between ``low`` and ``high`` that changes about ``changes_per_s`` times a second:
    cosine-interpolated random points, computed at 1 kHz and spread over the samples."""
    points = int(n / rate * changes_per_s) + 2
    values = rng.uniform(low, high, points)
    hop = max(1, rate // 1000)
    position = np.linspace(0, points - 1, n // hop + 2)
    index = np.minimum(position.astype(int), points - 2)
    ease = 0.5 - 0.5 * np.cos(np.pi * (position - index))
    return _upsampled(values[index] * (1 - ease) + values[index + 1] * ease, hop, n)


def _upsampled(curve: np.ndarray, hop: int, n: int) -> np.ndarray:
    """``n`` samples of a curve given every ``hop`` samples (at least ``n // hop + 2`` points), linearly
    interpolated: envelopes are computed at a control rate, then spread over the samples cheaply."""
    segments = -(-n // hop)
    start = curve[:segments].astype(np.float32)
    step = curve[1 : segments + 1].astype(np.float32) - start
    return (start[:, None] + step[:, None] * (np.arange(hop, dtype=np.float32) / np.float32(hop))).ravel()[:n]
