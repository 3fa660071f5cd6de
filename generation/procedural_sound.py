"""The embedded sound bed: a small procedural score and ambience generator that needs no weights.

A CPU draft should have a real sound bed, not silence, and the embedded default cannot download an audio
model. Music is composed from the prompt's words (and the plan's style when the prompt says little):
a tempo, a key and a mood pick a chord progression, a bass line, a melody in the key chosen with the seed,
and drums where the mood calls for them, played by small synthesised instruments (additive piano, FM
keys, mallets, pads and strings, a Karplus-Strong guitar) in a shared reverb. Ambience is shaped noise:
rain, wind, waves, city traffic, crowds, birds, crickets and fire each have a few layers built from
filtered noise and short synthesised events. Everything is vectorised numpy; notes repeat, so each one is
synthesised once per request. A request is rendered in chunks (bars, or layers) and ``progress`` is called
between them, so a cancelled job stops early.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import soxr
from pydantic import BaseModel, Field
from scipy import fft as sp_fft
from scipy import signal

from reelwright.generation.backends import Progress, Sound, SoundRequest

#: Peak level of every generated sound; the mix sets the levels that are heard.
PEAK_DBFS = -3.0

Mood = Literal["upbeat", "calm", "dark", "epic", "lofi", "neutral"]
Mode = Literal["major", "minor"]
Instrument = Literal["piano", "keys", "mallets", "pad", "strings", "guitar"]
Drums = Literal["kit", "soft", "toms"]

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
SCALES: dict[Mode, tuple[int, ...]] = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}


class ProceduralSound:
    """Music and ambience from noise, oscillators and a seed: the ``SoundBackend`` a CPU draft uses."""

    name = "procedural"
    version = "1"

    class Options(BaseModel):
        """``[backend_options.procedural]``."""

        sample_rate: int = Field(default=48000, ge=8000, le=192000)

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or ProceduralSound.Options()

    def generate(self, request: SoundRequest, progress: Progress) -> Sound:
        """Exactly ``round(duration_s * sample_rate)`` stereo samples; the same request gives the same samples."""
        rate = self.options.sample_rate
        length = round(request.duration_s * rate)
        rng = np.random.default_rng([*_entropy(request), 1])
        if request.kind == "music":
            samples = _render_music(score_for(request), length, rate, rng, progress)
        else:
            samples = _render_ambience(ambience_for(request.prompt), length, rate, rng, progress)
        progress(1.0)
        return Sound(_at_peak(_declicked(samples, rate)), rate)


# --- The score: what the words ask for -------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """A key: its tonic's pitch class (0 = C) and its mode; melodies and chords are written in its scale degrees."""

    tonic: int
    mode: Mode

    def __str__(self) -> str:
        return f"{NOTE_NAMES[self.tonic]} {self.mode}"

    def semitones(self, degree: int) -> int:
        """Semitones above the tonic of scale ``degree`` (0 = the tonic, 7 = the tonic an octave up, -1 below it)."""
        return SCALES[self.mode][degree % 7] + 12 * (degree // 7)


@dataclass(frozen=True)
class Score:
    """What the music will be: chosen from the request's words, with the seed for what the words leave open."""

    tempo_bpm: int
    key: Key
    mood: Mood
    chords: Instrument  # plays the progression
    lead: Instrument  # plays the melody
    drums: Drums | None
    #: The chord of each bar, as the scale degree of its root (0 = the tonic's chord), repeated through the piece.
    progression: tuple[int, ...]
    sevenths: bool = False

    @property
    def instruments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.chords, self.lead, "bass", *((self.drums,) if self.drums else ()))))

    @property
    def beat_s(self) -> float:
        return 60.0 / self.tempo_bpm


@dataclass(frozen=True)
class _MoodStyle:
    tempo: tuple[int, int]
    mode: Mode
    chords: Instrument
    lead: Instrument
    drums: Drums | None
    sevenths: bool
    reverb_s: float


_MOODS: dict[Mood, _MoodStyle] = {
    "upbeat": _MoodStyle((116, 128), "major", "piano", "mallets", "kit", False, 1.2),
    "calm": _MoodStyle((62, 74), "major", "pad", "piano", None, False, 2.2),
    "dark": _MoodStyle((64, 78), "minor", "pad", "piano", None, False, 2.4),
    "epic": _MoodStyle((84, 96), "minor", "strings", "strings", "toms", False, 2.4),
    "lofi": _MoodStyle((72, 86), "major", "keys", "keys", "soft", True, 1.4),
    "neutral": _MoodStyle((88, 100), "major", "piano", "mallets", None, False, 1.8),
}
#: Words for each mood; the earliest mention in the prompt wins, then in the style.
_MOOD_WORDS: tuple[tuple[Mood, str], ...] = (
    ("upbeat", r"upbeat|energetic|happy|cheerful|fun|playful|joyful|lively|uplifting|party|dance|summery"),
    ("lofi", r"lo-?fi|chill|chillhop|jazzy|study|laid[- ]back"),
    ("epic", r"epic|cinematic|heroic|dramatic|trailer|grand|orchestral|triumphant|adventurous"),
    ("dark", r"sad|dark|noir|tense|mysterious|melanchol\w*|somber|sombre|eerie|ominous|horror|suspense\w*|gloomy|haunting|lonely"),
    ("calm", r"calm|relax\w*|ambient|peaceful|gentle|soft|serene|meditat\w*|dreamy|soothing|tranquil|lullaby"),
)
_MINOR_WORDS = r"minor|sad|dark|noir|tense|mysterious|melanchol\w*|somber|sombre|eerie|ominous|horror|suspense\w*|gloomy|haunting|lonely"
#: Instruments named in the prompt replace the mood's: (words, chords, lead); None keeps the mood's.
_INSTRUMENT_WORDS: tuple[tuple[str, Instrument | None, Instrument | None], ...] = (
    (r"piano", "piano", "piano"),
    (r"guitars?|acoustic", "guitar", "guitar"),
    (r"strings|violins?|cellos?|orchestra", "strings", "strings"),
    (r"rhodes|electric piano|keys", "keys", "keys"),
    (r"synths?|pads?", "pad", None),
    (r"bells?|marimba|xylophone|mallets|vibraphone", None, "mallets"),
)
_PROGRESSIONS: dict[Mode, tuple[tuple[int, ...], ...]] = {
    "major": ((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 5, 4)),  # I-V-vi-IV, I-vi-IV-V, vi-IV-I-V, I-IV-vi-V
    "minor": ((0, 5, 2, 6), (0, 3, 5, 4), (0, 6, 5, 6), (0, 5, 3, 6)),  # i-VI-III-VII, i-iv-VI-v, i-VII-VI-VII, i-VI-iv-VII
}
#: Lo-fi leans on jazz: ii-V-I-I, IV-iii-ii-V, I-vi-ii-V, played with sevenths.
_JAZZ_PROGRESSIONS = ((1, 4, 0, 0), (3, 2, 1, 4), (0, 5, 1, 4))


