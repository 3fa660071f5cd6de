"""The mix sounds finished: -16 LUFS with a true-peak ceiling, narration well over the beds while it
speaks, music that fades with the cut, ambience that fills its shot, and exactly the cut's length.

Real material throughout: narration spoken by the bundled Piper voice (22.05 kHz, so every line is
resampled), music and ambience from the procedural generator. Loudness is checked with pyloudnorm's own
meter and the true peak with scipy's polyphase resampler at 8x, neither of which the mixer uses.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyloudnorm
import pytest
from scipy import signal

from reelwright.generation.backends import Sound, SoundRequest, Speech, SpeechRequest
from reelwright.generation.compose import DECODED_PEAK_CEILING, decoded_peak, within_codec_peak
from reelwright.generation.mix import (
    MIX_RATE,
    TARGET_LUFS,
    TRUE_PEAK_CEILING_DBTP,
    Cue,
    Levels,
    integrated_loudness,
    master,
    measure,
    mix,
    resample,
    stems,
)
from reelwright.generation.piper_tts import PiperSpeech
from reelwright.generation.procedural_sound import ProceduralSound
from reelwright.plan import Voice

CUT_S = 24.0


@pytest.fixture(scope="module")
def lines() -> list[Speech]:
    piper = PiperSpeech()
    return [
        piper.speak(SpeechRequest(text, Voice()))
        for text in (
            "The old lighthouse stands alone on the cliff, watching the storm roll in from the sea.",
            "By morning the sky is clear, and the keeper climbs the stairs one more time.",
        )
    ]


def sound(prompt: str, kind: Literal["music", "ambience"], seconds: float, seed: int = 1) -> Sound:
    return ProceduralSound().generate(SoundRequest(prompt, kind, seconds, seed), lambda done: None)


@pytest.fixture(scope="module")
def music() -> Sound:
    """Shorter than the cut, so the mix has to loop it."""
    return sound("calm piano", "music", 15.0)


@pytest.fixture(scope="module")
def ambience() -> list[Cue]:
    """Two shots' ambience, each generated shorter than its shot."""
    return [Cue(sound("rain on a window", "ambience", 5.0), 0.0, 12.0), Cue(sound("busy city street", "ambience", 5.0), 12.0, 12.0)]


@pytest.fixture(scope="module")
def narration(lines: list[Speech]) -> list[Cue]:
    return [Cue(lines[0], 1.0), Cue(lines[1], 13.0)]


def lufs(track: np.ndarray) -> float:
    return float(pyloudnorm.Meter(MIX_RATE).integrated_loudness(track.T.astype(np.float64)))


def true_peak_dbtp(track: np.ndarray) -> float:
    return float(20 * np.log10(np.abs(signal.resample_poly(track, 8, 1, axis=-1)).max()))


def rms_db(track: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(track, dtype=np.float64)) + 1e-20))


def spoken(cues: list[Cue]) -> np.ndarray:
    """Where speech plays, from the cues: each line from its start for its own length."""
    where = np.zeros(round(CUT_S * MIX_RATE), dtype=bool)
    for cue in cues:
        where[round(cue.start_s * MIX_RATE) : round((cue.start_s + cue.sound.duration_s) * MIX_RATE)] = True
    return where


@pytest.mark.parametrize("stems_in", ["narration, music and ambience", "music only", "narration only"])
def test_the_mix_lands_at_minus_16_lufs_under_the_true_peak_ceiling(
    stems_in: str, narration: list[Cue], music: Sound, ambience: list[Cue]
) -> None:
    track = mix(
        duration_s=CUT_S,
        narration=narration if "narration" in stems_in else [],
        music=music if "music" in stems_in else None,
        ambience=ambience if "ambience" in stems_in else [],
    )
    assert abs(lufs(track) - TARGET_LUFS) <= 1.0
    assert true_peak_dbtp(track) <= TRUE_PEAK_CEILING_DBTP + 0.1
    assert np.abs(track).max() < 1.0 and np.all(np.isfinite(track))


@pytest.mark.parametrize(
    "levels", [Levels(), Levels(music_db=6.0), Levels(music_db=12.0, ambience_db=12.0)], ids=["default", "music +6 dB", "beds +12 dB"]
)
def test_narration_stays_10_db_over_the_beds_while_it_speaks(
    levels: Levels, narration: list[Cue], music: Sound, ambience: list[Cue]
) -> None:
    """Measured on the stems, which the master turns into the mix with one gain curve for both (checked
    here too), so the difference is the one in the final mix."""
    parts = stems(duration_s=CUT_S, narration=narration, music=music, ambience=ambience, levels=levels)
    speaking = spoken(narration)
    assert rms_db(parts.narration[speaking]) - rms_db(parts.bed[:, speaking]) >= 10.0
    assert np.array_equal(
        mix(duration_s=CUT_S, narration=narration, music=music, ambience=ambience, levels=levels), master(parts.narration + parts.bed)
    )


