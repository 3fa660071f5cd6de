"""Distributed rendering: Celery workers with a Redis broker, over the same job rows as the embedded runner.

``REELWRIGHT_BROKER_URL`` (a Redis URL) turns it on. Chat surfaces queue a job row and send a task
naming it to the job's queue (``gpu`` or ``cpu``); ``reelwright worker`` runs Celery workers on any
machine that reaches the database, the artifact store and Redis. A task claims a job from its row
(never twice at once), runs it with ``JobExecutor`` (lease heartbeat, cancel, progress) and
publishes progress over Redis pub/sub, which followers hear without polling the database.

The shots of one video fan out (``bot/fan_out.py``): the worker holding the job asks others, one
task per shot still to make, and joins their clips before composing.

Crashes: tasks are acknowledged late and rejected when their worker is lost, so Redis hands them to
another worker; a killed worker's job is taken over once its lease runs out (each worker sweeps for
such jobs and re-sends their task). A task that cannot reach the database retries with backoff.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis
from celery import Celery, Task
from celery.signals import worker_ready, worker_shutting_down
from kombu.exceptions import OperationalError

from reelwright.bot.fan_out import ShotLocks
from reelwright.bot.jobs import BEATS_PER_LEASE, JobEvent, JobExecutor, Subscription
from reelwright.bot.render_service import RenderService
from reelwright.errors import StorageError
from reelwright.generation.keys import watermark_key
from reelwright.generation.watermark import Watermarker
from reelwright.records import JobRecord
from reelwright.settings import Settings
from reelwright.storage.artifacts import ArtifactStore, sweep_private
from reelwright.storage.db import open_database, safe_url
from reelwright.storage.repository import Repository
from reelwright.storage.scratch import ScratchSpace

log = logging.getLogger(__name__)

RENDER_TASK = "reelwright.render"
HELP_TASK = "reelwright.help"
QUEUES = ("gpu", "cpu")
#: A task whose worker vanished is handed out again after this long (a kill -9 is noticed sooner, on reject).
VISIBILITY_TIMEOUT_S = 6 * 3600
MAX_TASK_RETRIES = 8
#: Sending a task waits about 3 s for an unreachable broker, then the request is refused (never left unsent).
PUBLISH_RETRY = {"max_retries": 3, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 1.0}


class BrokerUnavailable(StorageError):
    chat_message = "Reelwright's render queue is not reachable right now; try again in a few minutes (the operator has the details)."


def channel_of(job_id: int) -> str:
    return f"reelwright:job:{job_id}"


class _RedisSubscription:
    def __init__(self, pubsub: Any) -> None:
        self.pubsub = pubsub

    async def next(self, timeout_s: float) -> JobEvent | None:
        message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout_s)
        if message is None or message.get("type") != "message":
            return None
        return JobEvent(**json.loads(message["data"]))


class RedisBus:
    """Job events over Redis pub/sub: workers on any machine publish, the bot and the CLI hear."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = redis.Redis.from_url(url)

    def publish(self, event: JobEvent) -> None:
        try:
            self._client.publish(channel_of(event.job_id), json.dumps(event.as_dict()))
        except redis.RedisError as error:  # progress is a courtesy: followers read the row when the bus is quiet
            log.warning("could not publish progress of job %s: %s", event.job_id, error)

    @asynccontextmanager
    async def subscribe(self, job_id: int) -> AsyncIterator[Subscription]:
        client = aioredis.Redis.from_url(self.url)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(channel_of(job_id))
            yield _RedisSubscription(pubsub)
        finally:
            await pubsub.aclose()
            await client.aclose()

    def close(self) -> None:
        self._client.close()


