"""The talking-portrait draft makes the face of a photo (or of a clip) say the shot's speech, in sync.

The face is a real photo that scikit-image ships (its astronaut portrait, read from the wheel, never downloaded);
the speech is Piper's bundled voice or voiced syllables built here. Sync is measured objectively: the darkness of
the mouth (an open mouth is dark) against the speech's loudness, frame by frame, at several lags.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage import data

from reelwright import plugins
from reelwright.errors import Cancelled, FaceProblem, GenerationError
from reelwright.generation.backends import Speech, SpeechRequest, TalkingRequest
from reelwright.generation.faces import MIN_FACE_PX, FaceFinder, speaking_face
from reelwright.generation.piper_tts import PiperSpeech
from reelwright.generation.talking_face import TalkingFaceBackend, frame_loudness, lip_sync, mouth_darkness, mouth_track
from reelwright.plan import Voice

FPS = 24
LINE = "The old lighthouse stands alone on the cliff, watching the storm roll in from the sea."


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="module")
def portrait(astronaut: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    return path


@pytest.fixture(scope="module")
def spoken() -> Speech:
    """The line in Piper's bundled voice: real speech, with its real rhythm of syllables, pauses and hiss."""
    return PiperSpeech().speak(SpeechRequest(text=LINE, voice=Voice()))


def syllables(seconds: float, rate: int = 16000, seed: int = 0) -> Speech:
    """Voiced syllables, 120 to 250 ms each with 50 to 200 ms between them: a 130 Hz buzz with its harmonics up to
    2.6 kHz, at speaking loudness. Speech's rhythm, the same on every run."""
    rng = np.random.default_rng(seed)
    times = np.arange(round(seconds * rate)) / rate
    buzz = sum(np.sin(2 * math.pi * 130 * harmonic * times) / harmonic for harmonic in range(1, 21))
    envelope = np.zeros_like(times)
    moment = 0.05
    while moment < seconds - 0.3:
        length = rng.uniform(0.12, 0.25)
        span = (times >= moment) & (times < moment + length)
        envelope[span] = np.sin(math.pi * (times[span] - moment) / length) * rng.uniform(0.5, 1.0)
        moment += length + rng.uniform(0.05, 0.2)
    return Speech((0.12 * buzz / np.abs(buzz).max() * envelope).astype(np.float32), rate)


def saved(tmp_path: Path, picture: np.ndarray | Image.Image, name: str = "photo.png") -> Path:
    path = tmp_path / name
    (picture if isinstance(picture, Image.Image) else Image.fromarray(picture)).save(path)
    return path


def talking(speech: Speech, frames: int, size: tuple[int, int] = (640, 480), start_s: float = 0.5, **source: object) -> TalkingRequest:
    return TalkingRequest(
        speech=speech,
        speech_start_s=start_s,
        width=size[0],
        height=size[1],
        fps=FPS,
        num_frames=frames,
        prompt="a portrait speaking",
        seed=7,
        **source,
    )


def render(request: TalkingRequest, progress: Callable[[float], None] = lambda fraction: None) -> list[np.ndarray]:
    return list(TalkingFaceBackend().render(request, progress))


def frames_for(speech: Speech, start_s: float, after_s: float = 0.5) -> int:
    return math.ceil((start_s + speech.duration_s + after_s) * FPS)


def landscape() -> Image.Image:
    """Sky, hills and a meadow: a photo without anyone in it."""
    image = Image.new("RGB", (800, 500), (140, 180, 230))
    draw = ImageDraw.Draw(image)
    draw.polygon([(0, 300), (200, 150), (400, 270), (600, 130), (800, 300), (800, 500), (0, 500)], fill=(90, 110, 90))
    draw.rectangle((0, 380, 800, 500), fill=(70, 120, 50))
    return image


def test_frames_are_exactly_the_requested_count_and_size(portrait: Path) -> None:
    for size, count in (((480, 640), 7), ((641, 359), 5), ((1280, 720), 3)):
        frames = render(talking(syllables(1.0), count, size, face_image=portrait))
        assert len(frames) == count
        assert {(frame.shape, frame.dtype.name) for frame in frames} == {((size[1], size[0], 3), "uint8")}


