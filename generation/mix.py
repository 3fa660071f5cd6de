"""The mix: narration, music and ambience placed on the cut's timeline and mastered into one stereo track.

A draft should sound finished, so the mix does what a sound editor would: every stem is brought to a
known level first (TTS lines, generated music and ambience arrive at whatever level their engine chose),
the beds sit under the voice and duck further while it speaks, the music fades in and out with the cut,
ambience fades at shot boundaries so they do not click, and the master lands at -16 LUFS (EBU R128 /
ITU-R BS.1770, the level of podcasts and online video) with a true-peak ceiling, so the AAC encode and a
phone's speaker do not clip it. Everything is vectorised: a 60 s mix takes a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyloudnorm
import soxr
from scipy import ndimage, signal

from reelwright.generation.backends import Sound, Speech

MIX_RATE = 48000
TARGET_LUFS = -16.0
TRUE_PEAK_CEILING_DBTP = -1.0

#: Every narration line's active level before the master: headroom for the beds on top.
NARRATION_DBFS = -20.0
#: The beds' active levels relative to the narration where nobody speaks: present, but a bed.
MUSIC_DB = -10.0
AMBIENCE_DB = -16.0
#: While speech plays the beds duck by at least DUCK_DB, and further if a louder level (``Levels``) would
#: otherwise put them above UNDER_SPEECH_DB relative to the narration: the voice stays intelligible.
DUCK_DB = 12.0
UNDER_SPEECH_DB = -20.0
#: Sidechain: 10 ms windows, speech where a window is within GATE_DB of the narration level. The duck
#: starts ATTACK_S ahead of a line (the mix is offline, so it can look ahead and the first syllable is not
#: masked), holds through pauses between words and recovers over RELEASE_S.
GATE_DB = -30.0
SIDECHAIN_HOP = MIX_RATE // 100
ATTACK_S, HOLD_S, RELEASE_S = 0.06, 0.25, 0.45
MUSIC_FADE_IN_S, MUSIC_FADE_OUT_S = 0.5, 1.5
CUE_FADE_S = 0.25
#: Narration lines get only a de-click fade: TTS output may start or stop on a non-zero sample.
NARRATION_FADE_S = 0.005
MUSIC_LOOP_CROSSFADE_S, CUE_LOOP_CROSSFADE_S = 1.0, 0.5
#: The limiter: gain ramps over LIMITER_RAMP_S (starting before the peak, by lookahead) and holds
#: LIMITER_HOLD_S after it, computed on blocks of LIMITER_BLOCK samples.
LIMITER_RAMP_S, LIMITER_HOLD_S, LIMITER_BLOCK = 0.005, 0.05, 16
TRUE_PEAK_OVERSAMPLING = 4
#: soxr's 4x filter reaches about 92 samples each way: stretches are oversampled with this much around them.
TRUE_PEAK_MARGIN_SAMPLES = 128
#: Loud stretches closer than this are oversampled in one call (a call costs about what 8000 samples do).
TRUE_PEAK_JOIN_SAMPLES = 8192
#: A mix's 4x-oversampled peak stays within this much of its sample peak (it takes full-scale content at
#: the edge of the band to exceed it), so blocks further under the ceiling need no oversampling.
INTER_SAMPLE_HEADROOM_DB = 6.0
#: The rounds that make up the limiter's loudness loss raise the gain by at most about this much.
MAKEUP_ALLOWANCE_DB = 3.0
#: The limiter aims this far under the ceiling: 4x oversampling can under-read a true peak a little.
LIMITER_MARGIN_DB = 0.1


@dataclass(frozen=True)
class Levels:
    """Relative levels a person can change by talking ("make the music quieter"): dB added to each stem's default level."""

    music_db: float = 0.0
    ambience_db: float = 0.0


@dataclass(frozen=True)
class Cue:
    """A sound placed on the timeline at ``start_s``.

    ``length_s`` None plays the sound at its own length; otherwise it is trimmed, or looped with a
    crossfade, to exactly that length (a shot's ambience fills its shot whatever the engine returned).
    """

    sound: Speech | Sound
    start_s: float
    length_s: float | None = None