def score_for(request: SoundRequest) -> Score:
    """The score a music request gets. The prompt's words decide, the style is a hint when the prompt has
    no mood word ("noir" -> minor), an explicit "90 bpm" or "in D minor" wins, and the seed picks the rest
    (the tonic, the tempo within the mood's range, the progression)."""
    prompt, style = request.prompt.lower(), request.style.lower()
    rng = np.random.default_rng([*_entropy(request), 0])
    mood = _first_mood(prompt) or _first_mood(style) or "neutral"
    preset = _MOODS[mood]
    words = prompt if _first_mood(prompt) else f"{prompt} {style}"
    mode: Mode = preset.mode
    if re.search(rf"\b(?:{_MINOR_WORDS})\b", words):
        mode = "minor"
    if re.search(r"\bmajor\b", prompt):
        mode = "major"
    tonic = int(rng.integers(12))
    named_key = re.search(r"\b(?:in\s+)?([a-g])\s*(#|sharp|b|flat)?\s*(major|minor)\b", prompt)
    if named_key:
        letter, accidental, named_mode = named_key.groups()
        tonic = (NOTE_NAMES.index(letter.upper()) + {None: 0, "#": 1, "sharp": 1, "b": -1, "flat": -1}[accidental]) % 12
        mode = "major" if named_mode == "major" else "minor"
    tempo = int(rng.integers(preset.tempo[0], preset.tempo[1] + 1))
    stated_tempo = re.search(r"\b(\d{2,3})\s*bpm\b", prompt)
    if stated_tempo:
        tempo = min(max(int(stated_tempo.group(1)), 40), 200)
    chords, lead = preset.chords, preset.lead
    for pattern, named_chords, named_lead in _INSTRUMENT_WORDS:
        if re.search(rf"\b(?:{pattern})\b", prompt):
            chords, lead = named_chords or chords, named_lead or lead
    drums = preset.drums
    if re.search(r"\b(?:no|without)\s+(?:drums|percussion|beat)\b", prompt):
        drums = None
    elif drums is None and re.search(r"\b(?:drums|percussion|beat)\b", prompt):
        drums = "soft"
    choices = _JAZZ_PROGRESSIONS if preset.sevenths and mode == "major" else _PROGRESSIONS[mode]
    progression = choices[int(rng.integers(len(choices)))]
    return Score(tempo, Key(tonic, mode), mood, chords, lead, drums, progression, preset.sevenths)


def _first_mood(text: str) -> Mood | None:
    found = [(match.start(), mood) for mood, pattern in _MOOD_WORDS if (match := re.search(rf"\b(?:{pattern})\b", text))]
    return min(found)[1] if found else None


def _entropy(request: SoundRequest) -> tuple[int, int]:
    """The seed and a stable hash of the words (``hash()`` differs between processes): the same request always
    sounds the same, and two prompts with one seed still differ."""
    return request.seed, zlib.crc32(f"{request.kind}|{request.prompt}|{request.style}".encode())


# --- The performance: notes in time -----------------------------------------------------------------


@dataclass(frozen=True)
class _Note:
    onset_s: float
    part: Literal["chords", "lead", "bass", "drums"]
    voice: str  # an instrument, "bass", or a drum sound
    pitch: int  # MIDI; 0 for drums
    length_s: float
    velocity: float
    pan: float  # -1 left .. 1 right