def test_the_mouth_moves_with_the_speech_and_peaks_in_sync_at_lag_zero(portrait: Path, spoken: Speech) -> None:
    frames = render(talking(spoken, frames_for(spoken, 0.5), (960, 540), face_image=portrait))
    scores = lip_sync(frames, spoken, 0.5, FPS)
    assert scores[0] == max(scores.values()), scores
    assert scores[0] > 0.65, scores
    assert scores[0] - max(scores[-2], scores[2]) > 0.2, scores
    assert scores[0] - max(scores[-3], scores[3]) > 0.35, scores


def test_the_mouth_stays_closed_in_silence_and_in_room_noise(portrait: Path) -> None:
    noise = np.random.default_rng(1).normal(0, 0.002, 32000).astype(np.float32)
    for quiet in (Speech(np.zeros(32000, np.float32), 16000), Speech(noise, 16000)):
        frames = render(talking(quiet, 48, face_image=portrait))
        darkness = mouth_darkness(frames, speaking_face(frames[0]).face)
        assert darkness.max() - darkness.min() < 3, darkness


def test_the_mouth_opens_only_while_the_speech_plays(portrait: Path) -> None:
    speech, start = syllables(1.2), 1.0
    frames = render(talking(speech, 72, face_image=portrait, start_s=start))
    darkness = mouth_darkness(frames, speaking_face(frames[0]).face)
    before, during, after = darkness[: round(0.95 * FPS)], darkness[round(start * FPS) : round(2.2 * FPS)], darkness[round(2.3 * FPS) :]
    closed = darkness[0]
    assert np.abs(before - closed).max() < 3 and np.abs(after - closed).max() < 3
    assert during.max() > closed + 15


def test_hiss_narrows_the_mouth_where_a_vowel_as_loud_opens_it() -> None:
    rate = 16000
    times = np.arange(rate) / rate
    vowel = sum(np.sin(2 * math.pi * 130 * harmonic * times) / harmonic for harmonic in range(1, 21))
    hiss = np.diff(np.random.default_rng(2).normal(size=rate + 1))  # white noise tilted up: s-like
    spoken = np.concatenate([vowel / np.std(vowel), hiss / np.std(hiss)]) * 0.05
    track = mouth_track(Speech(spoken.astype(np.float32), rate), 0.0, FPS, 2 * FPS)
    in_vowel, in_hiss = slice(6, FPS - 6), slice(FPS + 6, 2 * FPS - 6)
    assert track.narrowing[in_hiss].mean() > 0.8 > 0.1 > track.narrowing[in_vowel].mean()
    assert track.opening[in_hiss].mean() < 0.6 * track.opening[in_vowel].mean()


def test_a_photo_without_a_face_is_refused_saying_what_photo_works(tmp_path: Path) -> None:
    for picture in (landscape(), Image.fromarray(data.coffee())):
        with pytest.raises(FaceProblem, match="couldn't find a face in the photo: use one where a face looks at the camera") as refusal:
            speaking_face(np.asarray(picture))
        assert f"at least {MIN_FACE_PX} pixels wide" in str(refusal.value)
        with pytest.raises(FaceProblem):
            next(TalkingFaceBackend().render(talking(syllables(1.0), 10, face_image=saved(tmp_path, picture)), lambda fraction: None))


def test_a_face_too_small_to_animate_is_refused_naming_the_minimum(astronaut: np.ndarray) -> None:
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    canvas.paste(Image.fromarray(astronaut).resize((240, 240), Image.Resampling.LANCZOS), (200, 120))  # a face ~48 px wide
    with pytest.raises(FaceProblem, match=rf"too small to make it speak \(\d+ pixels wide\).*at least {MIN_FACE_PX} pixels wide"):
        speaking_face(np.asarray(canvas))


def two_portraits(astronaut: np.ndarray, larger_on_right: bool) -> np.ndarray:
    """Two copies of the portrait side by side, one 1.4 times the other's size."""
    canvas = Image.new("RGB", (1200, 700), (120, 120, 125))
    large = Image.fromarray(astronaut).resize((700, 700), Image.Resampling.LANCZOS)
    small = Image.fromarray(astronaut).resize((500, 500), Image.Resampling.LANCZOS)
    if larger_on_right:
        canvas.paste(small, (0, 100))
        canvas.paste(large, (500, 0))
    else:
        canvas.paste(large, (0, 0))
        canvas.paste(small, (700, 100))
    return np.asarray(canvas)