@dataclass(frozen=True)
class Stems:
    """The mix before the master, at MIX_RATE: the narration, (n,) and centred (the same in both channels),
    and the bed, (2, n): music and ambience, levelled and ducked. The master applies one gain curve to their
    sum, so the level difference between them is the one a listener hears."""

    narration: np.ndarray
    bed: np.ndarray


@dataclass(frozen=True)
class Loudness:
    """What a loudness meter reads: BS.1770 integrated loudness and the 4x-oversampled true peak."""

    integrated_lufs: float
    true_peak_dbtp: float


def resample(samples: np.ndarray, rate: int, to_rate: int = MIX_RATE) -> np.ndarray:
    """``samples`` shaped (n,) or (channels, n) at ``to_rate``, float32, with libsoxr's high-quality filter
    (linear interpolation would alias TTS sibilants into audible whistles)."""
    samples = np.asarray(samples, dtype=np.float32)
    if rate == to_rate or samples.shape[-1] == 0:
        return samples.copy()
    if samples.ndim == 1:
        return soxr.resample(samples, rate, to_rate, quality="HQ").astype(np.float32, copy=False)
    return np.ascontiguousarray(soxr.resample(samples.T, rate, to_rate, quality="HQ").T, dtype=np.float32)


def mix(*, duration_s: float, narration: list[Cue], music: Sound | None, ambience: list[Cue], levels: Levels = Levels()) -> np.ndarray:
    """The cut's soundtrack: float32 (2, n) at MIX_RATE with n == round(duration_s * MIX_RATE), at
    TARGET_LUFS with its true peak under TRUE_PEAK_CEILING_DBTP (silence stays silent)."""
    parts = stems(duration_s=duration_s, narration=narration, music=music, ambience=ambience, levels=levels)
    track = parts.bed
    track += parts.narration  # summed in place: a minute of stereo is 23 MB not to allocate (and first-touch) again
    return master(track)


def stems(*, duration_s: float, narration: list[Cue], music: Sound | None, ambience: list[Cue], levels: Levels = Levels()) -> Stems:
    """Every cue levelled, faded and placed, and the beds ducked under the narration; see ``Stems``."""
    length = round(duration_s * MIX_RATE)
    voice = np.zeros(length, dtype=np.float32)
    for cue in narration:
        line = _fitted(_levelled(_mono(_at_mix_rate(cue.sound)), NARRATION_DBFS), cue, CUE_LOOP_CROSSFADE_S)
        _fade(line, NARRATION_FADE_S, NARRATION_FADE_S)
        _add_at(voice, line, round(cue.start_s * MIX_RATE))

    music_db = MUSIC_DB + levels.music_db
    music_bed = np.zeros((2, length), dtype=np.float32)
    if music is not None and length:
        bed = _levelled(_stereo(_at_mix_rate(music)), NARRATION_DBFS + music_db)
        music_bed = _looped(bed, length, round(MUSIC_LOOP_CROSSFADE_S * MIX_RATE))
        _fade(music_bed, MUSIC_FADE_IN_S, MUSIC_FADE_OUT_S)

    ambience_db = AMBIENCE_DB + levels.ambience_db
    ambience_bed = np.zeros((2, length), dtype=np.float32)
    for cue in ambience:
        sound = _fitted(_levelled(_stereo(_at_mix_rate(cue.sound)), NARRATION_DBFS + ambience_db), cue, CUE_LOOP_CROSSFADE_S)
        _fade(sound, CUE_FADE_S, CUE_FADE_S)
        _add_at(ambience_bed, sound, round(cue.start_s * MIX_RATE))

    presence = _speech_presence(voice)
    music_bed *= _duck_gain(presence, music_db, length)
    ambience_bed *= _duck_gain(presence, ambience_db, length)
    music_bed += ambience_bed
    return Stems(narration=voice, bed=music_bed)


