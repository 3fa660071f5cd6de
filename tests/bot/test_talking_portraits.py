"""Talking portraits end to end: a photo and the words to say become a lip-synced, narrated, marked video whose
talking shots last as long as their speech; editing one line re-renders only its shot; photos without a usable
face, public figures and photos without consent are refused before anything is kept."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import ffprobe
from PIL import Image
from skimage import data

from reelwright.bot.render_service import RenderOutcome
from reelwright.bot.service import ConversationService
from reelwright.errors import BadRequest, ConsentNeeded, FaceProblem, Refused
from reelwright.generation.faces import speaking_face
from reelwright.plan import TALKING_TAIL_S
from reelwright.records import UserRef, VersionRecord
from reelwright.settings import Settings

ALICE = UserRef("test", "alice", "Alice")
WORDS = "Hello from orbit! Today I will show you how we sleep in space."


def projects(settings: Settings) -> int:
    with sqlite3.connect(settings.data_dir / "reelwright.db") as connection:
        return connection.execute("SELECT count(*) FROM projects").fetchone()[0]


def frames_and_loudness(path: Path) -> tuple[list[np.ndarray], np.ndarray, float]:
    """The video's RGB frames, the soundtrack's RMS over each frame's time, and the frame rate."""
    with av.open(str(path)) as container:
        fps = float(container.streams.video[0].average_rate)
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    with av.open(str(path)) as container:
        audio = np.concatenate([frame.to_ndarray() for frame in container.decode(audio=0)], axis=1).mean(axis=0)
        rate = container.streams.audio[0].sample_rate
    hop = rate / fps
    loudness = np.array([np.sqrt(np.mean(audio[int(i * hop) : int((i + 1) * hop)] ** 2) + 1e-12) for i in range(len(frames))])
    return frames, loudness, fps