#: Melody rhythms per mood: each bar a tuple of (beat, length in beats).
_RHYTHMS: dict[Mood, tuple[tuple[tuple[float, float], ...], ...]] = {
    "upbeat": (
        ((0, 1), (1, 0.5), (1.5, 0.5), (2, 1), (3, 1)),
        ((0, 0.5), (0.5, 0.5), (1, 1), (2.5, 0.5), (3, 1)),
        ((0, 1.5), (1.5, 0.5), (2, 2)),
    ),
    "calm": (((0, 2), (2, 2)), ((0, 3), (3, 1)), ((0, 1), (1, 1), (2, 2))),
    "dark": (((0, 2), (2, 1), (3, 1)), ((0, 1.5), (1.5, 0.5), (2, 2)), ((0, 3), (3, 1))),
    "epic": (((0, 1), (1, 1), (2, 2)), ((0, 2), (2, 1.5), (3.5, 0.5)), ((0, 3), (3, 1))),
    "lofi": (((0, 0.5), (1, 1), (2.5, 1.5)), ((0.5, 1), (1.5, 0.5), (2, 2)), ((0, 1.5), (1.5, 1.5), (3, 1))),
    "neutral": (((0, 1), (1, 1), (2, 2)), ((0, 1.5), (1.5, 0.5), (2, 2)), ((0, 2), (2, 1), (3, 1))),
}
#: Drum patterns: (sound, beat, velocity) per bar.
_DRUM_PATTERNS: dict[Drums, tuple[tuple[str, float, float], ...]] = {
    "kit": (
        ("kick", 0, 1.0),
        ("kick", 2, 0.9),
        ("snare", 1, 0.8),
        ("snare", 3, 0.85),
        *(("hat", beat / 2, 0.5 if beat % 2 == 0 else 0.3) for beat in range(8)),
    ),
    "soft": (
        ("kick", 0, 0.7),
        ("kick", 2.5, 0.5),
        ("brush", 1, 0.55),
        ("brush", 3, 0.6),
        *(("soft_hat", beat / 2, 0.3 if beat % 2 == 0 else 0.18) for beat in range(8)),
    ),
    "toms": (
        ("tom_low", 0, 1.0),
        ("tom_low", 0.75, 0.55),
        ("tom_low", 2, 0.9),
        ("tom_low", 2.75, 0.5),
        ("tom_high", 3, 0.6),
        ("tom_high", 3.5, 0.7),
    ),
}
#: Where the drums sit, as a drummer's kit is heard from the front; the rest are centred.
_DRUM_PANS = {"hat": 0.35, "soft_hat": 0.3, "tom_high": -0.25, "tom_low": 0.1}
#: Lo-fi swing: off-beat eighths come this many beats late.
_SWING = 0.17
#: The melody's range in scale degrees around the lead's tonic.
_LOWEST, _HIGHEST = -2, 9


def _performance(score: Score, bars: int, rng: np.random.Generator) -> list[_Note]:
    """Every note of the piece. Chords from the first bar; bass, drums and melody after an intro; the melody
    is two four-bar phrases, a call and an answer that repeats its first half, so it is heard as a tune."""
    beat = score.beat_s
    intro = 2 if bars >= 8 else 1 if bars >= 4 else 0
    phrase_chords = [score.progression[(intro + bar) % len(score.progression)] for bar in range(4)]
    call = _phrase(score, phrase_chords, rng, None)
    answer = _phrase(score, phrase_chords, rng, call)
    notes: list[_Note] = []
    voicing: tuple[int, ...] = ()
    for bar in range(bars):
        start = bar * 4 * beat
        degree = score.progression[bar % len(score.progression)]
        voicing = _voicing(score, degree, voicing)
        notes += _chord_notes(score, voicing, start)
        if bar < intro:
            continue
        notes += _bass_notes(score, degree, start)
        if score.drums:
            notes += _drum_notes(score, score.drums, bar, start)
        phrase_number, phrase_bar = divmod(bar - intro, 4)
        if score.mood in ("calm", "dark") and phrase_number % 2:
            continue  # slow moods leave every other phrase to the chords
        octave = 12 if score.lead == "mallets" else 0
        for offset, melody_degree, length in (call, answer)[phrase_number % 2][phrase_bar]:
            pitch = 57 + (score.key.tonic - 9) % 12 + octave + score.key.semitones(melody_degree)
            notes.append(_Note(start + _swung(score, offset) * beat, "lead", score.lead, pitch, length * beat, 0.8, 0.12))
    return [
        _Note(
            max(0.0, note.onset_s + rng.normal(0, 0.006)),
            note.part,
            note.voice,
            note.pitch,
            note.length_s,
            note.velocity * rng.uniform(0.85, 1.0),
            note.pan,
        )
        for note in notes
    ]


def _phrase(
    score: Score, chords: list[int], rng: np.random.Generator, call: tuple[tuple[tuple[float, int, float], ...], ...] | None
) -> tuple[tuple[tuple[float, int, float], ...], ...]:
    """Four bars of (beat, scale degree, length in beats). Strong beats land on the bar's chord tones, the
    notes between move by step, and the last bar holds one chord tone (the root, for an answer). An answer
    repeats the call's first two bars."""
    rhythms = _RHYTHMS[score.mood]
    first, second = (rhythms[int(index)] for index in rng.choice(len(rhythms), 2, replace=False))
    bars: list[tuple[tuple[float, int, float], ...]] = list(call[:2]) if call else []
    previous = bars[-1][-1][1] if bars else int(rng.choice([0, 2, 4]))
    for bar in range(len(bars), 4):
        tones = {(chords[bar] + step) % 7 for step in (0, 2, 4)}
        if bar == 3:
            targets = {chords[bar] % 7} if call else tones
            previous = _nearest(previous, targets, rng, wander=0.0)
            bars.append(((0.0, previous, 3.0),))
            continue
        line = []
        for offset, length in (first, second, first)[bar]:
            if offset % 2 == 0:
                previous = _nearest(previous, tones, rng, wander=0.25)
            else:
                step = int(rng.choice([-2, -1, 1, 2], p=[0.15, 0.35, 0.35, 0.15]))
                previous = previous + step if _LOWEST <= previous + step <= _HIGHEST else previous - step
            line.append((float(offset), previous, float(length)))
        bars.append(tuple(line))
    return tuple(bars)