def master(track: np.ndarray) -> np.ndarray:
    """``track`` (channels, n) at MIX_RATE brought to TARGET_LUFS with its true peak under the ceiling.

    The limiter takes level off the peaks, and with it some loudness, so the makeup gain and the limiter's
    gain curve are solved together on per-block figures (the K-weighted energy and the 4x-oversampled
    peak of each LIMITER_BLOCK samples, both measured once): a few rounds of "limit, measure, correct" cost
    milliseconds. A track with nothing above BS.1770's absolute gate (silence) is returned as it is:
    there is no level to bring up, and a gain computed from -inf would fill it with NaN.
    """
    track = np.asarray(track, dtype=np.float32)
    length = track.shape[-1]
    energy = _block_energy(track, LIMITER_BLOCK)
    per_step = round(0.1 * MIX_RATE) // LIMITER_BLOCK
    loudness = _gated_lufs(energy, LIMITER_BLOCK, per_step)
    if not np.isfinite(loudness):
        return track.copy()
    ceiling = 10 ** ((TRUE_PEAK_CEILING_DBTP - LIMITER_MARGIN_DB) / 20)
    gain_db = TARGET_LUFS - loudness
    peaks = _true_peak_blocks(track, MIX_RATE, ceiling * 10 ** (-(gain_db + MAKEUP_ALLOWANCE_DB + INTER_SAMPLE_HEADROOM_DB) / 20))
    curve = _limiter_curve(peaks * 10 ** (gain_db / 20), ceiling)
    for _ in range(3):
        error = TARGET_LUFS - _gated_lufs(energy * (10 ** (gain_db / 20) * curve) ** 2, LIMITER_BLOCK, per_step)
        if abs(error) < 0.05:
            break
        gain_db += error
        curve = _limiter_curve(peaks * 10 ** (gain_db / 20), ceiling)
    mastered = track * _spread(curve * 10 ** (gain_db / 20), LIMITER_BLOCK, length)
    overshoot = _true_peak_blocks(mastered, MIX_RATE, ceiling * 10 ** (-INTER_SAMPLE_HEADROOM_DB / 20)).max() / ceiling
    if overshoot > 1:
        mastered /= np.float32(overshoot)
    return mastered


def measure(track: np.ndarray, rate: int = MIX_RATE) -> Loudness:
    """Integrated loudness (BS.1770) and true peak (4x oversampled) of a (channels, n) or (n,) track."""
    track = np.atleast_2d(np.asarray(track, dtype=np.float32))
    peak = float(_true_peak_blocks(track, rate).max(initial=0.0))
    with np.errstate(divide="ignore"):
        return Loudness(integrated_loudness(track, rate), float(20 * np.log10(peak)))


def integrated_loudness(track: np.ndarray, rate: int = MIX_RATE) -> float:
    """BS.1770-4 integrated loudness in LUFS of a (channels, n) or (n,) track; -inf for silence.

    pyloudnorm's K-weighting filters with the standard's gating (400 ms blocks, 75 % overlap, -70 LUFS
    absolute and -10 LU relative gates), computed on 100 ms sub-blocks instead of pyloudnorm's per-block
    loop, which takes about a second for a minute of stereo.
    """
    track = np.atleast_2d(np.asarray(track, dtype=np.float32))
    hop = round(0.1 * rate)
    return _gated_lufs(_block_energy(track, hop, rate), hop, 1)


def _block_energy(track: np.ndarray, block: int, rate: int = MIX_RATE) -> np.ndarray:
    """The K-weighted energy (sum of squares over samples and channels) of each whole ``block`` of samples."""
    count = track.shape[-1] // block
    if not count:
        return np.zeros(0)
    weighted = signal.sosfilt(_k_weighting(rate).astype(np.float32), track[:, : count * block], axis=-1)
    weighted *= weighted
    return weighted.reshape(len(track), count, block).sum(axis=(0, 2), dtype=np.float64)


