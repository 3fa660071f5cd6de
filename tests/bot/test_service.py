"""The conversation service: never blocks its caller's loop, cancels cleanly, recovers after a crash."""

import asyncio
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelwright.access import Action, Viewer
from reelwright.bot.service import ConversationService
from reelwright.errors import BadRequest, Cancelled, Conflict, NotFound
from reelwright.generation.video_io import read_frames
from reelwright.records import UserRef, VersionRecord
from reelwright.settings import Settings

USER = UserRef("test", "alice", "Alice")


def rows(settings: Settings, sql: str) -> list[tuple]:
    with sqlite3.connect(settings.data_dir / "reelwright.db") as connection:
        return connection.execute(sql).fetchall()


def test_the_event_loop_keeps_running_while_a_render_runs(settings: Settings) -> None:
    async def scenario() -> tuple[int, int]:
        service = ConversationService(settings)
        version = await service.plan(USER, "a 4 second video of a lighthouse at night")
        ticks = 0
        handle = await service.render(USER, version.project_id)
        events = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        beat = asyncio.create_task(ticker())
        async for _ in handle.events():
            events += 1
        await handle.result()
        beat.cancel()
        await service.close()
        return ticks, events

    ticks, events = asyncio.run(scenario())
    assert events > 5
    assert ticks > 20  # the loop was free to run the ticker all through the render


