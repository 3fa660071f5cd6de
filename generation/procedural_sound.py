"""The embedded sound bed: a small procedural score and ambience generator that needs no weights.

A CPU draft should have a real sound bed, not silence, and the embedded default cannot download an audio
model. Music is composed from the prompt's words (and the plan's style when the prompt says little):
a tempo, a key and a mood pick a chord progression, a bass line, a melody in the key chosen with the seed,
and drums where the mood calls for them, played by the small synthesised instruments of ``instruments`` in
a shared reverb; ambience comes from ``ambience``. Everything is vectorised numpy; notes repeat, so each one
is synthesised once per request. A request is rendered in chunks (bars, or layers) and ``progress`` is
called between them, so a cancelled job stops early.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np
import soxr
from pydantic import BaseModel, Field
from scipy import fft as sp_fft

from reelwright.generation.ambience import ambience_for, render_ambience
from reelwright.generation.backends import Progress, Sound, SoundRequest
from reelwright.generation.instruments import DRUM_SOUNDS, INSTRUMENTS
from reelwright.generation.sound_shaping import add, panned

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
            samples = render_ambience(ambience_for(request.prompt), length, rate, rng, progress)
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
    drums = {name: make(rate, rng) for name, make in DRUM_SOUNDS.items()} if score.drums else {}
    for number, chunk in enumerate(chunks):
        progress(0.9 * number / len(chunks))
        for note in chunk:
            if note.part == "drums":
                wave = drums[note.voice]
            else:
                key = (note.voice, note.pitch, round(note.length_s * 1000))
                if key not in sounds:
                    sounds[key] = INSTRUMENTS[note.voice](440.0 * 2 ** ((note.pitch - 69) / 12), note.length_s, rate)
                wave = sounds[key]
            gain, reverb = _PARTS[note.part]
            start = round(note.onset_s * rate)
            level = gain * note.velocity
            add(dry, panned(wave, level * np.sqrt(2), note.pan), start)
            add(send, wave * np.float32(level * reverb), start)
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


# --- The sound as delivered -------------------------------------------------------------------------


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