def _nearest(degree: int, tones: set[int], rng: np.random.Generator, wander: float) -> int:
    """The chord tone nearest ``degree`` within the melody's range; with probability ``wander``, the next nearest."""
    candidates = sorted((abs(d - degree), rng.random(), d) for d in range(_LOWEST, _HIGHEST + 1) if d % 7 in tones)
    return candidates[1 if rng.random() < wander else 0][2]


def _voicing(score: Score, degree: int, previous: tuple[int, ...]) -> tuple[int, ...]:
    """The chord on ``degree`` as MIDI notes around middle C, in the inversion that moves least from the
    previous chord: voices that move by step are what makes a progression sound smooth."""
    size = 4 if score.sevenths else 3
    base = 48 + score.key.tonic
    close = [base + score.key.semitones(degree + 2 * step) for step in range(size)]
    candidates = []
    for inversion in range(size):
        notes = close[inversion:] + [note + 12 for note in close[:inversion]]
        while notes[0] < 52:
            notes = [note + 12 for note in notes]
        while notes[0] > 63:
            notes = [note - 12 for note in notes]
        candidates.append(tuple(notes))
    if not previous:
        return min(candidates, key=lambda notes: abs(sum(notes) / len(notes) - 60))
    return min(candidates, key=lambda notes: sum(abs(a - b) for a, b in zip(notes, previous, strict=True)))


def _chord_notes(score: Score, voicing: tuple[int, ...], start: float) -> list[_Note]:
    """One bar of the chords: held (pads, strings), struck in a rhythm (upbeat, lo-fi, guitar strums) or
    broken into an arpeggio (the slower moods)."""
    beat = score.beat_s
    pans = np.linspace(-0.35, 0.35, len(voicing))
    if score.chords in ("pad", "strings"):
        return [_Note(start, "chords", score.chords, pitch, 4 * beat + 0.15, 0.7, pan) for pitch, pan in zip(voicing, pans, strict=True)]
    if score.mood in ("upbeat", "lofi", "epic"):
        hits = {"upbeat": ((0, 1.5), (1.5, 1.0), (2.5, 1.5)), "lofi": ((0, 2.5), (2.5, 1.5)), "epic": ((0, 2), (2, 2))}[score.mood]
        if score.chords == "guitar":
            hits = tuple((float(offset), 0.9) for offset in range(4))
        notes = []
        for number, (offset, length) in enumerate(hits):
            order = range(len(voicing)) if number % 2 == 0 else range(len(voicing) - 1, -1, -1)
            for position, index in enumerate(order):
                strum = 0.012 * position if score.chords == "guitar" else 0.0
                at = start + _swung(score, offset) * beat + strum
                notes.append(_Note(at, "chords", score.chords, voicing[index], length * beat, 0.55 if number else 0.65, pans[index]))
        return notes
    tones = (*voicing, voicing[0] + 12)
    pattern, step = ((0, 1, 2, 3, 2, 1, 2, 1), 0.5) if score.mood != "dark" else ((0, 1, 2, 1), 1.0)
    return [
        _Note(
            start + position * step * beat,
            "chords",
            score.chords,
            tones[index],
            1.5 * beat,
            0.45,
            float(np.clip((index - 1.5) / 4, -0.4, 0.4)),
        )
        for position, index in enumerate(pattern)
    ]


def _bass_notes(score: Score, degree: int, start: float) -> list[_Note]:
    """One bar of bass under the chord on ``degree``: its root (and fifth), in the mood's rhythm."""
    beat = score.beat_s
    root = 36 + (score.key.tonic + score.key.semitones(degree)) % 12
    fifth = root + 7 if root + 7 <= 50 else root - 5
    line = {
        "upbeat": tuple((offset / 2, fifth if offset >= 6 else root, 0.45) for offset in range(8)),
        "lofi": ((0.0, root, 1.5), (2.5, fifth, 1.0)),
        "neutral": ((0.0, root, 2.0), (2.0, fifth, 2.0)),
        "epic": ((0.0, root, 3.0), (3.0, fifth, 1.0)),
        "calm": ((0.0, root, 4.0),),
        "dark": ((0.0, root, 4.0),),
    }[score.mood]
    return [_Note(start + _swung(score, offset) * beat, "bass", "bass", pitch, length * beat, 0.8, 0.0) for offset, pitch, length in line]


def _drum_notes(score: Score, drums: Drums, bar: int, start: float) -> list[_Note]:
    """One bar of the mood's pattern, with a little variation: an extra kick every other bar, a fill at the
    end of eight, a big hit at the top of every four for the toms."""
    beat = score.beat_s
    hits = list(_DRUM_PATTERNS[drums])
    if drums == "kit" and bar % 2:
        hits.append(("kick", 2.5, 0.6))
    if drums == "kit" and bar % 8 == 7:
        hits += [("snare", 3.5, 0.5), ("snare", 3.75, 0.6)]
    if drums == "toms" and bar % 4 == 0:
        hits.append(("kick", 0, 1.0))
    return [
        _Note(start + _swung(score, offset) * beat, "drums", sound, 0, 0.0, velocity, _DRUM_PANS.get(sound, 0.0))
        for sound, offset, velocity in hits
    ]