def test_of_several_faces_the_largest_speaks_and_the_choice_is_said(astronaut: np.ndarray, tmp_path: Path) -> None:
    for larger_on_right in (True, False):
        picture = two_portraits(astronaut, larger_on_right)
        choice = speaking_face(picture)
        assert len(choice.faces) == 2 and choice.chosen_by == "largest"
        assert choice.note == "The largest of 2 faces speaks."
        assert choice.face.size == max(face.size for face in choice.faces)
        assert (choice.face.center[0] > 600) == larger_on_right
        assert speaking_face(picture) == choice
    picture = two_portraits(astronaut, larger_on_right=True)
    frames = render(talking(syllables(1.5), 48, (1200, 700), face_image=saved(tmp_path, picture)))
    darkness = {face.size: mouth_darkness(frames, face) for face in FaceFinder().find(frames[0])}
    speaker, other = darkness[max(darkness)], darkness[min(darkness)]
    assert speaker.max() - speaker.min() > 15
    assert other.max() - other.min() < 3


def test_a_head_tilted_30_degrees_is_found_and_speaks(astronaut: np.ndarray, tmp_path: Path) -> None:
    tilted = Image.fromarray(astronaut).rotate(30, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(200, 200, 200))
    face = speaking_face(np.asarray(tilted)).face
    assert face.angle == pytest.approx(30, abs=6)
    speech = syllables(2.0)
    frames = render(talking(speech, frames_for(speech, 0.3), (720, 720), start_s=0.3, face_image=saved(tmp_path, tilted)))
    Image.fromarray(frames[0]).save(tmp_path / "first.png")
    scores = lip_sync(frames, speech, 0.3, FPS)
    assert scores[0] == max(scores.values()) and scores[0] > 0.6, scores


def test_a_face_in_a_moving_clip_is_followed_frame_to_frame(astronaut: np.ndarray) -> None:
    """The photo panned 5 pixels a frame: the mouth that opens with the speech is where the face has moved to."""
    wide = np.asarray(Image.fromarray(astronaut).resize((900, 900), Image.Resampling.LANCZOS))
    count, step, speech = 48, 5, syllables(1.6)
    clip = [wide[80:560, 40 + step * index : 680 + step * index].copy() for index in range(count)]
    frames = render(talking(speech, count, (640, 480), start_s=0.2, base_frames=iter(clip)))
    assert len(frames) == count
    first = speaking_face(clip[0]).face
    followed = [
        mouth_darkness([frame], replace(first, center=(first.center[0] - step * index, first.center[1])))[0]
        for index, frame in enumerate(frames)
    ]
    left_behind = mouth_darkness(frames, first)
    loudness = frame_loudness(speech, 0.2, FPS, count)
    assert np.corrcoef(followed, loudness)[0, 1] > 0.6
    assert np.corrcoef(left_behind, loudness)[0, 1] < 0.3


def test_a_clip_without_a_face_is_refused() -> None:
    clip = [np.asarray(landscape().resize((640, 480)))] * 6
    with pytest.raises(FaceProblem, match="couldn't find a face in this shot's picture"):
        render(talking(syllables(1.0), 6, base_frames=iter(clip)))


def test_a_shot_with_neither_photo_nor_clip_is_an_error() -> None:
    with pytest.raises(GenerationError):
        render(talking(syllables(1.0), 6))


def test_cancelling_stops_the_render_between_frames(portrait: Path) -> None:
    def cancel_at_a_quarter(fraction: float) -> None:
        if fraction >= 0.25:
            raise Cancelled("cancelled")

    made = []
    with pytest.raises(Cancelled):
        for frame in TalkingFaceBackend().render(talking(syllables(2.0), 40, face_image=portrait), cancel_at_a_quarter):
            made.append(frame)
    assert len(made) == 10


def test_the_default_talking_backend_is_this_labelled_draft() -> None:
    backend = plugins.load(plugins.TALKING_BACKENDS, "talking-face", kind="talking backend", error=GenerationError)()
    assert isinstance(backend, TalkingFaceBackend) and backend.draft
    assert "opencv 4." in backend.model_identity and "cascades " in backend.model_identity
