"""Throughput of the distributed runner, measured side by side in one run on this machine.

A batch of multi-shot storyboard videos is rendered four ways: by the in-process runner (the embedded
default), and by W = 1, 2 and 4 Celery worker processes over a real ``redis-server``. Prints the
throughput of each, the scaling efficiency against W = 1 (T1 / (W * TW); the target is >= 80 % at
W = 4 given at least 4 free cores — on a 2-core machine expect ~50 % at W = 4, and the ratio says so),
and the overhead the queue adds per job against the in-process runner (Celery W = 1 minus in-process,
per job). Every run starts from an empty data directory, so no clip is reused between runs.
Needs ``redis-server`` (apt-get install redis-server).
Run: ``.venv/bin/python bench/bench_queue.py [--jobs 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reelwright.bot.service import ConversationService
from reelwright.records import UserRef
from reelwright.settings import Settings

REQUEST = "a 6 second video of {subject}, 3 shots, no narration"
SUBJECTS = ["a fox", "an owl", "a whale", "a kite", "a comet", "a lighthouse", "a heron", "a tram", "a glacier", "a bee"]
PEOPLE = [UserRef("bench", f"person-{n}") for n in range(4)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_for(root: Path, broker_url: str | None) -> Settings:
    return Settings(data_dir=root / "data", llm_provider="template", broker_url=broker_url, max_jobs_per_user=100, max_queued_jobs=100)


async def plan_batch(service: ConversationService, jobs: int) -> list[str]:
    return [
        (await service.plan(PEOPLE[n % len(PEOPLE)], REQUEST.format(subject=SUBJECTS[n % len(SUBJECTS)]))).project_id for n in range(jobs)
    ]


async def render_batch(service: ConversationService, projects: list[str]) -> float:
    """Seconds from queueing the first job to the last one finishing."""
    start = time.perf_counter()
    handles = [await service.render(PEOPLE[n % len(PEOPLE)], project) for n, project in enumerate(projects)]
    for handle in handles:
        await handle.result()
    return time.perf_counter() - start


def in_process(root: Path, jobs: int) -> float:
    async def run() -> float:
        service = ConversationService(settings_for(root, None))
        try:
            return await render_batch(service, await plan_batch(service, jobs))
        finally:
            await service.close()

    return asyncio.run(run())


def with_workers(root: Path, jobs: int, workers: int, broker_url: str) -> float:
    settings = settings_for(root, broker_url)
    env = {
        **os.environ,
        "REELWRIGHT_DATA_DIR": str(settings.data_dir),
        "REELWRIGHT_LLM_PROVIDER": "template",
        "REELWRIGHT_BROKER_URL": broker_url,
    }

    async def run() -> float:
        service = ConversationService(settings)
        try:
            projects = await plan_batch(service, jobs)
            processes = [
                subprocess.Popen(
                    [sys.executable, "-m", "reelwright.bot", "worker", "--queues", "cpu"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for _ in range(workers)
            ]
            try:
                await asyncio.sleep(6)  # the workers start (imports, Celery) before the clock starts
                return await render_batch(service, projects)
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    process.wait(timeout=60)
        finally:
            await service.close()

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args()
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    redis = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    broker_url = f"redis://127.0.0.1:{port}/0"
    time.sleep(0.5)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            base = in_process(Path(scratch) / "in-process", args.jobs)
            times = {w: with_workers(Path(scratch) / f"celery-{w}", args.jobs, w, broker_url) for w in (1, 2, 4)}
    finally:
        redis.terminate()
    cores = os.cpu_count() or 1
    print(f"{args.jobs} videos of 3 shots, 6 s each; {cores} CPU cores")
    print(f"in-process runner:  {base:6.1f} s   {args.jobs / base:.3f} videos/s")
    for workers, seconds in times.items():
        efficiency = times[1] / (workers * seconds)
        print(f"Celery, W={workers}:        {seconds:6.1f} s   {args.jobs / seconds:.3f} videos/s   scaling efficiency {efficiency:.0%}")
    print(f"queue overhead per job (Celery W=1 vs in-process): {(times[1] - base) / args.jobs:+.2f} s ({times[1] / base:.2f}x)")
    if cores < 4:
        print(f"note: W=4 on {cores} cores shares them; efficiency above W={cores} measures the machine, not the queue")


if __name__ == "__main__":
    main()