def _swung(score: Score, offset: float) -> float:
    return offset + _SWING if score.mood == "lofi" and offset % 1 == 0.5 else offset


# --- Rendering the music ------------------------------------------------------------------------------

#: (gain, reverb send) of each part.
_PARTS = {"chords": (0.30, 0.35), "lead": (0.40, 0.30), "bass": (0.50, 0.05), "drums": (0.55, 0.12)}
#: Bars rendered between progress reports.
_BARS_PER_CHUNK = 4


def _render_music(score: Score, length: int, rate: int, rng: np.random.Generator, progress: Progress) -> np.ndarray:
    """The score performed, a few bars at a time: each distinct note synthesised once, then placed, panned
    and sent to the reverb as often as it is played."""
    dry = np.zeros((2, length), dtype=np.float32)
    if not length:
        return dry
    bar_s = 4 * score.beat_s
    bars = int(np.ceil(length / rate / bar_s))
    chunks: list[list[_Note]] = [[] for _ in range(-(-bars // _BARS_PER_CHUNK))]
    for note in _performance(score, bars, rng):
        chunks[min(int(note.onset_s / (_BARS_PER_CHUNK * bar_s)), len(chunks) - 1)].append(note)
    send = np.zeros(length, dtype=np.float32)
    sounds: dict[tuple[str, int, int], np.ndarray] = {}
    drums = {name: make(rate, rng) for name, make in _DRUM_SOUNDS.items()} if score.drums else {}
    for number, chunk in enumerate(chunks):
        progress(0.9 * number / len(chunks))
        for note in chunk:
            if note.part == "drums":
                wave = drums[note.voice]
            else:
                key = (note.voice, note.pitch, round(note.length_s * 1000))
                if key not in sounds:
                    sounds[key] = _INSTRUMENTS[note.voice](440.0 * 2 ** ((note.pitch - 69) / 12), note.length_s, rate)
                wave = sounds[key]
            gain, reverb = _PARTS[note.part]
            start = round(note.onset_s * rate)
            level = gain * note.velocity
            _add(dry, _panned(wave, level * np.sqrt(2), note.pan), start)
            _add(send, wave * np.float32(level * reverb), start)
    progress(0.9)
    return dry + _reverb(send, rate, _MOODS[score.mood].reverb_s, rng)


def _reverb(send: np.ndarray, rate: int, decay_s: float, rng: np.random.Generator) -> np.ndarray:
    """A stereo room: ``send`` convolved with two decorrelated, exponentially decaying noise tails.

    Computed at a quarter of the rate, which also darkens the tail as real rooms do, so a long tail costs
    little; the tails' independence is what makes the music wide.
    """
    low_rate = rate // 4
    down = soxr.resample(send, rate, low_rate, quality="MQ")
    taps = int(decay_s * low_rate)
    t = np.arange(taps) / low_rate
    tails = rng.standard_normal((2, taps)) * np.exp(-6.9 * t / decay_s) * np.minimum(1.0, t / 0.02)
    tails[:, : int(0.012 * low_rate)] = 0.0  # pre-delay
    tails /= np.sqrt(np.sum(tails**2, axis=1, keepdims=True))
    size = sp_fft.next_fast_len(len(down) + taps, real=True)
    wet = sp_fft.irfft(sp_fft.rfft(down, size) * sp_fft.rfft(tails, size, axis=-1), size, axis=-1)[:, : len(down)].astype(np.float32)
    up = soxr.resample(np.ascontiguousarray(wet.T), low_rate, rate, quality="MQ").T
    out = np.zeros((2, len(send)), dtype=np.float32)
    out[:, : min(len(send), up.shape[1])] = up[:, : len(send)]
    return out


# --- Instruments: one note as float32 mono samples -----------------------------------------------------


def _piano(freq: float, length_s: float, rate: int) -> np.ndarray:
    """Struck strings: partials whose upper ones die first (low notes ring longer), and a damper at note-off."""
    t = _time(length_s + 0.3, rate)
    decay = float(np.clip(2.5 * (261.6 / freq) ** 0.6, 0.5, 6.0))
    amplitudes = _below((1.0, 0.6, 0.35, 0.25, 0.15, 0.1, 0.07, 0.05), freq, min(0.45 * rate, 10000))
    upper_fade = np.exp(-t * np.float32(0.7 / decay))
    out = _harmonics(_cycles(freq, len(t), rate), amplitudes, upper_fade) * np.exp(-t / np.float32(decay))
    return out * _attack(t, 0.004) * _damper(t, length_s, 0.07)


def _keys(freq: float, length_s: float, rate: int) -> np.ndarray:
    """An electric piano: a sine that phase-modulates itself, brighter at the strike and mellowing as it rings."""
    t = _time(length_s + 0.25, rate)
    decay = float(np.clip(2.0 * (261.6 / freq) ** 0.5, 0.6, 4.0))
    index = np.float32(1.4) * np.exp(-t / np.float32(0.5)) + np.float32(0.15)
    cycles = _cycles(freq, len(t), rate)
    out = np.sin(np.float32(2 * np.pi) * cycles + index * np.sin(np.float32(2 * np.pi) * cycles))
    return out * np.exp(-t / np.float32(decay)) * _attack(t, 0.003) * _damper(t, length_s, 0.08)


def _mallets(freq: float, length_s: float, rate: int) -> np.ndarray:
    """A marimba bar: its three modes (1, 3.9 and 9.5 times the fundamental), the higher ones short."""
    t = _time(min(length_s, 1.5) + 0.6, rate)
    scale = (440.0 / freq) ** 0.3
    out = np.zeros(len(t), dtype=np.float32)
    for ratio, amplitude, decay in ((1.0, 1.0, 0.9), (3.93, 0.3, 0.25), (9.54, 0.08, 0.08)):
        if ratio * freq < 0.45 * rate:
            out += np.float32(amplitude) * np.exp(-t / np.float32(decay * scale)) * _sine(ratio * freq, len(t), rate)
    return out * _attack(t, 0.0015)


def _pad(freq: float, length_s: float, rate: int) -> np.ndarray:
    """Two detuned voices of a soft saw-like tone with slow attack and release: a bed under everything."""
    release = 0.8
    t = _time(length_s + release, rate)
    amplitudes = _below(tuple(0.5 / number**1.5 for number in range(1, 7)), freq, 0.45 * rate)
    out = sum(_harmonics(_cycles(freq * detune, len(t), rate), amplitudes) for detune in (0.9965, 1.0035))
    return np.asarray(out, dtype=np.float32) * _swell(t, min(0.6, length_s / 3), length_s, release)


def _strings(freq: float, length_s: float, rate: int) -> np.ndarray:
    """A bowed section: bright saw-like partials, two players slightly apart in pitch, vibrato that sets in."""
    release = 0.5
    t = _time(length_s + release, rate)
    vibrato = 0.003 * np.minimum(1.0, t / 0.6) * np.sin(np.float32(2 * np.pi * 5.3) * t)
    wobble = np.float32(freq) * np.cumsum(vibrato) / np.float32(rate)
    amplitudes = _below(tuple(0.45 / number for number in range(1, 9)), freq, 0.45 * rate)
    out = sum(_harmonics(_cycles(freq * detune, len(t), rate) + wobble, amplitudes) for detune in (0.9975, 1.0025))
    return np.asarray(out, dtype=np.float32) * _swell(t, min(0.25, length_s / 3), length_s, release)


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
    t = _time(len(note) / rate, rate)[: len(note)]
    return note * _attack(t, 0.002) * _damper(t, length_s, 0.05)


def _bass(freq: float, length_s: float, rate: int) -> np.ndarray:
    t = _time(length_s + 0.12, rate)
    fade = np.exp(-t / np.float32(1.5 if length_s < 2 else 4.0))
    out = _harmonics(_cycles(freq, len(t), rate), _below((1.0, 0.45, 0.18, 0.08), freq, 0.45 * rate), fade) * fade
    return out * _attack(t, 0.008) * _damper(t, length_s, 0.05)


_INSTRUMENTS: dict[str, Callable[[float, float, int], np.ndarray]] = {
    "piano": _piano,
    "keys": _keys,
    "mallets": _mallets,
    "pad": _pad,
    "strings": _strings,
    "guitar": _guitar,
    "bass": _bass,
}


def _kick(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = _time(0.45, rate)
    cycles = 48 * t + 110 * 0.035 * (1 - np.exp(-t / np.float32(0.035)))
    click = _filtered(rng.standard_normal(len(t)).astype(np.float32), rate, None, 4000) * np.exp(-t / np.float32(0.003))
    return np.sin(np.float32(2 * np.pi) * cycles) * np.exp(-t / np.float32(0.28)) + 0.3 * click


def _snare(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = _time(0.3, rate)
    rattle = _filtered(rng.standard_normal(len(t)).astype(np.float32), rate, 1500, 8000) * np.exp(-t / np.float32(0.09))
    return 0.5 * _sine(185, len(t), rate) * np.exp(-t / np.float32(0.06)) + 0.9 * rattle


def _hat(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = _time(0.12, rate)
    return 1.2 * _filtered(rng.standard_normal(len(t)).astype(np.float32), rate, 7000, None) * np.exp(-t / np.float32(0.025))


def _brush(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = _time(0.35, rate)
    return (
        1.2
        * _filtered(rng.standard_normal(len(t)).astype(np.float32), rate, 1000, 6000)
        * _attack(t, 0.008)
        * np.exp(-t / np.float32(0.09))
    )


def _soft_hat(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = _time(0.1, rate)
    return _filtered(rng.standard_normal(len(t)).astype(np.float32), rate, 4000, 9000) * np.exp(-t / np.float32(0.02))


def _tom(low: float) -> Callable[[int, np.random.Generator], np.ndarray]:
    def tom(rate: int, rng: np.random.Generator) -> np.ndarray:
        t = _time(0.8, rate)
        cycles = low * t + 0.4 * low * 0.08 * (1 - np.exp(-t / np.float32(0.08)))
        skin = _filtered(rng.standard_normal(len(t)).astype(np.float32), rate, None, 800) * np.exp(-t / np.float32(0.05))
        return np.sin(np.float32(2 * np.pi) * cycles) * np.exp(-t / np.float32(0.35)) + 0.4 * skin

    return tom


_DRUM_SOUNDS: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "kick": _kick,
    "snare": _snare,
    "hat": _hat,
    "brush": _brush,
    "soft_hat": _soft_hat,
    "tom_low": _tom(82.0),
    "tom_high": _tom(123.0),
}


# --- Ambience: layers of shaped noise and short events ---------------------------------------------------

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


def _render_ambience(kind: str, length: int, rate: int, rng: np.random.Generator, progress: Progress) -> np.ndarray:
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
    hiss = _filtered(_noise(rng, (2, n)), rate, 400, 9000)
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
    air = _filtered(_noise(rng, (2, n)), rate, 60, 900)
    return 0.9 * air * (0.15 + gusts)


def _wind_howl(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """The howl: breathy tones gliding slowly in pitch, loudest in the gusts."""
    out = np.zeros((2, n), dtype=np.float32)
    for low, high in ((320.0, 560.0), (520.0, 900.0)):
        pitch = _contour(rng, n, rate, 0.2, low, high)
        breath = 0.5 + 0.5 * _filtered(_noise(rng, n), rate, None, 25) * 8
        tone = np.sin(np.float32(2 * np.pi) * (np.cumsum(pitch, dtype=np.float64) / rate % 1).astype(np.float32)) * breath
        strength = 0.8 * _contour(rng, n, rate, 0.2, 0.0, 1.0) ** 3
        out += _panned(tone * strength, 1.0, rng.uniform(-0.7, 0.7))
    return out


def _waves(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Surf: a low roar that swells as each wave comes in, with the hiss of foam as it breaks."""
    hop = max(1, rate // 100)
    steps = n // hop + 2
    swell = np.full(steps, 0.12)
    foam = np.zeros(steps)
    crest = rng.uniform(0.5, 4.0)
    t = np.arange(steps) * hop / rate
    while crest < t[-1] + 6:
        rise, fall, height = rng.uniform(2.0, 3.5), rng.uniform(2.5, 4.5), rng.uniform(0.6, 1.0)
        before = np.clip((t - crest + rise) / rise, 0, 1)
        shape = np.where(t < crest, 0.5 - 0.5 * np.cos(np.pi * before), np.exp(-(t - crest) / fall))
        swell += height * shape
        foam += height * np.clip((t - crest) / 0.6, 0, 1) ** 2 * np.exp(-np.maximum(t - crest - 0.6, 0) / (0.4 * fall))
        crest += rng.uniform(6.0, 11.0)
    roar = _filtered(_noise(rng, (2, n)), rate, 80, 900) * _upsampled(swell, hop, n)
    hiss = _filtered(_noise(rng, (2, n)), rate, 1500, 9000) * _upsampled(foam, hop, n)
    return 0.6 * roar + 0.3 * hiss


def _city_rumble(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """The city's bed: low traffic rumble and a faint mid-range hum."""
    rumble = _filtered(_noise(rng, (2, n)), rate, 30, 200) + 0.15 * _filtered(_noise(rng, (2, n)), rate, 200, 1200)
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
    engine = _filtered(_noise(rng, n), rate, 80, 400) + 0.6 * _filtered(_noise(rng, n), rate, 500, 3000)
    return 0.9 * engine * np.stack([_upsampled(left, hop, n), _upsampled(right, hop, n)])


def _city_horns(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Now and then a distant horn: two reedy tones a major third apart, sometimes twice."""
    out = np.zeros((2, n), dtype=np.float32)
    at = rng.uniform(1.0, 8.0)
    while at < n / rate:
        pitch, loudness, pan = rng.uniform(380, 460), rng.uniform(0.2, 0.5), rng.uniform(-0.7, 0.7)
        for repeat in range(1 if rng.random() < 0.6 else 2):
            t = _time(rng.uniform(0.25, 0.6), rate)
            tone = sum(np.float32(1 / k) * (_sine(k * pitch, len(t), rate) + _sine(k * pitch * 1.26, len(t), rate)) for k in (1, 3, 5, 7))
            honk = _filtered(np.asarray(tone, dtype=np.float32), rate, None, 2500) * _swell(t, 0.02, t[-1] - 0.03, 0.03)
            _add(out, _panned(honk, loudness, pan), round((at + repeat * (t[-1] + 0.15)) * rate))
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
    return 0.5 * out + 0.15 * _filtered(_noise(rng, (2, n)), rate, 250, 2500)


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
        t = _time(0.3, rate)
        ping = sum(
            np.float32(a) * np.exp(-t / np.float32(d)) * _sine(r * pitch, len(t), rate)
            for r, a, d in ((1, 1, 0.15), (2.7, 0.5, 0.06), (5.2, 0.3, 0.03))
        )
        _add(out, _panned(np.asarray(ping, dtype=np.float32), loudness, pan), round(at * rate))
        at += rng.exponential(2.5) + 0.1
    return out


def _leaves(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Leaves in a light breeze, over soft low air."""
    rustle = _filtered(_noise(rng, (2, n)), rate, 1200, 7000) * _contour(rng, n, rate, 0.4, 0.3, 1.0) ** 2
    return 0.12 * rustle + 0.08 * _filtered(_noise(rng, (2, n)), rate, 40, 300)


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
                t = _time(length, rate)
                start_pitch, end_pitch = (base * 1.4, base * 0.8) if trill else (base * 0.85, base * rng.uniform(1.1, 1.4))
                pitch = start_pitch + (end_pitch - start_pitch) * t / np.float32(length)
                chirp = np.sin(np.float32(2 * np.pi) * (np.cumsum(pitch, dtype=np.float64) / rate % 1).astype(np.float32))
                chirp *= np.sin(np.float32(np.pi) * t / np.float32(length)) ** 2
                _add(out, _panned(chirp, 0.35 * loudness, pan), round((at + note * length * (1.3 if trill else 1.6)) * rate))
            at += rng.exponential(3.0) + 0.8
    return out


def _night_air(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    return 0.15 * _filtered(_noise(rng, (2, n)), rate, 30, 400) + 0.02 * _filtered(_noise(rng, (2, n)), rate, 2000, 6000)


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
        song = _sine(carrier, n, rate) * _upsampled(gate, hop, n) * _contour(rng, n, rate, 0.1, 0.5, 1.0)
        out += _panned(song, 1.0, rng.uniform(-0.8, 0.8))
    return out


def _fire_roar(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """The flames: a low flickering roar."""
    flicker = _contour(rng, n, rate, 3.0, 0.0, 1.0)
    roar = _filtered(_noise(rng, (2, n)), rate, 40, 350) + 0.1 * _filtered(_noise(rng, (2, n)), rate, 400, 1500)
    return 0.7 * roar * (0.6 + 0.4 * flicker)


def _fire_crackle(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Crackles in bursts (mostly tiny, now and then loud) and the odd lower pop of a splitting log."""
    out = np.zeros((2, n), dtype=np.float32)
    bursts = _contour(rng, n, rate, 1.5, 0.0, 1.0) ** 2
    for channel in out:
        crackles = _impulses(rng, n, rate, 60.0, heavy=True) * bursts
        channel += 0.6 * _filtered(crackles, rate, 1500, None) + 0.5 * _resonated(crackles, rate, float(rng.uniform(2500, 4000)), 3.0)
        channel += 5.0 * _resonated(_impulses(rng, n, rate, 0.8, heavy=True), rate, float(rng.uniform(600, 1200)), 2.5)
    return out


def _room_tone(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """An empty room: the low, steady hush of air and distant building noise."""
    tone = _filtered(_noise(rng, (2, n)), rate, 30, 250) + 0.08 * _filtered(_noise(rng, (2, n)), rate, 250, 3000)
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


# --- Signal helpers ----------------------------------------------------------------------------------


def _time(seconds: float, rate: int) -> np.ndarray:
    return np.arange(round(seconds * rate), dtype=np.float32) / np.float32(rate)


def _cycles(freq: float, n: int, rate: int) -> np.ndarray:
    """Phase in cycles, wrapped to [0, 1) in float64 before float32, so long notes stay in tune."""
    cycles = np.arange(n) * (freq / rate)
    return (cycles - np.floor(cycles)).astype(np.float32)


def _harmonics(cycles: np.ndarray, amplitudes: tuple[float, ...], damping: np.ndarray | None = None) -> np.ndarray:
    """Sum of ``amplitudes[k - 1] * damping ** (k - 1) * sin(2 pi k cycles)``: harmonic partials, each ``damping``
    times quicker to fade than the one below, by the Chebyshev recurrence
    sin((k + 1) x) = 2 cos(x) sin(k x) - sin((k - 1) x), a few multiplications per partial instead of a sine."""
    angle = np.float32(2 * np.pi) * cycles
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


def _sine(freq: float, n: int, rate: int) -> np.ndarray:
    return np.sin(np.float32(2 * np.pi) * _cycles(freq, n, rate))


def _attack(t: np.ndarray, seconds: float) -> np.ndarray:
    return np.minimum(np.float32(1), t / np.float32(seconds))


def _damper(t: np.ndarray, off_s: float, seconds: float) -> np.ndarray:
    """1 until note-off, then an exponential fall (a damper on a string, a key released)."""
    return np.exp(-np.maximum(t - np.float32(off_s), 0) / np.float32(seconds))


def _swell(t: np.ndarray, attack_s: float, off_s: float, release_s: float) -> np.ndarray:
    """Raised-cosine rise over ``attack_s``, hold, raised-cosine fall over ``release_s`` from ``off_s``."""
    rise = np.clip(t / np.float32(max(attack_s, 1e-3)), 0, 1)
    fall = np.clip((t - np.float32(off_s)) / np.float32(release_s), 0, 1)
    return (0.5 - 0.5 * np.cos(np.float32(np.pi) * rise)) * (0.5 + 0.5 * np.cos(np.float32(np.pi) * fall))


def _noise(rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape, dtype=np.float32)


def _filtered(x: np.ndarray, rate: int, low: float | None, high: float | None, order: int = 2) -> np.ndarray:
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


def _add(track: np.ndarray, samples: np.ndarray, start: int) -> None:
    """Adds ``samples`` (mono or stereo, like ``track``) into ``track`` from ``start``, dropping what falls past its end."""
    end = min(start + samples.shape[-1], track.shape[-1])
    if start < end:
        track[..., start:end] += samples[..., : end - start]


def _panned(mono: np.ndarray, level: float, pan: float) -> np.ndarray:
    """``mono`` as (2, n) at ``level``, placed by a constant-power pan law (-1 left, 1 right)."""
    angle = (pan + 1) * np.pi / 4
    return np.array([[level * np.cos(angle)], [level * np.sin(angle)]], dtype=np.float32) * mono


def _declicked(samples: np.ndarray, rate: int) -> np.ndarray:
    """10 ms fades at both ends, so a sound cut mid-note or mid-noise starts and stops cleanly."""
    count = min(round(0.01 * rate), samples.shape[-1] // 2)
    if count:
        ramp = np.linspace(0, 1, count, dtype=np.float32)
        samples[:, :count] *= ramp
        samples[:, samples.shape[-1] - count :] *= ramp[::-1]
    return samples


def _at_peak(samples: np.ndarray) -> np.ndarray:
    peak = float(np.abs(samples).max(initial=0.0))
    if peak == 0 or not np.isfinite(peak):
        return np.nan_to_num(samples).astype(np.float32)
    return (samples * np.float32(10 ** (PEAK_DBFS / 20) / peak)).astype(np.float32)
