"""Jobs never get stuck: leases with a heartbeat, cancels that always clear, limits that hold under races,
and no work files left behind by a killed process.

Everything is real: the SQLite database, the in-process runner and its heartbeat thread, renders, a
second ``Repository`` on the same file standing in for another process, and the ``reelwright`` CLI.
"""

import asyncio
import getpass
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import REELWRIGHT

from reelwright.bot.service import ConversationService
from reelwright.errors import BadRequest, Busy, Cancelled
from reelwright.generation.compose import partial_path
from reelwright.records import UserRef
from reelwright.settings import Settings
from reelwright.storage.db import open_database
from reelwright.storage.models import utcnow
from reelwright.storage.repository import Repository

ANN = UserRef("test", "ann", "Ann")
BEN = UserRef("test", "ben", "Ben")


def rows(settings: Settings, sql: str) -> list[tuple]:
    with sqlite3.connect(settings.data_dir / "reelwright.db") as connection:
        return connection.execute(sql).fetchall()


def other_process(settings: Settings) -> Repository:
    """The database as another process (a worker on another host, a second CLI) sees it."""
    return Repository(open_database(settings.resolved_database_url))


def stuck_job(repository: Repository, project_id: str, user: UserRef, worker: str, lease_s: float) -> int:
    """A job row as a worker leaves it: claimed, running, with a lease that lasts ``lease_s`` (negative: run out)."""
    job = repository.admit_job(project_id, 1, user, per_user=10, queue_limit=100)
    assert repository.claim_job(worker, 60, only={job}) is not None
    repository.update_job(job, stage="rendering", lease_expires_at=utcnow() + timedelta(seconds=lease_s))
    return job


def plan(settings: Settings, request: str = "a 2 second video of a kite, no narration", user: UserRef = ANN) -> str:
    async def make() -> str:
        service = ConversationService(settings)
        try:
            return (await service.plan(user, request)).project_id
        finally:
            await service.close()

    return asyncio.run(make())


def test_a_job_whose_lease_ran_out_is_taken_over_and_finished_by_the_next_runner(settings: Settings) -> None:
    project = plan(settings)
    elsewhere = other_process(settings)
    on_another_host = stuck_job(elsewhere, project, ANN, "gpu-box-7:4242", lease_s=-1)
    pid_now_someone_elses = stuck_job(elsewhere, project, BEN, f"{socket.gethostname()}:{os.getppid()}", lease_s=-1)

    async def scenario() -> None:
        service = ConversationService(settings, serve=True)  # a serving runner takes every waiting job
        try:
            for job_id in (on_another_host, pid_now_someone_elses):
                await (await service.follow_job(job_id)).result()
        finally:
            await service.close()

    asyncio.run(scenario())
    ended = {job_id: (status, attempts) for job_id, status, attempts in rows(settings, "select id, status, attempts from jobs")}
    assert ended[on_another_host] == ended[pid_now_someone_elses] == ("succeeded", 2)
    assert rows(settings, "select status from renders order by id") == [("done",), ("done",)]


def test_a_job_taken_over_later_never_overwrites_a_video_written_at_its_path_since(settings: Settings, tmp_path: Path) -> None:
    project = plan(settings)
    asked_for = tmp_path / "clip.mp4"
    elsewhere = other_process(settings)
    job = elsewhere.admit_job(project, 1, ANN, per_user=10, queue_limit=100, output_path=str(asked_for))
    assert elsewhere.claim_job("laptop:1", -1, only={job}) is not None  # its command was killed mid-render
    asked_for.write_bytes(b"the video made since, by a newer command")

    async def scenario() -> None:
        service = ConversationService(settings, serve=True)
        try:
            await (await service.follow_job(job)).result()
        finally:
            await service.close()

    asyncio.run(scenario())
    assert asked_for.read_bytes() == b"the video made since, by a newer command"
    [(status, output)] = rows(settings, "select jobs.status, renders.output_path from jobs join renders on renders.id = jobs.render_id")
    assert status == "succeeded" and Path(output) == settings.outputs_dir / f"{project}-v1.mp4" and Path(output).stat().st_size > 0


