"""Benchmark of the sound bed: the procedural generator's speed, and the mix's speed and levels.

Prints, measured in one run on this machine:
- the real-time factor (compute seconds per second of audio, CPU time of this process, and wall time)
  of procedural music and ambience at 48 kHz, for several prompts, 30 s each;
- the time to mix a 60 s cut (Piper narration, procedural music looped under it, one ambience per
  shot), and what came out: integrated loudness (pyloudnorm), true peak (8x polyphase oversampling),
  narration over the beds while it speaks;
- a one-line summary.

Run: ``.venv/bin/python bench/bench_sound.py [--quick]`` (about a minute; ``--quick`` a few seconds of audio each).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Literal, TypeVar

import numpy as np
import pyloudnorm
from scipy import signal

from reelwright.generation.ambience import ambience_for
from reelwright.generation.backends import SoundRequest, Speech, SpeechRequest
from reelwright.generation.mix import MIX_RATE, Cue, mix, stems
from reelwright.generation.piper_tts import PiperSpeech
from reelwright.generation.procedural_sound import ProceduralSound, score_for
from reelwright.plan import Voice

MUSIC = ["upbeat pop", "calm piano", "dark noir", "epic cinematic", "lofi chill", "acoustic guitar"]
AMBIENCE = [
    "rain on a window",
    "busy city street",
    "ocean waves",
    "wind howling",
    "a crowded cafe",
    "birds in the forest",
    "crickets at night",
    "a crackling campfire",
    "an empty office",
]
LINES = [
    "The old lighthouse stands alone on the cliff, watching the storm roll in from the sea.",
    "For forty years the same keeper climbed its stairs every evening.",
    "Tonight the lamp is dark, and the ships must find their own way home.",
    "By morning the sky is clear, and a new light turns above the water.",
    "Some things last longer than the people who keep them.",
]
T = TypeVar("T")


def ignore_progress(done: float) -> None:
    """The benchmark does not report progress."""


def timed(work: Callable[[], T]) -> tuple[T, float, float]:
    """(result, CPU seconds of this process, wall seconds)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def generator_rtf(kind: Literal["music", "ambience"], prompts: list[str], seconds: float) -> list[tuple[str, str, float, float]]:
    backend = ProceduralSound()
    rows = []
    for seed, prompt in enumerate(prompts):
        request = SoundRequest(prompt, kind, seconds, seed)
        _, cpu, wall = timed(partial(backend.generate, request, ignore_progress))
        if kind == "music":
            score = score_for(request)
            what = f"{score.mood}, {score.key}, {score.tempo_bpm} bpm, {'+'.join(score.instruments)}"
        else:
            what = ambience_for(prompt)
        rows.append((prompt, what, cpu / seconds, wall / seconds))
    return rows


def mix_figures(cut_s: float, repeats: int) -> dict[str, float]:
    piper, backend = PiperSpeech(), ProceduralSound()
    shots = max(1, min(len(LINES), int(cut_s // 10)))
    shot_s = cut_s / shots
    lines: list[Speech] = [piper.speak(SpeechRequest(text, Voice())) for text in LINES[:shots]]
    narration = [Cue(line, shot * shot_s + 0.5) for shot, line in enumerate(lines)]
    music = backend.generate(SoundRequest("calm piano", "music", cut_s / 2, 1), ignore_progress)
    ambience = [
        Cue(backend.generate(SoundRequest(place, "ambience", shot_s / 2, shot), ignore_progress), shot * shot_s, shot_s)
        for shot, place in enumerate(AMBIENCE[:shots])
    ]
    # The first mix in a process also pays for first-touching its memory and setting up libsoxr and scipy.
    runs = [timed(lambda: mix(duration_s=cut_s, narration=narration, music=music, ambience=ambience)) for _ in range(1 + repeats)]
    (track, first_cpu, first_wall), runs = runs[0], runs[1:]
    parts = stems(duration_s=cut_s, narration=narration, music=music, ambience=ambience)
    speaking = np.zeros(track.shape[1], dtype=bool)
    for cue in narration:
        speaking[round(cue.start_s * MIX_RATE) : round((cue.start_s + cue.sound.duration_s) * MIX_RATE)] = True
    over = 10 * np.log10(np.mean(parts.narration[speaking] ** 2) / np.mean(parts.bed[:, speaking] ** 2))
    return {
        "shots": shots,
        "first_cpu_s": first_cpu,
        "first_wall_s": first_wall,
        "cpu_s": statistics.median(cpu for _, cpu, _ in runs),
        "wall_s": statistics.median(wall for _, _, wall in runs),
        "lufs": float(pyloudnorm.Meter(MIX_RATE).integrated_loudness(track.T.astype(np.float64))),
        "true_peak_dbtp": float(20 * np.log10(np.abs(signal.resample_poly(track, 8, 1, axis=-1)).max())),
        "narration_over_beds_db": float(over),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s sounds, three prompts of each kind, a 20 s cut")
    args = parser.parse_args()
    seconds, cut_s = (5.0, 20.0) if args.quick else (30.0, 60.0)
    music_prompts, ambience_prompts = (MUSIC[:3], AMBIENCE[:3]) if args.quick else (MUSIC, AMBIENCE)

    worst: dict[str, float] = {}
    kinds: tuple[tuple[Literal["music", "ambience"], list[str]], ...] = (("music", music_prompts), ("ambience", ambience_prompts))
    for kind, prompts in kinds:
        rows = generator_rtf(kind, prompts, seconds)
        print(f"procedural {kind}, {seconds:g} s at 48 kHz: real-time factor (CPU / wall)")
        for prompt, what, cpu_rtf, wall_rtf in rows:
            print(f"  {prompt!r:24s} {cpu_rtf:.4f} / {wall_rtf:.4f}   {what}")
        worst[kind] = max(cpu_rtf for _, _, cpu_rtf, _ in rows)

    figures = mix_figures(cut_s, repeats=3)
    print(
        f"mix of a {cut_s:g} s cut ({figures['shots']:g} narrated shots, music, ambience): {figures['cpu_s']:.3f} s CPU, "
        f"{figures['wall_s']:.3f} s wall (median of 3; the first in the process {figures['first_cpu_s']:.3f} s CPU, "
        f"{figures['first_wall_s']:.3f} s wall); {figures['lufs']:.2f} LUFS, true peak {figures['true_peak_dbtp']:.2f} dBTP, "
        f"narration {figures['narration_over_beds_db']:.1f} dB over the beds while it speaks"
    )
    print(
        f"summary: worst real-time factor {worst['music']:.4f} music, {worst['ambience']:.4f} ambience; "
        f"mix {figures['cpu_s'] / cut_s:.4f} s per second of cut ({figures['cpu_s']:.2f} s for {cut_s:g} s)"
    )


if __name__ == "__main__":
    main()