def test_a_cancelled_job_leaves_no_file_and_its_render_id_is_kept_as_failed(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "cancelled.mp4"

    async def scenario() -> str:
        service = ConversationService(settings)
        version = await service.plan(USER, "a 6 second video of waves")
        handle = await service.render(USER, version.project_id, out=out)
        async for event in handle.events():
            if event.stage == "rendering":
                await service.cancel(handle.job_id)
        try:
            await handle.result()
        except Cancelled:
            return "cancelled"
        finally:
            await service.close()
        return "finished"

    assert asyncio.run(scenario()) == "cancelled"
    assert not out.exists()
    assert rows(settings, "select status from jobs") == [("cancelled",)]
    assert rows(settings, "select status, output_path from renders") == [("failed", str(out))]  # where it was going, for cleanup


def test_jobs_interrupted_by_a_crash_go_back_to_the_queue_on_the_next_start(settings: Settings) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()

    async def crashed_and_live_jobs() -> None:
        service = ConversationService(settings)
        version = await service.plan(USER, "a 4 second video of a cat")
        crashed = admit(service, version.project_id)
        assert service.repository.claim_job(f"{socket.gethostname()}:{gone}", 60, only={crashed}) is not None
        service.repository.update_job(crashed, render_id=service.repository.begin_render(version.project_id, 1))
        admit(service, version.project_id)  # waiting for a runner: e.g. queued by a bot beside this CLI
        await service.close()

    asyncio.run(crashed_and_live_jobs())
    ConversationService(settings)  # a restart
    (crashed, waiting) = rows(settings, "select status, stage, attempts from jobs order by id")
    assert crashed == ("queued", "queued", 1) and waiting == ("queued", "queued", 0)  # the next runner takes it over
    assert rows(settings, "select status from renders") == [("failed",)]  # its half-made render is not reused


def admit(service: ConversationService, project_id: str, user: UserRef = USER) -> int:
    return service.repository.admit_job(project_id, 1, user, per_user=10, queue_limit=100)


def test_an_image_is_brought_to_life_in_every_shot(settings: Settings, tmp_path: Path) -> None:
    picture = tmp_path / "sunset.jpg"
    gradient = np.linspace(0, 255, 400, dtype=np.uint8)
    Image.fromarray(
        np.stack([np.full((300, 400), 230, np.uint8), np.tile(gradient, (300, 1)), np.full((300, 400), 40, np.uint8)], -1)
    ).save(picture)

    async def scenario():
        service = ConversationService(settings)
        version = await service.plan(USER, "animate my photo, 4 seconds, no narration", image=picture, consent=True)
        handle = await service.render(USER, version.project_id)
        outcome = await handle.result()
        await service.close()
        return version, outcome

    version, outcome = asyncio.run(scenario())
    assert all(shot.source_image for shot in version.plan.shots)
    frames = list(read_frames(outcome.path))
    first, last = frames[0].astype(float), frames[-1].astype(float)
    assert abs(first[..., 0].mean() - 230) < 25  # the picture's red channel, not a painted scene
    assert np.abs(first - last).mean() > 1  # and it moves


@pytest.mark.parametrize("instruction", ["make shot 9 darker"])
def test_an_edit_that_fails_adds_no_version(settings: Settings, instruction: str) -> None:
    async def scenario() -> None:
        service = ConversationService(settings)
        version = await service.plan(USER, "a 4 second video of a cat")
        with pytest.raises(Exception, match="no shot 9"):
            await service.edit(USER, version.project_id, instruction)
        await service.close()

    asyncio.run(scenario())
    assert rows(settings, "select count(*) from plan_versions") == [(1,)]


def test_a_person_cannot_queue_more_renders_than_their_limit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template", max_jobs_per_user=1)

    async def scenario() -> str:
        service = ConversationService(settings)
        version = await service.plan(USER, "a 4 second video of a kite")
        first = await service.render(USER, version.project_id)
        try:
            await service.render(USER, version.project_id)
        except Exception as refused:
            message = str(refused)
        else:
            message = ""
        await service.cancel(first.job_id)
        await service.close()
        return message

    assert "already have 1 video" in asyncio.run(scenario())


def test_a_refused_turn_leaves_no_conversation_and_no_messages(settings: Settings) -> None:
    async def scenario() -> tuple[int, list[tuple[str, str]], str]:
        service = ConversationService(settings)
        try:
            with pytest.raises(BadRequest):
                await service.converse(UserRef("discord", "7", "ann"), "a 10 hour video of rain", surface="discord")
            turn = await service.converse(UserRef("discord", "7", "ann"), "a 4 second video of rain", surface="discord")
            return turn.conversation_id, await service.transcript(turn.conversation_id), turn.text
        finally:
            await service.close()

    conversation, transcript, reply = asyncio.run(scenario())
    assert conversation == 1  # the refused turn started no conversation
    assert transcript == [("user", "a 4 second video of rain"), ("assistant", reply)]


def test_render_ids_are_never_given_twice_even_after_a_failed_render(settings: Settings) -> None:
    async def scenario() -> tuple[int, int]:
        service = ConversationService(settings)
        try:
            version = await service.plan(USER, "a 2 second video of a kite")
            failed = service.repository.begin_render(version.project_id, 1)
            service.repository.fail_render(failed)
            outcome = await (await service.render(USER, version.project_id)).result()
            return failed, outcome.render_id
        finally:
            await service.close()

    failed, finished = asyncio.run(scenario())
    assert finished != failed
    assert rows(settings, "select id, status from renders order by id") == [(failed, "failed"), (finished, "done")]


def test_edits_made_at_the_same_moment_all_land_and_none_undoes_another(settings: Settings) -> None:
    instructions = ["make it 9:16", "make shot 1 darker", "no narration", "make shot 2 brighter"]

    async def scenario() -> VersionRecord:
        service = ConversationService(settings)
        try:
            version = await service.plan(USER, "a 6 second video of a harbour at night, 2 shots")
            await asyncio.gather(*(service.edit(USER, version.project_id, instruction) for instruction in instructions))
            return (await service.show(version.project_id))[1]
        finally:
            await service.close()

    latest = asyncio.run(scenario())
    assert latest.number == 1 + len(instructions)
    plan = latest.plan
    assert plan.aspect == "9:16" and not plan.narration
    assert plan.shots[0].grade.brightness < 0 < plan.shots[1].grade.brightness


def test_a_change_made_from_an_old_version_is_refused_and_writes_nothing(settings: Settings) -> None:
    async def scenario() -> VersionRecord:
        service = ConversationService(settings)
        try:
            first = await service.plan(USER, "a 4 second video of a cat")
            await service.edit(USER, first.project_id, "make it 1:1")
            project = await service.project(first.project_id)
            with pytest.raises(Conflict, match="at version 2"):
                service.repository.add_version(
                    first.project_id, first.plan, "stale", ["x"], project.requirements, first.planner, based_on=1
                )
            return (await service.show(first.project_id))[1]
        finally:
            await service.close()

    assert asyncio.run(scenario()).number == 2


@pytest.mark.parametrize("typed", ["**everyone** <@123>", "`x`", "deadbeef0"])
def test_a_project_id_that_names_nothing_is_never_echoed(settings: Settings, typed: str) -> None:
    async def scenario() -> str:
        service = ConversationService(settings)
        try:
            with pytest.raises(NotFound) as refused:
                await service.authorize(typed, Viewer(USER), Action.VIEW)
            return str(refused.value)
        finally:
            await service.close()

    message = asyncio.run(scenario())
    assert message == "No project with that id that you can see; /history lists yours."
