"""A finished sound: narration over music and ambience, mixed to -16 LUFS in stereo; sound edits only re-mix;
voices are cast by language and gender from what is installed; a cloned voice is its owner's alone."""

import asyncio
import sqlite3
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import ffprobe

from reelwright.bot.render_service import RenderOutcome
from reelwright.bot.service import ConversationService
from reelwright.errors import BadRequest, ConsentNeeded, NotAllowed
from reelwright.generation.mix import MIX_RATE, TARGET_LUFS, measure
from reelwright.records import UserRef, VersionRecord
from reelwright.settings import Settings

ALICE = UserRef("test", "alice", "Alice")
BOB = UserRef("test", "bob", "Bob")


def cached_stems(settings: Settings) -> int:
    with sqlite3.connect(settings.data_dir / "reelwright.db") as connection:
        return connection.execute("SELECT count(*) FROM cached_clips").fetchone()[0]


def decoded_audio(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray() for frame in container.decode(stream)]
        return np.concatenate(chunks, axis=1), stream.sample_rate


async def make_and_render(service: ConversationService, request: str) -> tuple[VersionRecord, RenderOutcome]:
    version = await service.plan(ALICE, request)
    return version, await (await service.render(ALICE, version.project_id)).result()


@pytest.fixture(scope="module")
def scored(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Settings, VersionRecord, RenderOutcome, VersionRecord, RenderOutcome, int, int]:
    """A narrated video with music and rain, then "make the music quieter", with the stems cached before and after."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), llm_provider="template")

    async def scenario():
        service = ConversationService(settings)
        try:
            first, made = await make_and_render(
                service, "a 6 second video of a rainy street at night with calm piano music and the sound of rain"
            )
            before = cached_stems(settings)
            quieter = await service.edit(ALICE, first.project_id, "make the music quieter")
            remixed = await (await service.render(ALICE, first.project_id)).result()
            return first, made, quieter, remixed, before, cached_stems(settings)
        finally:
            await service.close()

    return settings, *asyncio.run(scenario())


def test_the_cut_has_stereo_sound_as_long_as_its_pictures(scored) -> None:
    _, _, made, *_ = scored
    streams = {stream["codec_type"]: stream for stream in ffprobe(made.path)["streams"]}
    audio, video = streams["audio"], streams["video"]
    assert (audio["codec_name"], audio["channels"], int(audio["sample_rate"])) == ("aac", 2, MIX_RATE)
    assert abs(float(audio["duration"]) - float(video["duration"])) < 0.05


def test_the_mix_is_at_the_loudness_target_without_clipping(scored) -> None:
    _, _, made, *_ = scored
    samples, rate = decoded_audio(made.path)
    loudness = measure(samples, rate)
    assert abs(loudness.integrated_lufs - TARGET_LUFS) <= 1.0
    assert np.abs(samples).max() < 1.0


def test_the_music_plays_under_the_whole_cut_and_not_only_under_speech(scored) -> None:
    _, _, made, *_ = scored
    samples, rate = decoded_audio(made.path)
    tail = samples[:, -int(1.5 * rate) : -int(0.8 * rate)]  # after the last line, before the music fades out
    assert 20 * np.log10(np.sqrt(np.mean(tail**2)) + 1e-9) > -45


def test_make_the_music_quieter_remixes_without_rerendering_a_shot_or_respeaking_a_line(scored) -> None:
    _, _, made, quieter, remixed, before, after = scored
    assert quieter.plan.music is not None and quieter.plan.music.volume_db == -6
    assert remixed.rerendered == [] and after == before  # every clip and every stem came from the cache
    assert made.path != remixed.path or made.render_id != remixed.render_id


def test_a_video_with_nothing_to_hear_has_no_audio_track(settings: Settings) -> None:
    async def scenario() -> RenderOutcome:
        service = ConversationService(settings)
        try:
            return (await make_and_render(service, "a 3 second video of a candle, no narration"))[1]
        finally:
            await service.close()

    outcome = asyncio.run(scenario())
    assert [s["codec_type"] for s in ffprobe(outcome.path)["streams"]] == ["video"]


def test_a_female_voice_with_none_installed_pitches_the_default_voice_and_says_so(settings: Settings) -> None:
    async def scenario() -> VersionRecord:
        service = ConversationService(settings)
        try:
            return await service.plan(ALICE, "a 4 second video about bread with a female voice")
        finally:
            await service.close()

    version = asyncio.run(scenario())
    assert version.plan.voice.gender == "female"
    assert version.planner.voice_note and "No female voice is installed" in version.planner.voice_note
    assert "reelwright voices pull" in version.planner.voice_note


def test_a_language_no_installed_voice_speaks_is_captioned_and_the_note_says_what_to_pull(settings: Settings) -> None:
    async def scenario() -> tuple[VersionRecord, RenderOutcome]:
        service = ConversationService(settings)
        try:
            return await make_and_render(service, "a 4 second video about the sea narrated in Japanese")
        finally:
            await service.close()

    version, outcome = asyncio.run(scenario())
    assert version.plan.language == "ja" and version.plan.narration
    assert version.planner.voice_note and "captions only" in version.planner.voice_note and "voices pull" in version.planner.voice_note
    assert [s["codec_type"] for s in ffprobe(outcome.path)["streams"]] == ["video"]


def voice_recording(path: Path, seconds: float, level: float = 0.3) -> Path:
    """A voice-like recording: a 140 Hz buzz through a vowel formant, with syllable-rate loudness changes."""
    rate = 22050
    t = np.arange(int(seconds * rate)) / rate
    buzz = np.sign(np.sin(2 * np.pi * 140 * t)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2)
    vowel = np.convolve(buzz, np.hanning(40) * np.sin(2 * np.pi * 700 * np.arange(40) / rate), mode="same")
    samples = (vowel / np.abs(vowel).max() * level * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.tobytes())
    return path


def artifact_files(settings: Settings) -> set[Path]:
    return {path for path in settings.artifacts_dir.rglob("*") if path.is_file()}


def test_a_cloned_voice_is_stored_only_after_confirmation_and_deleting_it_erases_the_recording(settings: Settings, tmp_path: Path) -> None:
    sample = voice_recording(tmp_path / "me.wav", 6.0)

    async def scenario():
        service = ConversationService(settings)
        try:
            with pytest.raises(ConsentNeeded):
                await service.clone_voice(ALICE, "me", sample, confirmed=False)
            unconfirmed = artifact_files(settings)
            record = await service.clone_voice(ALICE, "me", sample, confirmed=True)
            stored = artifact_files(settings)
            assert [voice.name for voice in await service.cloned_voices(ALICE)] == ["me"]
            assert await service.cloned_voices(BOB) == []
            deleted = await service.delete_voice(ALICE, "me")
            return unconfirmed, record, stored, deleted, artifact_files(settings)
        finally:
            await service.close()

    unconfirmed, record, stored, deleted, after = asyncio.run(scenario())
    assert unconfirmed == set() and len(stored) == 1 and abs(record.sample_seconds - 6.0) < 0.1
    assert deleted.name == "me" and after == set()


@pytest.mark.parametrize(
    ("seconds", "level", "message"), [(1.5, 0.3, "at least 3 seconds"), (5.0, 0.0, "silent"), (70.0, 0.3, "60 seconds at most")]
)
def test_an_unusable_recording_is_refused_with_what_to_record_and_nothing_is_kept(
    settings: Settings, tmp_path: Path, seconds: float, level: float, message: str
) -> None:
    sample = voice_recording(tmp_path / "sample.wav", seconds, level)

    async def scenario() -> None:
        service = ConversationService(settings)
        try:
            await service.clone_voice(ALICE, "me", sample, confirmed=True)
        finally:
            await service.close()

    with pytest.raises(BadRequest, match=message):
        asyncio.run(scenario())
    assert artifact_files(settings) == set()


def test_a_file_that_is_not_audio_is_refused(settings: Settings, tmp_path: Path) -> None:
    fake = tmp_path / "voice.wav"
    fake.write_text("not audio at all")

    async def scenario() -> None:
        service = ConversationService(settings)
        try:
            await service.clone_voice(ALICE, "me", fake, confirmed=True)
        finally:
            await service.close()

    with pytest.raises(BadRequest, match="not audio"):
        asyncio.run(scenario())


def test_my_voice_means_the_askers_own_clone_and_narrates_only_their_projects(settings: Settings, tmp_path: Path) -> None:
    sample = voice_recording(tmp_path / "me.wav", 6.0)

    async def scenario():
        service = ConversationService(settings)
        try:
            with pytest.raises(BadRequest, match="no cloned voice yet"):
                await service.plan(ALICE, "a 4 second video about my garden in my voice")
            await service.clone_voice(ALICE, "garden-voice", sample, confirmed=True)
            mine = await service.plan(ALICE, "a 4 second video about my garden in my voice")
            await service.share(mine.project_id, BOB)
            with pytest.raises(NotAllowed, match="only its owner's projects"):
                await service.edit(BOB, mine.project_id, "use my voice")
            shared_edit = await service.edit(BOB, mine.project_id, "make shot 1 darker")  # sharing still lets Bob edit
            sample_two = voice_recording(tmp_path / "two.wav", 5.0)
            await service.clone_voice(ALICE, "second", sample_two, confirmed=True)
            owner_edit = await service.edit(ALICE, mine.project_id, "make shot 1 brighter")  # her voice stays chosen
            assert shared_edit.plan.voice.name == owner_edit.plan.voice.name == "clone:garden-voice"
            outcome = await (await service.render(BOB, mine.project_id)).result()
            return mine, outcome
        finally:
            await service.close()

    mine, outcome = asyncio.run(scenario())
    assert mine.plan.voice.name == "clone:garden-voice"
    # Nothing here can clone (no XTTS-v2 installed): the default voice narrates, and the note says how to get one.
    assert mine.planner.voice_note and "voices pull xtts-v2" in mine.planner.voice_note
    assert "audio" in [s["codec_type"] for s in ffprobe(outcome.path)["streams"]]


def test_a_diffusers_audio_model_folder_makes_the_music_of_a_render(tmp_path: Path) -> None:
    """REELWRIGHT_MUSIC_MODEL with a Stable Audio folder (tiny random weights, loaded like real ones)."""
    from audio_model_fixtures import stable_audio

    folder = stable_audio(tmp_path / "stable-audio")
    settings = Settings(
        data_dir=tmp_path / "data", llm_provider="template", music_model=str(folder), backend_options={"diffusers-audio": {"steps": 2}}
    )

    async def scenario() -> RenderOutcome:
        service = ConversationService(settings)
        try:
            return (await make_and_render(service, "a 3 second video of a harbour with calm music, no narration"))[1]
        finally:
            await service.close()

    outcome = asyncio.run(scenario())
    samples, _ = decoded_audio(outcome.path)
    assert np.sqrt(np.mean(samples**2)) > 1e-3  # the model's (random) sound is there, mixed and mastered
    assert np.abs(samples).max() < 1.0  # random weights make a spiky 2 kHz noise: the limiter, not the loudness target, decides its level