def test_a_job_whose_worker_keeps_dying_fails_after_the_attempt_limit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template", job_max_attempts=2)
    project = plan(settings)
    elsewhere = other_process(settings)
    job = stuck_job(elsewhere, project, ANN, "gpu-box-7:1", lease_s=-1)
    assert [record.status for record in elsewhere.settle_abandoned_jobs()] == ["queued"]  # taken back: attempt 1 of 2
    assert elsewhere.claim_job("gpu-box-8:1", -1, only={job}) is not None  # attempt 2, whose worker dies too

    service = ConversationService(settings)
    asyncio.run(service.close())
    assert rows(settings, "select status, attempts, error from jobs") == [
        ("failed", 2, "Its worker stopped 2 times before it finished (a restart or a crash each time); render it again.")
    ]


def test_the_heartbeat_keeps_a_long_render_alive_past_its_lease(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template", job_lease_s=1.0)
    project = plan(settings, "a 6 second video of waves")

    async def scenario() -> None:
        service = ConversationService(settings)
        try:
            started = time.monotonic()
            handle = await service.render(ANN, project)
            async for event in handle.events():
                if not event.finished:
                    assert await service.sweep() == []  # sweeping while it runs never takes it
            await handle.result()
            assert time.monotonic() - started > settings.job_lease_s * 2  # it outlived its first lease
        finally:
            await service.close()

    asyncio.run(scenario())
    assert rows(settings, "select status from jobs") == [("succeeded",)]


def test_a_render_cancelled_from_another_process_stops_at_the_next_heartbeat(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template", job_lease_s=1.0)
    project = plan(settings, "a 12 second video of a slow river")

    async def scenario() -> str:
        service = ConversationService(settings)
        try:
            handle = await service.render(ANN, project)
            async for event in handle.events():
                if event.stage == "rendering":
                    assert other_process(settings).cancel_jobs(project) == [handle.job_id]
                    break
            with pytest.raises(Cancelled):
                await asyncio.wait_for(handle.result(), timeout=30)
            return "stopped"
        finally:
            await service.close()

    assert asyncio.run(scenario()) == "stopped"
    assert rows(settings, "select status from jobs") == [("cancelled",)]
    assert rows(settings, "select status from renders") == [("failed",)]


def test_two_requests_at_once_cannot_exceed_the_per_user_cap(settings: Settings) -> None:
    project = plan(settings)
    admitted: list[int] = []
    refused: list[str] = []

    def request() -> None:
        try:
            admitted.append(other_process(settings).admit_job(project, 1, ANN, per_user=2, queue_limit=100))
        except BadRequest as error:
            refused.append(str(error))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 2 and len(refused) == 6
    assert all("already have 2" in message for message in refused)


def test_a_full_queue_says_it_is_busy_and_for_about_how_long(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template", max_queued_jobs=2)
    project = plan(settings)
    elsewhere = other_process(settings)
    for worker in ("gpu-1:1", "gpu-2:1"):
        stuck_job(elsewhere, project, BEN, worker, lease_s=600)

    async def scenario() -> str:
        service = ConversationService(settings)
        try:
            with pytest.raises(Busy) as refused:
                await service.render(ANN, project)
            return str(refused.value)
        finally:
            await service.close()

    message = asyncio.run(scenario())
    assert "busy" in message and "try again in ~" in message and "min" in message
    assert rows(settings, "select count(*) from jobs") == [(2,)]  # the refusal queued nothing


def test_reelwright_cancel_clears_jobs_stuck_on_a_worker_that_keeps_its_lease(cli) -> None:
    cli.env["REELWRIGHT_LLM_PROVIDER"] = "template"
    project = cli.ok("plan", "a 2 second video of a lantern, no narration")["project_id"]
    settings = Settings(data_dir=cli.data_dir, llm_provider="template")
    owner = UserRef("cli", getpass.getuser(), getpass.getuser())
    for worker in ("gpu-1:77", "gpu-2:77"):  # hung workers elsewhere, their heartbeats still renewing
        stuck_job(other_process(settings), project, owner, worker, lease_s=600)

    refused = cli("render", project)
    assert refused.code != 0 and "already have 2" in refused.stderr and "reelwright cancel" in refused.stderr

    assert cli.ok("cancel", project) == {"project_id": project, "cancelled": 2}
    assert rows(settings, "select status, lease_expires_at from jobs") == [("cancelled", None)] * 2  # held by nobody now
    assert cli.ok("render", project)["path"].endswith(".mp4")
    unknown = cli("cancel", "ffffffff")
    assert unknown.code == 3 and "No project" in unknown.stderr


def test_a_killed_render_leaves_no_work_files_after_the_next_start(tmp_path: Path) -> None:
    env = {**os.environ, "REELWRIGHT_DATA_DIR": str(tmp_path / "data"), "REELWRIGHT_LLM_PROVIDER": "template"}
    render = subprocess.Popen(
        [*REELWRIGHT, "make", "a 30 second video of a long train journey", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    scratch = tmp_path / "data" / "scratch"
    deadline = time.monotonic() + 120
    while not list(scratch.glob("*/shot-*")) and time.monotonic() < deadline:  # wait until it is writing shots
        time.sleep(0.1)
    assert list(scratch.glob("*/shot-*")), "the render never started writing shots"
    render.send_signal(signal.SIGKILL)
    render.wait(timeout=30)

    settings = Settings(data_dir=tmp_path / "data", llm_provider="template")
    service = ConversationService(settings)  # the next start
    try:
        left = [path for path in scratch.iterdir() if path != service.scratch.path]
        assert left == []
        assert not list((tmp_path / "data" / "outputs").glob(".*.partial"))
        assert rows(settings, "select status, attempts from jobs") == [("queued", 1)]  # its process is gone: back in the queue at once
    finally:
        asyncio.run(service.close())


def test_a_make_stopped_with_sigterm_cancels_its_job_like_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "REELWRIGHT_DATA_DIR": str(tmp_path / "data"), "REELWRIGHT_LLM_PROVIDER": "template"}
    render = subprocess.Popen(
        [*REELWRIGHT, "make", "a 30 second video of a long train journey", "--out", str(tmp_path / "train.mp4")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    scratch = tmp_path / "data" / "scratch"
    deadline = time.monotonic() + 120
    while not list(scratch.glob("*/shot-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    render.send_signal(signal.SIGTERM)
    _, stderr = render.communicate(timeout=60)

    assert render.returncode == 128 + signal.SIGTERM and "stopped" in stderr and "Traceback" not in stderr
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template")
    assert rows(settings, "select status from jobs") == [("cancelled",)]  # nobody renders it later behind the person's back
    assert not (tmp_path / "train.mp4").exists()


def test_a_composing_partial_of_a_live_render_is_kept_and_a_dead_ones_removed(settings: Settings, tmp_path: Path) -> None:
    project = plan(settings)
    elsewhere = other_process(settings)
    chosen = tmp_path / "elsewhere" / "mine.mp4"  # an --out outside the data directory
    chosen.parent.mkdir()
    live_job = stuck_job(elsewhere, project, ANN, "gpu-1:1", lease_s=600)
    live_render = elsewhere.begin_render(project, 1, str(chosen))
    elsewhere.update_job(live_job, render_id=live_render)
    dead_render = elsewhere.begin_render(project, 1, str(chosen))
    elsewhere.fail_render(dead_render)
    live, dead = partial_path(chosen, live_render), partial_path(chosen, dead_render)
    live.write_bytes(b"being written")
    dead.write_bytes(b"left by a kill")

    service = ConversationService(settings)
    asyncio.run(service.close())

    assert live.exists() and not dead.exists()