def make_app(settings: Settings) -> Celery:
    if not settings.broker_url:
        raise StorageError("Set REELWRIGHT_BROKER_URL to a Redis URL (redis://host:6379/0) to use Celery workers.")
    app = Celery("reelwright", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue="cpu",
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    app.reelwright_settings = settings

    @worker_ready.connect(weak=False)
    def start_sweeping(**_: object) -> None:
        """Build the runtime now, so an idle worker sweeps too (and the first task starts warm)."""
        runtime(app)

    @worker_shutting_down.connect(weak=False)
    def give_jobs_back(**_: object) -> None:
        """A warm shutdown (SIGTERM): take no new job, and give the held ones back to the queue at their
        next progress step, for another worker to take over."""
        found: WorkerRuntime | None = getattr(app, "reelwright_runtime", None)
        if found is not None:
            found.stopping.set()
            found.executor.stop()

    @app.task(name=RENDER_TASK, bind=True, max_retries=MAX_TASK_RETRIES)
    def render(task: Task, job_id: int, queue: str = "cpu") -> str:
        """Run waiting jobs of ``queue``, fairest first, until none is left (usually just ``job_id``).

        Any task may run any job of its queue: a task lost with a killed worker, or a job put back in
        the queue without a task of its own, is run by whichever task comes next, and the workers'
        sweep tops the broker up so there is a task for every waiting job."""
        ran: list[int] = []
        while True:
            try:
                worker = runtime(app)
                job = None if worker.stopping.is_set() else worker.executor.claim(queues={queue})
            except StorageError as error:
                raise task.retry(exc=error, countdown=min(60, 2 ** (task.request.retries or 0))) from error
            if job is None:
                return f"ran jobs {ran}" if ran else f"nothing waiting (job {job_id} was taken by another)"
            worker.executor.execute(job)
            ran.append(job.id)

    @app.task(name=HELP_TASK)
    def help_with_shots(job_id: int, attempt: int, start: int, queue: str = "cpu") -> str:
        """Render shots of a job another worker holds (the fan-out), then run waiting jobs like any task."""
        worker = runtime(app)
        made = worker.renders.help(job_id, attempt, start)
        while not worker.stopping.is_set() and (job := worker.executor.claim(queues={queue})) is not None:
            worker.executor.execute(job)
        return f"made {made} shot(s) of job {job_id}"

    return app


class CeleryDispatcher:
    """What a chat surface uses in a Celery deployment: send the task, hear progress over Redis."""

    def __init__(self, settings: Settings) -> None:
        self.app = make_app(settings)
        self.bus = RedisBus(settings.broker_url or "")

    def submit(self, job_id: int, queue: str) -> None:
        try:
            self.app.send_task(RENDER_TASK, args=[job_id, queue], queue=queue, retry=True, retry_policy=PUBLISH_RETRY)
        except OperationalError as error:
            raise BrokerUnavailable(f"Cannot reach the job broker at {safe_url(self.bus.url)} ({error}).") from error

    def cancel(self, job_id: int) -> bool:
        return False  # the worker holding it stops at its next heartbeat, when it sees the row ended

    def top_up(self, waiting: dict[str, int]) -> None:
        top_up(self.app, waiting)

    def shutdown(self) -> None:
        self.bus.close()


class CeleryHelpers:
    """Other workers of the job's queue, asked with one task per shot still to make."""

    def __init__(self, app: Celery, locks: ShotLocks) -> None:
        self.app = app
        self.locks = locks

    def ask(self, job: JobRecord, count: int) -> None:
        for start in range(1, count + 1):
            self.app.send_task(HELP_TASK, args=[job.id, job.attempts, start, job.queue], queue=job.queue)


@dataclass
class WorkerRuntime:
    """What one worker process holds: the render service (warm models) and its executor."""

    executor: JobExecutor
    renders: RenderService
    #: Held for the life of the process: its lock keeps other processes from removing the folder.
    scratch: ScratchSpace
    sweeper: threading.Thread
    #: Set on a warm shutdown: tasks take no new job, the sweeper ends.
    stopping: threading.Event


_runtime_lock = threading.Lock()


def runtime(app: Celery) -> WorkerRuntime:
    """Built once per worker process, on its first task (after any fork)."""
    with _runtime_lock:
        found: WorkerRuntime | None = getattr(app, "reelwright_runtime", None)
        if found is None:
            found = build_runtime(app)
            app.reelwright_runtime = found
        return found


def build_runtime(app: Celery) -> WorkerRuntime:
    settings: Settings = app.reelwright_settings
    sessions = open_database(settings.resolved_database_url)
    repository = Repository(sessions, max_attempts=settings.job_max_attempts)
    scratch = ScratchSpace(settings.data_dir / "scratch")
    scratch.remove_abandoned()
    store = ArtifactStore(settings.artifacts_dir, sessions, scratch.path, settings.artifact_url)
    locks = ShotLocks(redis.Redis.from_url(settings.broker_url or ""), settings.job_lease_s)
    renders = RenderService(settings, repository, store, scratch.path, Watermarker(watermark_key(settings)), CeleryHelpers(app, locks))
    executor = JobExecutor(repository, RedisBus(settings.broker_url or ""), renders.run, settings.job_lease_s)
    stopping = threading.Event()
    sweep_private(store)
    sweeper = threading.Thread(
        target=sweep_forever, args=(app, repository, store, settings.job_lease_s, stopping), name="reelwright-sweeper", daemon=True
    )
    sweeper.start()
    return WorkerRuntime(executor, renders, scratch, sweeper, stopping)


def sweep_forever(app: Celery, repository: Repository, store: ArtifactStore, lease_s: float, stop: threading.Event) -> None:
    """Every beat until ``stop``: take jobs back from workers that died, and make sure every waiting job has a task;
    every lease, erase this machine's copies of deleted voice samples."""
    beat = 0
    while not stop.wait(lease_s / BEATS_PER_LEASE):
        beat += 1
        try:
            repository.settle_abandoned_jobs()
            top_up(app, repository.waiting_by_queue())
            if beat % BEATS_PER_LEASE == 0:
                sweep_private(store)
        except Exception:  # the sweeper must outlive a database or broker restart
            log.exception("sweeping abandoned jobs failed; trying again")


def top_up(app: Celery, waiting: dict[str, int]) -> None:
    """Send tasks until each queue holds one per waiting job. A task of a killed worker is lost with it
    (acknowledged late, it returns only after the visibility timeout), and a job taken back from a
    dead worker has none; extra tasks are harmless (they find nothing to claim)."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue, count in waiting.items():
            try:
                queued = channel.queue_declare(queue=queue, passive=True).message_count
            except Exception:  # the queue does not exist yet: no task was ever sent to it
                queued = 0
            for _ in range(count - queued):
                app.send_task(RENDER_TASK, args=[0, queue], queue=queue)


def run_worker(settings: Settings, queues: list[str], concurrency: int) -> None:
    """``reelwright worker``: a Celery worker on ``queues`` with ``concurrency`` jobs at once.

    Jobs run on threads of one process (``solo`` for one at a time), so they share the warm model
    cache and GPU memory instead of loading a pipeline per forked child."""
    app = make_app(settings)
    pool = "solo" if concurrency == 1 else "threads"
    app.worker_main(["worker", f"--queues={','.join(queues)}", f"--concurrency={concurrency}", f"--pool={pool}", "--loglevel=INFO"])