def mouth_motion(frames: list[np.ndarray]) -> np.ndarray:
    """How far the mouth region of each frame is from the first (closed) frame."""
    face = speaking_face(frames[0]).face
    x, y, half = int(face.mouth[0]), int(face.mouth[1]), int(face.size * 0.3)
    region = [frame[y - half // 2 : y + half, x - half : x + half].astype(np.float32) for frame in frames]
    return np.array([np.abs(patch - region[0]).mean() for patch in region])


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


@pytest.fixture(scope="module")
def spoken(
    tmp_path_factory: pytest.TempPathFactory, photo: Path
) -> tuple[Settings, VersionRecord, RenderOutcome, VersionRecord, RenderOutcome]:
    """Two talking shots from a photo, rendered; then the second shot's words changed and rendered again."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), llm_provider="template")

    async def scenario() -> tuple[VersionRecord, RenderOutcome, VersionRecord, RenderOutcome]:
        service = ConversationService(settings)
        try:
            first = await service.plan(ALICE, f"2 shots, 9:16. make the woman in this photo say: {WORDS}", photo, consent=True)
            made = await (await service.render(ALICE, first.project_id)).result()
            second = await service.edit(ALICE, first.project_id, 'shot 2 should say "Goodbye for now!"')
            remade = await (await service.render(ALICE, first.project_id)).result()
            return first, made, second, remade
        finally:
            await service.close()

    return settings, *asyncio.run(scenario())


def test_the_photo_becomes_talking_shots_that_say_the_words_as_written(spoken) -> None:
    _, first, *_ = spoken
    assert [shot.talking for shot in first.plan.shots] == [True, True]
    assert " ".join(shot.narration for shot in first.plan.shots) == WORDS
    assert first.plan.aspect == "9:16"


def test_talking_shots_last_as_long_as_their_speech(spoken) -> None:
    _, _, made, *_ = spoken
    frames, loudness, fps = frames_and_loudness(made.path)
    speaking = np.flatnonzero(loudness > loudness.max() * 0.05)
    after_last_word = len(frames) / fps - (speaking[-1] + 1) / fps
    # The pause after the last word: the shot's tail, plus the voice's own trailing silence and a 0.1 s rounding.
    assert TALKING_TAIL_S - 0.1 <= after_last_word <= TALKING_TAIL_S + 0.35
    assert float(ffprobe(made.path)["format"]["duration"]) == pytest.approx(made.seconds, abs=0.1)


def test_the_mouth_moves_with_the_speech(spoken) -> None:
    _, _, made, *_ = spoken
    frames, loudness, _ = frames_and_loudness(made.path)
    motion = mouth_motion(frames)

    def correlation(lag: int) -> float:
        a, b = (motion[lag:], loudness[: len(loudness) - lag]) if lag >= 0 else (motion[:lag], loudness[-lag:])
        return float(np.corrcoef(a, b)[0, 1])

    at_zero = correlation(0)
    assert at_zero > 0.5
    assert at_zero > max(correlation(lag) for lag in (-3, 3))


def test_the_talking_video_is_labelled_and_marked_like_every_other(spoken) -> None:
    _, _, made, *_ = spoken
    tags = ffprobe(made.path)["format"]["tags"]
    assert "AI-generated" in tags.get("comment", "")


def test_changing_one_shots_words_re_renders_only_that_shot(spoken) -> None:
    _, _, made, second, remade = spoken
    assert second.plan.shots[1].narration == "Goodbye for now!" and second.plan.shots[1].talking
    assert [shot["reused"] for shot in remade.shots] == [True, False]
    assert remade.seconds < made.seconds


def test_a_photo_without_a_face_is_refused_before_anything_is_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template")
    landscape = tmp_path / "coffee.png"
    Image.fromarray(data.coffee()).save(landscape)

    async def scenario() -> None:
        service = ConversationService(settings)
        try:
            with pytest.raises(FaceProblem, match="face"):
                await service.plan(ALICE, "make the man in this photo say: hello", landscape, consent=True)
        finally:
            await service.close()

    asyncio.run(scenario())
    assert projects(settings) == 0


def test_public_figures_are_refused_and_a_photo_needs_consent_to_speak(tmp_path: Path, photo: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template")

    async def scenario() -> None:
        service = ConversationService(settings)
        try:
            with pytest.raises(Refused):
                await service.plan(ALICE, "make Barack Obama in this photo say: I approve this message", photo, consent=True)
            with pytest.raises(ConsentNeeded, match="made to speak"):
                await service.plan(ALICE, "make the woman in this photo say: hello", photo)
        finally:
            await service.close()

    asyncio.run(scenario())
    assert projects(settings) == 0


def test_an_edit_makes_a_photo_speak_only_if_its_confirmation_covered_speech(tmp_path: Path, photo: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template")

    async def scenario() -> tuple[VersionRecord, str]:
        service = ConversationService(settings)
        try:
            animated = await service.plan(ALICE, "bring this photo to life", photo, consent=True)
            spoken = await service.edit(ALICE, animated.project_id, 'make the woman in the photo say "good morning"')
            older = await service.plan(ALICE, "bring this photo to life, slowly", photo, consent=True)
            with sqlite3.connect(settings.data_dir / "reelwright.db") as connection:  # confirmed before talking portraits
                connection.execute(
                    "UPDATE consents SET statement = 'I am the person in this image.' WHERE project_id = ?", (older.project_id,)
                )
            with pytest.raises(ConsentNeeded, match="not for making the person in it speak"):
                await service.edit(ALICE, older.project_id, 'make her say "good morning"')
            return spoken, older.project_id
        finally:
            await service.close()

    spoken, older = asyncio.run(scenario())
    assert all(shot.talking for shot in spoken.plan.shots)
    with sqlite3.connect(settings.data_dir / "reelwright.db") as connection:
        assert connection.execute("SELECT count(*) FROM plan_versions WHERE project_id = ?", (older,)).fetchone()[0] == 1


def test_a_face_is_not_made_to_speak_a_language_no_installed_voice_speaks(tmp_path: Path, photo: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template")

    async def scenario() -> None:
        service = ConversationService(settings)
        try:
            with pytest.raises(BadRequest, match="only speak with a voice"):
                await service.plan(ALICE, "in Japanese, make the woman in this photo say: konnichiwa", photo, consent=True)
        finally:
            await service.close()

    asyncio.run(scenario())
    assert projects(settings) == 0
