"""Distributed rendering: jobs queued in one process run on Celery workers in others, over a real Redis.

Everything is real: Debian's ``redis-server`` (started here; ``.ci/run`` installs it), ``reelwright
worker`` processes (Celery, solo pool), the SQLite database they share, and kill -9 in the middle of
renders. The claim on the job row, the lease and the workers' sweep make every job finish exactly
once however often its worker dies.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from celery_world import Deployment

from reelwright.bot.render_service import RenderOutcome
from reelwright.bot.service import ConversationService
from reelwright.records import UserRef

ANN = UserRef("test", "ann", "Ann")
BEN = UserRef("test", "ben", "Ben")


async def planned(service: ConversationService, user: UserRef, subject: str, seconds: int = 3) -> str:
    return (await service.plan(user, f"a {seconds} second video of {subject}, no narration")).project_id


def test_a_job_queued_here_renders_on_a_worker_process_and_its_progress_arrives_over_redis(deployment: Deployment) -> None:
    worker = deployment.start_worker()

    async def scenario() -> tuple[list[str], Path, int]:
        service = ConversationService(deployment.settings)
        try:
            handle = await service.render(ANN, await planned(service, ANN, "a lighthouse"))
            stages = [event.stage async for event in handle.events()]
            outcome = await handle.result()
            return stages, outcome.path, handle.job_id
        finally:
            await service.close()

    stages, path, job_id = asyncio.run(scenario())
    assert {"rendering", "composing"} <= set(stages) and stages[-1] == "succeeded"
    assert path.is_file() and path.stat().st_size > 10_000
    assert deployment.rows(f"select worker, attempts from jobs where id = {job_id}") == [(f"{socket.gethostname()}:{worker.pid}", 1)]


def test_killing_workers_mid_render_loses_no_job_and_runs_each_exactly_once(deployment: Deployment) -> None:
    deployment.start_worker()
    deployment.start_worker()

    async def queue_jobs() -> list[int]:
        service = ConversationService(deployment.settings)
        try:
            subjects = ["a fox", "an owl", "a bee", "a kite", "a comet", "a whale"]
            return [
                (await service.render(user, await planned(service, user, subject, 4))).job_id
                for subject, user in zip(subjects, [ANN, BEN] * 3, strict=True)
            ]
        finally:
            await service.close()

    jobs = asyncio.run(queue_jobs())
    killed: set[int] = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        states = dict(deployment.rows("select id, status from jobs"))
        if all(states[job] in ("succeeded", "failed", "cancelled") for job in jobs):
            break
        # Mid-render: making the shots, the sound or the file (a short draft spends little of it on shots alone).
        running = deployment.rows("select worker from jobs where status = 'running' and stage in ('rendering', 'sound', 'composing')")
        if len(killed) < 3 and running:
            pid = int(running[0][0].rpartition(":")[2])
            if pid not in killed:
                os.kill(pid, signal.SIGKILL)  # mid-render, no warning: its job's lease and claim must carry it
                killed.add(pid)
                deployment.start_worker()
        time.sleep(0.2)

    assert len(killed) == 3
    finished = deployment.rows("select id, status, attempts from jobs order by id")
    assert [(job_id, status) for job_id, status, _ in finished] == [(job, "succeeded") for job in jobs]
    assert sum(attempts for _, _, attempts in finished) >= len(jobs) + 3  # each kill cost one job an attempt
    done_per_job = deployment.rows(
        "select jobs.id, count(renders.id) from jobs join renders on renders.project_id = jobs.project_id "
        "and renders.status = 'done' group by jobs.id order by jobs.id"
    )
    assert done_per_job == [(job, 1) for job in jobs]  # one finished video per job: never made twice


def test_a_cancel_from_another_machine_stops_the_worker_at_its_next_heartbeat(deployment: Deployment) -> None:
    deployment.start_worker()

    async def scenario() -> str:
        service = ConversationService(deployment.settings)
        try:
            project = await planned(service, ANN, "a slow river", 12)
            handle = await service.render(ANN, project)
            async for event in handle.events():
                if event.stage == "rendering":
                    assert await service.cancel_project(project) == 1
                    break
            started = time.monotonic()
            async for event in handle.events():
                last = event
            assert time.monotonic() - started < deployment.settings.job_lease_s * 3
            return last.status
        finally:
            await service.close()

    assert asyncio.run(scenario()) == "cancelled"
    deadline = time.monotonic() + 10
    while deployment.rows("select status from renders") != [("failed",)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert deployment.rows("select status from renders") == [("failed",)]  # the worker stopped composing it


def test_the_shots_of_one_video_render_on_several_workers_at_once_each_once(deployment: Deployment) -> None:
    for _ in range(3):
        deployment.start_worker()

    async def scenario() -> tuple[str, int]:
        service = ConversationService(deployment.settings)
        try:
            version = await service.plan(ANN, "a 12 second video of a harbour waking up, 4 shots, no narration")
            outcome = await (await service.render(ANN, version.project_id)).result()
            return str(outcome.path), len(outcome.rerendered)
        finally:
            await service.close()

    path, rerendered = asyncio.run(scenario())
    assert Path(path).is_file() and rerendered == 4
    made = {log.name: log.read_text().count("rendered shot") for log in deployment.root.glob("worker-*.log")}
    assert sum(made.values()) == 4  # every shot made once, by whoever took it first
    assert sum(1 for count in made.values() if count) >= 2, made  # and not all by the worker holding the job


def test_workers_on_other_machines_share_clips_and_videos_through_the_artifact_store(tmp_path: Path, redis_url: str) -> None:
    deployment = Deployment(tmp_path, redis_url, machines=True)
    try:
        deployment.start_worker()
        deployment.start_worker()

        async def scenario() -> RenderOutcome:
            service = ConversationService(deployment.settings)
            try:
                version = await service.plan(ANN, "a 9 second video of a glacier, 3 shots, no narration")
                handle = await service.render(ANN, version.project_id)
                done = await handle.result()
                done.path.unlink()  # the worker's disk is not this machine's: the video comes from the store
                return await service.outcome(handle.job_id)
            finally:
                await service.close()

        outcome = asyncio.run(scenario())
    finally:
        deployment.stop_all()
    assert outcome.path.is_file() and outcome.path.is_relative_to(deployment.settings.data_dir)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-of", "json", str(outcome.path)], capture_output=True, text=True
    )
    assert int(json.loads(probe.stdout)["streams"][0]["nb_read_frames"]) == 9 * 24
    made = [log.read_text().count("rendered shot") for log in tmp_path.glob("worker-*.log")]
    assert sorted(made) != [0, 3]  # both machines made shots: the one composing fetched the other's clips from the bucket
    assert len(list((tmp_path / "bucket").rglob("*.mp4"))) == 4  # three shot clips and the video


def test_a_worker_stopped_gracefully_gives_its_job_back_for_another_to_finish(deployment: Deployment) -> None:
    first = deployment.start_worker()

    async def scenario() -> tuple[str, int]:
        service = ConversationService(deployment.settings)
        try:
            handle = await service.render(ANN, await planned(service, ANN, "a slow river", 12))
            async for event in handle.events():
                if event.stage == "rendering":
                    first.send_signal(signal.SIGTERM)  # a service manager stopping it: a warm shutdown
                    break
            await asyncio.to_thread(first.wait, 60)
            ((status, attempts),) = deployment.rows(f"select status, attempts from jobs where id = {handle.job_id}")
            assert (status, attempts) == ("queued", 0)  # given back at once, the attempt not counted
            deployment.start_worker()
            outcome = await handle.result()
            return str(outcome.path), first.returncode
        finally:
            await service.close()

    path, code = asyncio.run(scenario())
    assert Path(path).is_file() and code == 0
