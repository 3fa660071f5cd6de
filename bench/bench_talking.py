"""Benchmark of the talking-portrait draft (the embedded talking backend): its speed at 720p and how well in sync.

Prints, for a line in Piper's bundled voice spoken by the astronaut portrait that scikit-image ships, rendered at
1280x720 and 24 fps with OpenCV held to one thread (the target: well under 100 ms a frame on one core):
- the cost of finding and framing the face (once per shot) and of each frame after it, wall and CPU;
- the sync score from the frames alone (``lip_sync``): the correlation of the mouth's darkness with the speech's
  loudness at lag 0, against the best lag of one, two and three frames either way.
Run: ``.venv/bin/python bench/bench_talking.py`` (scikit-image comes with the ``test`` extra). On a GPU machine with
Wan2.2-S2V's weights, ``bench/bench_talking.py --wan-s2v MODEL`` (a preset id, hub id in the cache, or a folder) also
renders the same shot with it and prints its seconds per second of talking video beside the draft's.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

from reelwright.generation.backends import Speech, SpeechRequest, TalkingRequest
from reelwright.generation.piper_tts import PiperSpeech
from reelwright.generation.talking_face import TalkingFaceBackend, lip_sync
from reelwright.generation.wan_s2v import WanS2VBackend
from reelwright.plan import Voice

SIZE, FPS, LEAD_S = (1280, 720), 24, 0.5
LINE = "The old lighthouse stands alone on the cliff, watching the storm roll in from the sea, and she waits for the ships."


def shot(photo: Path, speech: Speech) -> TalkingRequest:
    return TalkingRequest(
        speech=speech,
        speech_start_s=LEAD_S,
        width=SIZE[0],
        height=SIZE[1],
        fps=FPS,
        num_frames=math.ceil((LEAD_S + speech.duration_s + 0.5) * FPS),
        prompt="a portrait speaking",
        seed=0,
        face_image=photo,
    )


def render(photo: Path, speech: Speech) -> tuple[list[np.ndarray], tuple[float, float], tuple[float, float]]:
    """The shot's frames, the wall and CPU seconds to the first frame (finding and framing the face), and after it."""
    wall, cpu = time.perf_counter(), time.process_time()
    frames = TalkingFaceBackend().render(shot(photo, speech), lambda fraction: None)
    first = [next(frames)]
    setup = (time.perf_counter() - wall, time.process_time() - cpu)
    wall, cpu = time.perf_counter(), time.process_time()
    rest = list(frames)
    return first + rest, setup, ((time.perf_counter() - wall) / len(rest), (time.process_time() - cpu) / len(rest))


def per_second_of_video(backend: WanS2VBackend, photo: Path, speech: Speech) -> float:
    """Wall seconds the model takes per second of talking video (its second run: the first loads the weights)."""
    request = shot(photo, speech)
    for _ in backend.render(request, lambda fraction: None):
        pass
    wall = time.perf_counter()
    for _ in backend.render(request, lambda fraction: None):
        pass
    return (time.perf_counter() - wall) / (request.num_frames / request.fps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wan-s2v", metavar="MODEL", help="also time Wan2.2-S2V (a preset id, hub id or weights folder) on this GPU")
    wan_model = parser.parse_args().wan_s2v
    cv2.setNumThreads(1)
    speech = PiperSpeech().speak(SpeechRequest(text=LINE, voice=Voice()))
    with tempfile.TemporaryDirectory() as scratch:
        photo = Path(scratch) / "astronaut.png"
        Image.fromarray(data.astronaut()).save(photo)
        frames, setup, per_frame = render(photo, speech)
        if wan_model:
            options = {"model_dir": Path(wan_model)} if Path(wan_model).is_dir() else {"model": wan_model}
            wan = per_second_of_video(WanS2VBackend(WanS2VBackend.Options(**options)), photo, speech)
    scores = lip_sync(frames, speech, LEAD_S, FPS)
    others = {lag: score for lag, score in scores.items() if lag}
    best = max(others, key=lambda lag: others[lag])
    print(
        f"talking-face draft, {len(frames)} frames of {SIZE[0]}x{SIZE[1]} ({speech.duration_s:.1f} s of speech at {FPS} fps), "
        f"OpenCV on 1 thread: face found and framed in {setup[0] * 1000:.0f} ms ({setup[1] * 1000:.0f} ms CPU); "
        f"then {per_frame[0] * 1000:.1f} ms a frame wall, {per_frame[1] * 1000:.1f} ms CPU ({1 / per_frame[0]:.1f} frames a second)"
    )
    print(
        f"sync: mouth darkness vs speech loudness r = {scores[0]:.2f} at lag 0; best other lag {best:+d} frames r = {others[best]:.2f} "
        f"(all: {', '.join(f'{lag:+d}: {score:.2f}' for lag, score in scores.items())})"
    )
    if wan_model:
        draft = per_frame[0] * FPS
        print(f"Wan2.2-S2V ({wan_model}): {wan:.1f} s per second of talking video; the draft {draft:.2f} s ({wan / draft:.0f}x)")


if __name__ == "__main__":
    main()