def _gated_lufs(energy: np.ndarray, block: int, per_step: int) -> float:
    """Gated loudness from per-block energies, ``block`` samples each, ``per_step`` of them to the standard's
    100 ms step. A track shorter than one 400 ms gating block (a 0.3 s cut) has no blocks to gate: its
    K-weighted mean square stands in."""
    steps = len(energy) // per_step
    with np.errstate(divide="ignore", invalid="ignore"):
        if steps < 4:
            return float(-0.691 + 10 * np.log10(energy.sum() / max(len(energy) * block, 1)))
        step_energy = energy[: steps * per_step].reshape(steps, per_step).sum(axis=1)
        blocks = (step_energy[:-3] + step_energy[1:-2] + step_energy[2:-1] + step_energy[3:]) / (4 * per_step * block)
        block_lufs = -0.691 + 10 * np.log10(blocks)
        above_absolute = blocks[block_lufs > -70.0]
        if not above_absolute.size:
            return float("-inf")
        relative_gate = -0.691 + 10 * np.log10(above_absolute.mean()) - 10.0
        return float(-0.691 + 10 * np.log10(blocks[(block_lufs > -70.0) & (block_lufs > relative_gate)].mean()))


def _speech_presence(voice: np.ndarray) -> np.ndarray:
    """How much the narration is speaking in each window of SIDECHAIN_HOP samples, 0..1: the ducking's sidechain.

    1 while speech plays (held through pauses between words), rising over ATTACK_S before a line and
    falling over RELEASE_S after it. Built from the distance to the nearest speech window on each side, so
    it needs no per-sample loop.
    """
    hop = SIDECHAIN_HOP
    windows = -(-len(voice) // hop)
    if not windows:
        return np.zeros(0, dtype=np.float32)
    power = ndimage.uniform_filter1d(_mean_squares(voice[None, :], hop, partial=True)[0], 3)
    speaking = power > 10 ** ((NARRATION_DBFS + GATE_DB) / 10)
    index = np.arange(windows)
    never = 10 * windows
    last = np.maximum.accumulate(np.where(speaking, index, -never))
    following = np.minimum.accumulate(np.where(speaking, index, 2 * never)[::-1])[::-1]
    hop_s = hop / MIX_RATE
    after = np.exp(-np.maximum(index - last - HOLD_S / hop_s, 0) * hop_s / RELEASE_S)
    before = np.exp(-(following - index) * hop_s / ATTACK_S)
    return np.maximum(after, before)


def _spread(values: np.ndarray, hop: int, length: int) -> np.ndarray:
    """``length`` samples from one value per ``hop`` samples, linearly interpolated from each value (at its
    block's first sample) to the next: control curves become sample-rate gains without steps (zipper noise)."""
    following = np.append(values[1:], values[-1])
    ramp = np.arange(hop, dtype=np.float32) / np.float32(hop)
    start = values.astype(np.float32)
    return (start[:, None] + (following.astype(np.float32) - start)[:, None] * ramp).ravel()[:length]


def _duck_gain(presence: np.ndarray, stem_db: float, length: int) -> np.ndarray:
    """The gain, sample by sample, of a bed at ``stem_db``: down by the ducking depth where speech is
    present, following ``presence`` in decibels, so the duck moves evenly to the ear."""
    depth = max(DUCK_DB, stem_db - UNDER_SPEECH_DB)
    if not len(presence):
        return np.ones(length, dtype=np.float32)
    return _spread(10 ** (-depth * presence / 20), SIDECHAIN_HOP, length)


def _k_weighting(rate: int) -> np.ndarray:
    """The BS.1770 pre-filter as second-order sections, designed by pyloudnorm for any sample rate."""
    stages = (
        pyloudnorm.IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf"),
        pyloudnorm.IIRfilter(0.0, 0.5, 38.0, rate, "high_pass"),
    )
    return np.array([[*(stage.b / stage.a[0]), *(stage.a / stage.a[0])] for stage in stages])


def _limiter_curve(peaks: np.ndarray, ceiling: float) -> np.ndarray:
    """The limiter's gain for each block, given each block's true peak: never above what the block needs
    (``ceiling`` over its peak), and smooth rather than a clip.

    A minimum over a window wide enough to cover the smoothing, then two moving averages: the gain ramps
    down ahead of a peak (lookahead), holds, and ramps back. Interpolating the curve between blocks
    can leave a few hundredths of a dB, which ``master``'s last true-peak check scales away.
    """
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    if needed.min() >= 1:
        return needed
    ramp = max(1, round(LIMITER_RAMP_S * MIX_RATE / LIMITER_BLOCK))
    hold = round(LIMITER_HOLD_S * MIX_RATE / LIMITER_BLOCK)
    # Two moving averages of ``ramp`` blocks reach ``ramp`` blocks each way; interpolation one more.
    reach = ramp + 1
    window = ndimage.minimum_filter1d(needed, 2 * reach + hold + 1, origin=hold // 2, mode="nearest")
    return ndimage.uniform_filter1d(ndimage.uniform_filter1d(window, ramp, mode="nearest"), ramp, mode="nearest")


def _true_peak_blocks(track: np.ndarray, rate: int, floor: float = 0.0) -> np.ndarray:
    """The largest magnitude over all channels in each LIMITER_BLOCK-sample block (the last one may be
    partial), 4x oversampled where a block's sample peak reaches ``floor``.

    Below ``floor`` a block keeps its sample peak: callers set it INTER_SAMPLE_HEADROOM_DB under what
    matters, and oversampling only the loud stretches (with margins that cover soxr's filter) is most of
    the time a master takes saved.
    """
    length = track.shape[-1]
    if not length:
        return np.zeros(0, dtype=np.float32)
    whole = length // LIMITER_BLOCK
    cells = track[:, : whole * LIMITER_BLOCK].reshape(len(track), whole, LIMITER_BLOCK)
    peaks = np.maximum(cells.max(axis=(0, 2)), -cells.min(axis=(0, 2)))  # no |track| copy to allocate
    if whole * LIMITER_BLOCK < length:
        peaks = np.append(peaks, np.abs(track[:, whole * LIMITER_BLOCK :]).max())
    loud = peaks >= floor
    loud |= np.concatenate([loud[1:], [False]]) | np.concatenate([[False], loud[:-1]])
    edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
    starts, ends = edges[::2], edges[1::2]
    apart = np.flatnonzero(starts[1:] - ends[:-1] > TRUE_PEAK_JOIN_SAMPLES // LIMITER_BLOCK)
    starts, ends = np.concatenate([starts[:1], starts[1:][apart]]), np.concatenate([ends[:-1][apart], ends[-1:]])
    factor = TRUE_PEAK_OVERSAMPLING
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        low, high = start * LIMITER_BLOCK, min(end * LIMITER_BLOCK, length)
        before, after = max(0, low - TRUE_PEAK_MARGIN_SAMPLES), min(length, high + TRUE_PEAK_MARGIN_SAMPLES)
        for channel in track:
            upsampled = np.abs(soxr.resample(channel[before:after], rate, rate * factor, quality="HQ"))
            stretch = np.zeros((end - start) * LIMITER_BLOCK * factor, dtype=np.float32)
            core = upsampled[(low - before) * factor : (high - before) * factor]
            stretch[: len(core)] = core
            peaks[start:end] = np.maximum(peaks[start:end], stretch.reshape(end - start, -1).max(axis=1))
    return peaks


def _at_mix_rate(sound: Speech | Sound) -> np.ndarray:
    return resample(sound.samples, sound.sample_rate)


def _mono(samples: np.ndarray) -> np.ndarray:
    return samples if samples.ndim == 1 else samples.mean(axis=0)


def _stereo(samples: np.ndarray) -> np.ndarray:
    """Mono duplicated into both channels; stereo as it is; more channels folded to their first two."""
    samples = np.atleast_2d(samples)
    return np.concatenate([samples, samples]) if len(samples) == 1 else samples[:2]


def _levelled(samples: np.ndarray, target_dbfs: float) -> np.ndarray:
    """``samples`` scaled so their active level (the RMS of the 100 ms blocks within 20 dB of the mean
    power, so pauses and silent tails do not count) is ``target_dbfs``; silence stays silence."""
    rows = np.atleast_2d(samples)
    hop = min(MIX_RATE // 10, rows.shape[-1])
    if not hop:
        return samples
    power = _mean_squares(rows, hop).mean(axis=0)
    audible = power[power > 1e-10]
    if not audible.size:
        return samples
    active = audible[audible > audible.mean() / 100].mean()
    return samples * np.float32(10 ** (target_dbfs / 20) / np.sqrt(active))


def _mean_squares(rows: np.ndarray, hop: int, partial: bool = False) -> np.ndarray:
    """Mean square of each row's whole blocks of ``hop`` samples (and of the partial last one, if asked),
    (rows, blocks), without a squared copy of the samples."""
    whole = rows.shape[-1] // hop
    cells = rows[:, : whole * hop].reshape(len(rows), whole, hop)
    power = np.einsum("rbs,rbs->rb", cells, cells, dtype=np.float64) / hop
    if partial and whole * hop < rows.shape[-1]:
        tail = rows[:, whole * hop :].astype(np.float64)
        power = np.concatenate([power, np.mean(tail**2, axis=-1, keepdims=True)], axis=-1)
    return power


def _fitted(samples: np.ndarray, cue: Cue, crossfade_s: float) -> np.ndarray:
    """A new array: ``samples`` at the cue's length (its own length when it has none)."""
    if cue.length_s is None:
        return samples.copy()
    return _looped(samples, round(cue.length_s * MIX_RATE), round(crossfade_s * MIX_RATE))


def _looped(samples: np.ndarray, length: int, crossfade: int) -> np.ndarray:
    """A new array: ``samples`` trimmed, or looped seamlessly, to exactly ``length`` samples.

    The loop is the sound's first ``available - crossfade`` samples with its head crossfaded (equal power:
    generated beds are uncorrelated at the seam, so their powers add) from the tail it follows.
    """
    available = samples.shape[-1]
    if available >= length:
        return samples[..., :length].astype(np.float32, copy=True)
    out = np.empty((*samples.shape[:-1], length), dtype=np.float32)
    if not available:
        out.fill(0.0)
        return out
    crossfade = min(crossfade, available // 4)
    period = available - crossfade
    out[..., :period] = samples[..., :period]
    unit = samples[..., :period].astype(np.float32, copy=True)
    if crossfade:
        ramp = np.sin(np.linspace(0, np.pi / 2, crossfade + 2, dtype=np.float32)[1:-1])
        unit[..., :crossfade] = unit[..., :crossfade] * ramp + samples[..., period:] * ramp[::-1]
    for start in range(period, length, period):
        end = min(start + period, length)
        out[..., start:end] = unit[..., : end - start]
    return out


def _fade(samples: np.ndarray, fade_in_s: float, fade_out_s: float) -> None:
    """Raised-cosine fades at both ends, in place, each at most a quarter of the sound (a 0.3 s cut still
    has a middle)."""
    length = samples.shape[-1]
    for seconds, at_end in ((fade_in_s, False), (fade_out_s, True)):
        count = min(round(seconds * MIX_RATE), length // 4)
        if not count:
            continue
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, count + 2, dtype=np.float32)[1:-1])).astype(np.float32)
        if at_end:
            samples[..., length - count :] *= ramp[::-1]
        else:
            samples[..., :count] *= ramp


def _add_at(track: np.ndarray, samples: np.ndarray, start: int) -> None:
    """Adds ``samples`` into ``track`` from sample ``start``; what falls outside the track is dropped."""
    length = track.shape[-1]
    begin, end = max(start, 0), min(start + samples.shape[-1], length)
    if begin < end:
        track[..., begin:end] += samples[..., begin - start : end - start]
