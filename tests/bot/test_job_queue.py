"""The queue as people meet it: fair order, positions and start estimates, per-server limits, and jobs
queued in one process and rendered from their rows by another (`make --no-wait`, `job --wait`,
`worker`). Real SQLite, real renders, the real CLI."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest
from conftest import REELWRIGHT

from reelwright.bot.jobs import JobEvent, LocalBus, follow
from reelwright.bot.service import ConversationService
from reelwright.bot.terminal_chat import progress_line
from reelwright.errors import Busy
from reelwright.records import Place, UserRef
from reelwright.settings import Settings
from reelwright.storage.db import open_database
from reelwright.storage.repository import Repository

ANN, BEN, CY = UserRef("test", "ann", "Ann"), UserRef("test", "ben", "Ben"), UserRef("test", "cy", "Cy")


def planned(settings: Settings, count: int, place: Place | None = None) -> list[str]:
    async def make() -> list[str]:
        service = ConversationService(settings)
        try:
            return [(await service.plan(ANN, f"a 2 second video of kite {n}, no narration", place=place)).project_id for n in range(count)]
        finally:
            await service.close()

    return asyncio.run(make())


def test_waiting_jobs_run_round_robin_between_people_oldest_first(settings: Settings) -> None:
    (project,) = planned(settings, 1)
    repository = Repository(open_database(settings.resolved_database_url))
    admitted = {
        label: repository.admit_job(project, 1, who, per_user=10, queue_limit=100)
        for label, who in [("ann-1", ANN), ("ann-2", ANN), ("ann-3", ANN), ("ben-1", BEN), ("cy-1", CY), ("ben-2", BEN)]
    }
    expected = ["ann-1", "ben-1", "cy-1", "ann-2", "ben-2", "ann-3"]
    assert [job.id for job in repository.active_jobs()] == [admitted[label] for label in expected]
    assert repository.queue_position(admitted["cy-1"]) == 2

    taken = [repository.claim_job(f"gpu-{n}:1", 60) for n in range(len(expected))]
    assert [job.id for job in taken if job] == [admitted[label] for label in expected]
    assert repository.claim_job("gpu-9:1", 60) is None


def test_a_server_cannot_fill_the_queue_for_everyone(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_provider="template", max_jobs_per_guild=2)
    here, elsewhere = planned(settings, 1, Place("guild-1", "c1")) + planned(settings, 1, Place("guild-2", "c2"))
    repository = Repository(open_database(settings.resolved_database_url))
    for who in (ANN, BEN):
        repository.admit_job(here, 1, who, per_user=5, queue_limit=100, per_guild=2)
    with pytest.raises(Busy, match="This server already has 2 videos"):
        repository.admit_job(here, 1, CY, per_user=5, queue_limit=100, per_guild=2)
    assert repository.admit_job(elsewhere, 1, CY, per_user=5, queue_limit=100, per_guild=2)  # another server is not held up


def test_a_job_queued_without_waiting_is_rendered_later_from_its_row(cli) -> None:
    cli.env["REELWRIGHT_LLM_PROVIDER"] = "template"
    queued = cli.ok("make", "a 2 second video of a paper lantern, no narration", "--no-wait")
    assert queued["status"] == "queued" and queued["queue_position"] == 0
    job_id = str(queued["job_id"])

    listed = cli.ok("queue")["jobs"]
    assert [(job["job_id"], job["status"]) for job in listed] == [(queued["job_id"], "queued")]
    assert cli.ok("job", job_id)["status"] == "queued"  # nobody has run it: this CLI process has ended

    done = cli.ok("job", job_id, "--wait")  # no worker is running: this process renders it
    assert (done["status"], done["attempts"]) == ("succeeded", 1)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", done["path"]], capture_output=True, text=True)
    assert json.loads(probe.stdout)["streams"][0]["codec_name"] == "h264"
    assert cli.ok("queue")["jobs"] == []


def test_an_embedded_worker_renders_what_other_processes_queued(cli) -> None:
    cli.env["REELWRIGHT_LLM_PROVIDER"] = "template"
    jobs = [str(cli.ok("make", f"a 2 second video of boat {n}, no narration", "--no-wait")["job_id"]) for n in range(2)]
    worker = subprocess.Popen([*REELWRIGHT, "worker", "--concurrency", "2"], env=cli.env, stderr=subprocess.PIPE, text=True)
    try:
        finished = [cli.ok("job", job_id, "--wait") for job_id in jobs]  # they follow; the worker renders
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert [job["status"] for job in finished] == ["succeeded", "succeeded"]
    assert worker.returncode == 0


def test_a_queued_job_says_about_when_it_starts(cli) -> None:
    cli.env["REELWRIGHT_LLM_PROVIDER"] = "template"
    project = cli.ok("plan", "a 2 second video of a lantern, no narration")["project_id"]
    settings = Settings(data_dir=cli.data_dir, llm_provider="template")
    repository = Repository(open_database(settings.resolved_database_url))
    for worker in ("gpu-1:1", "gpu-2:1"):  # two renders running elsewhere
        job = repository.admit_job(project, 1, BEN, per_user=5, queue_limit=100)
        repository.claim_job(worker, 600, only={job})
    waiting = repository.admit_job(project, 1, ANN, per_user=5, queue_limit=100)

    (entry,) = [job for job in cli.ok("queue")["jobs"] if job["job_id"] == waiting]
    assert entry["queue_position"] == 2 and entry["starts_in_s"] == pytest.approx(60.0)  # 2 ahead, 2 at a time, ~60 s each


def test_a_waiting_job_hears_its_place_move_up_as_the_jobs_ahead_end(settings: Settings) -> None:
    (project,) = planned(settings, 1)
    repository = Repository(open_database(settings.resolved_database_url))
    ahead = [repository.admit_job(project, 1, who, per_user=10, queue_limit=100) for who in (ANN, BEN)]
    mine = repository.admit_job(project, 1, CY, per_user=10, queue_limit=100)
    ending = [*ahead, mine]  # nobody publishes a place: it moves when the jobs ahead end

    async def scenario() -> list[tuple[str, int | None]]:
        heard = []
        async for event in follow(mine, LocalBus(), repository, poll_s=0.05):
            heard.append((event.status, event.queue_position))
            if ending:
                await asyncio.to_thread(repository.cancel_jobs, None, [ending.pop(0)])
        return heard

    assert asyncio.run(scenario()) == [("queued", 2), ("queued", 1), ("queued", 0), ("cancelled", None)]


def test_the_terminal_says_how_many_go_first_and_about_when_it_starts() -> None:
    waiting = JobEvent(7, "queued", "queued", 0.0, queue_position=3, starts_in_s=150.0)
    assert progress_line(waiting) == "waiting: 3 ahead, starts in ~3 min"
    assert progress_line(JobEvent(7, "running", "shots", 0.4, "shot 2/5")) == "shots shot 2/5"