def test_the_beds_duck_under_speech_and_come_back_between_lines(narration: list[Cue], music: Sound) -> None:
    parts = stems(duration_s=CUT_S, narration=narration, music=music, ambience=[])
    speaking = spoken(narration)
    first_line_ends = round((1.0 + narration[0].sound.duration_s) * MIX_RATE)
    settled = np.zeros_like(speaking)
    settled[first_line_ends + 2 * MIX_RATE : round(13.0 * MIX_RATE) - MIX_RATE // 2] = True  # well after one line, before the next
    assert rms_db(parts.bed[:, settled]) - rms_db(parts.bed[:, speaking]) >= 8.0


def test_louder_music_asked_for_is_louder_between_lines(narration: list[Cue], music: Sound) -> None:
    quiet, loud = (
        stems(duration_s=CUT_S, narration=narration, music=music, ambience=[], levels=Levels(music_db=db)).bed for db in (-6.0, 0.0)
    )
    gap = slice(round(9.5 * MIX_RATE), round(12.0 * MIX_RATE))
    assert rms_db(loud[:, gap]) - rms_db(quiet[:, gap]) == pytest.approx(6.0, abs=0.5)


def test_music_fades_in_and_out_with_the_cut(music: Sound) -> None:
    track = mix(duration_s=CUT_S, narration=[], music=music, ambience=[])
    edge, middle = MIX_RATE // 20, slice(round(8 * MIX_RATE), round(16 * MIX_RATE))
    assert rms_db(track[:, :edge]) < rms_db(track[:, middle]) - 20
    assert rms_db(track[:, -edge:]) < rms_db(track[:, middle]) - 20


def test_music_longer_than_the_cut_is_trimmed_to_it() -> None:
    track = mix(duration_s=3.0, narration=[], music=sound("upbeat", "music", 9.0), ambience=[])
    assert track.shape == (2, 3 * MIX_RATE)


def test_a_shot_s_ambience_fills_exactly_its_shot() -> None:
    rain = sound("rain", "ambience", 2.5)
    bed = stems(duration_s=12.0, narration=[], music=None, ambience=[Cue(rain, 3.0, 6.0)]).bed
    assert not bed[:, : 3 * MIX_RATE].any() and not bed[:, 9 * MIX_RATE :].any()
    windows = np.array(
        [rms_db(bed[:, start : start + MIX_RATE // 10]) for start in range(round(3.3 * MIX_RATE), round(8.6 * MIX_RATE), MIX_RATE // 10)]
    )
    assert windows.max() - windows.min() < 6.0  # looped without gaps or bumps at the seams
    trimmed = stems(duration_s=12.0, narration=[], music=None, ambience=[Cue(sound("rain", "ambience", 10.0), 1.0, 2.0)]).bed
    first, last = np.flatnonzero(trimmed.any(axis=0))[[0, -1]]
    assert MIX_RATE <= first < MIX_RATE + MIX_RATE // 1000 and 3 * MIX_RATE - MIX_RATE // 1000 < last < 3 * MIX_RATE


def test_ambience_fades_at_shot_boundaries(ambience: list[Cue]) -> None:
    bed = stems(duration_s=CUT_S, narration=[], music=None, ambience=ambience).bed
    boundary, edge = 12 * MIX_RATE, MIX_RATE // 50
    around = rms_db(bed[:, boundary - MIX_RATE : boundary - MIX_RATE // 2])
    assert rms_db(bed[:, boundary - edge : boundary + edge]) < around - 15


@pytest.mark.parametrize("seconds", [CUT_S, 7.31, 0.3])
def test_the_soundtrack_is_stereo_and_exactly_as_long_as_the_cut(
    seconds: float, narration: list[Cue], music: Sound, ambience: list[Cue]
) -> None:
    track = mix(duration_s=seconds, narration=narration, music=music, ambience=ambience)
    assert track.shape == (2, round(seconds * MIX_RATE)) and track.dtype == np.float32


def test_a_cut_shorter_than_a_loudness_block_is_still_levelled(narration: list[Cue], music: Sound) -> None:
    """0.3 s is under BS.1770's 400 ms gating block: its K-weighted mean square stands in for the gated loudness."""
    track = mix(duration_s=0.3, narration=[Cue(narration[0].sound, -1.0)], music=music, ambience=[])
    assert np.all(np.isfinite(track)) and np.abs(track).max() < 1.0
    assert abs(integrated_loudness(track) - TARGET_LUFS) <= 1.0


def test_silence_mixes_to_silence(lines: list[Speech]) -> None:
    quiet = Speech(np.zeros(MIX_RATE, dtype=np.float32), MIX_RATE)
    for track in (
        mix(duration_s=5.0, narration=[], music=None, ambience=[]),
        mix(duration_s=5.0, narration=[Cue(quiet, 1.0)], music=Sound(np.zeros((2, 100), dtype=np.float32), MIX_RATE), ambience=[]),
    ):
        assert track.shape == (2, 5 * MIX_RATE) and not track.any()
    assert measure(np.zeros((2, MIX_RATE))).integrated_lufs == float("-inf")


def test_a_line_past_the_end_of_the_cut_is_cut_off(lines: list[Speech]) -> None:
    track = mix(duration_s=2.0, narration=[Cue(lines[0], 1.0)], music=None, ambience=[])
    assert track.shape == (2, 2 * MIX_RATE) and track[:, MIX_RATE:].any()


def test_resampling_keeps_a_tone_s_pitch_and_level() -> None:
    rate = 22050
    tone = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(2 * rate) / rate)).astype(np.float32)
    resampled = resample(tone, rate)
    assert len(resampled) == 2 * MIX_RATE
    power = np.abs(np.fft.rfft(resampled * np.hanning(len(resampled)))) ** 2
    assert np.fft.rfftfreq(len(resampled), 1 / MIX_RATE)[power.argmax()] == pytest.approx(1000, abs=1)
    middle = slice(MIX_RATE // 2, -MIX_RATE // 2)
    assert rms_db(resampled[middle]) == pytest.approx(rms_db(tone[rate // 2 : -rate // 2]), abs=0.05)
    stereo = resample(np.stack([tone, -tone]), rate)
    assert stereo.shape == (2, 2 * MIX_RATE) and np.allclose(stereo[0], -stereo[1])


def test_loudness_agrees_with_pyloudnorm(narration: list[Cue], music: Sound, ambience: list[Cue]) -> None:
    """The mixer measures loudness itself (pyloudnorm's filters, vectorised gating: about 10x faster)."""
    rng = np.random.default_rng(0)
    tracks = [
        np.stack([stems(duration_s=CUT_S, narration=narration, music=music, ambience=ambience).narration] * 2),
        mix(duration_s=CUT_S, narration=narration, music=music, ambience=ambience),
        np.stack([resample(music.samples[0], music.sample_rate)] * 2),
        (0.1 * rng.standard_normal((2, 3 * MIX_RATE))).astype(np.float32),
    ]
    for track in tracks:
        assert measure(track).integrated_lufs == pytest.approx(lufs(track), abs=0.05)
    # At another rate too (Piper's). pyloudnorm also counts a last, partial block, which BS.1770 leaves
    # out; a whole number of 100 ms steps makes the two count the same blocks.
    rate = narration[0].sound.sample_rate
    speech = narration[0].sound.samples[: len(narration[0].sound.samples) // (rate // 10) * (rate // 10)]
    assert measure(speech, rate).integrated_lufs == pytest.approx(
        pyloudnorm.Meter(rate).integrated_loudness(speech.astype(np.float64)), abs=0.05
    )


def test_a_mastered_track_whose_aac_encode_would_clip_is_lowered_just_enough() -> None:
    """AAC rings on hard transients: a -1 dBTP square wave decodes over full scale. Checked through the codec
    itself, the track comes out under the decoded ceiling with its loudness nearly kept."""
    seconds = np.arange(MIX_RATE * 3) / MIX_RATE
    square = (10 ** (-1.05 / 20) * np.sign(np.sin(2 * np.pi * 220 * seconds))).astype(np.float32)
    track = np.stack([square, square])
    assert decoded_peak(track) > 1.0
    safe = within_codec_peak(track)
    assert decoded_peak(safe) <= DECODED_PEAK_CEILING
    assert measure(safe).integrated_lufs > measure(track).integrated_lufs - 4.0


def test_a_track_the_codec_keeps_under_the_ceiling_is_left_as_it_is() -> None:
    seconds = np.arange(MIX_RATE * 2) / MIX_RATE
    tone = (0.5 * np.sin(2 * np.pi * 440 * seconds)).astype(np.float32)
    track = np.stack([tone, tone])
    assert within_codec_peak(track) is track
