"""Running render jobs from their rows, and following them from anywhere.

A job is data (``storage.models.Job``): any process that reaches the database and the artifact store
can run it from its id. ``JobExecutor`` is what every runner shares: it claims a job (one serialised
step, so no job runs twice at once), renews the lease of every job it holds from a heartbeat thread,
writes progress to the row at a bounded rate and publishes it on a ``ProgressBus``, stops a job whose
row ended elsewhere (``reelwright cancel`` on another machine), and ends the row with how it went.

``InProcessJobRunner`` (the embedded default) runs jobs on threads of this process; the Celery
workers of ``bot/celery_app.py`` run the same executor in other processes and publish over Redis.
Whoever follows a job (``follow``) listens on the bus and reads the row whenever the bus is quiet, so
a lost event or a dead worker never leaves a follower waiting.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from reelwright.errors import Cancelled, ReelwrightError, StorageError
from reelwright.records import JobRecord
from reelwright.storage.repository import Repository, this_worker

log = logging.getLogger(__name__)

#: The progress callback handed to work: (stage, fraction 0..1, detail). Raises ``Cancelled``.
ReportProgress = Callable[[str, float, str], None]
#: What a runner runs: a claimed job's row in, its result out (``RenderService.run``).
RunJob = Callable[[JobRecord, ReportProgress], object]
TERMINAL = ("succeeded", "failed", "cancelled")
DB_MIN_INTERVAL_S = 0.5
#: Beats per lease: a lease survives a few missed beats (a busy database) before it runs out.
BEATS_PER_LEASE = 4
#: A follower reads the row after this long without an event (a worker that died publishes nothing).
FOLLOW_POLL_S = 2.0
#: A runner looks for jobs queued by other processes this often when it has nothing to do.
IDLE_POLL_S = 1.0


@dataclass(frozen=True)
class JobEvent:
    job_id: int
    status: str
    stage: str
    progress: float
    detail: str = ""
    queue_position: int | None = None
    error: str | None = None
    #: While queued: about how many seconds until it starts.
    starts_in_s: float | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of_row(cls, job: JobRecord, queue_position: int | None = None, starts_in_s: float | None = None) -> JobEvent:
        error = job.error_chat or job.error
        return cls(job.id, job.status, job.stage, job.progress, queue_position=queue_position, error=error, starts_in_s=starts_in_s)


class Subscription(Protocol):
    async def next(self, timeout_s: float) -> JobEvent | None:
        """The next event, or ``None`` after ``timeout_s`` without one."""
        ...


class ProgressBus(Protocol):
    """Where workers publish job events and followers hear them (in this process, or over Redis)."""

    def publish(self, event: JobEvent) -> None:
        """From any thread or process; never raises (progress is a courtesy, the row is the truth)."""
        ...

    def subscribe(self, job_id: int) -> AbstractAsyncContextManager[Subscription]: ...


class _LocalSubscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[JobEvent] = asyncio.Queue()

    async def next(self, timeout_s: float) -> JobEvent | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout_s)
        except TimeoutError:
            return None


class LocalBus:
    """Events between threads of one process: workers publish, event loops hear."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[int, list[tuple[asyncio.AbstractEventLoop, _LocalSubscription]]] = {}

    def publish(self, event: JobEvent) -> None:
        with self._lock:
            listeners = list(self._listeners.get(event.job_id, ()))
        for loop, subscription in listeners:
            try:
                loop.call_soon_threadsafe(subscription.queue.put_nowait, event)
            except RuntimeError:  # that loop has closed: its follower is gone
                pass

    @asynccontextmanager
    async def subscribe(self, job_id: int) -> AsyncIterator[Subscription]:
        entry = (asyncio.get_running_loop(), _LocalSubscription())
        with self._lock:
            self._listeners.setdefault(job_id, []).append(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._listeners[job_id].remove(entry)
                if not self._listeners[job_id]:
                    del self._listeners[job_id]


async def follow(job_id: int, bus: ProgressBus, repository: Repository, poll_s: float = FOLLOW_POLL_S) -> AsyncIterator[JobEvent]:
    """A job's events until it ends, wherever it runs; the last one is terminal.

    Subscribes before reading the row, so nothing between the two is missed; whenever the bus is
    quiet for ``poll_s`` the row is read again, so a job that ended without a word (its worker was
    killed and the job failed, or an event was lost) still ends here, and a waiting job's place in the
    queue is told again each time it moves up (nobody publishes that: it moves when other jobs end).
    """
    async with bus.subscribe(job_id) as events:
        row = await asyncio.to_thread(repository.job, job_id)
        waiting = await _waiting_event(row, repository)
        yield waiting
        if row.finished:
            return
        while True:
            event = await events.next(poll_s)
            if event is None:
                row = await asyncio.to_thread(repository.job, job_id)
                if row.status == "queued" and (moved := await _waiting_event(row, repository)).queue_position != waiting.queue_position:
                    waiting = event = moved
                elif not row.finished:
                    continue
                else:
                    event = JobEvent.of_row(row)
            yield event
            if event.finished:
                return


async def _waiting_event(row: JobRecord, repository: Repository) -> JobEvent:
    """The row as an event, with its place in the queue and about when it starts while it waits."""
    position = await asyncio.to_thread(repository.queue_position, row.id)
    starts_in = position * await asyncio.to_thread(repository.seconds_per_place) if position else None
    return JobEvent.of_row(row, position, starts_in)


@dataclass
class JobHandle:
    """A queued job: iterate ``events()`` for progress; await ``result()`` for its outcome."""

    job_id: int
    project_id: str
    version: int
    _events: Callable[[], AsyncIterator[JobEvent]]
    _outcome: Callable[[], Awaitable[Any]]

    def events(self) -> AsyncIterator[JobEvent]:
        return self._events()

    async def result(self) -> Any:
        """The outcome once the job ended (raises how it failed); waits for it if it is still going."""
        async for _ in self._events():
            pass
        return await self._outcome()


@dataclass
class _Held:
    job: JobRecord
    cancel: threading.Event
    stage: str = ""
    written_at: float = 0.0


class JobExecutor:
    """Runs claimed jobs in this process, with the heartbeat that proves it is alive."""

    def __init__(self, repository: Repository, bus: ProgressBus, run: RunJob, lease_s: float, worker: str | None = None) -> None:
        self.repository = repository
        self.bus = bus
        self.run = run
        self.lease_s = lease_s
        self.worker = worker or this_worker()
        self._held: dict[int, _Held] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def claim(self, only: set[int] | None = None, queues: set[str] | None = None) -> JobRecord | None:
        self._start_heartbeat()
        return self.repository.claim_job(self.worker, self.lease_s, only=only, queues=queues)

    def _start_heartbeat(self) -> None:
        with self._lock:
            if self._heartbeat is None or not self._heartbeat.is_alive():
                self._heartbeat = threading.Thread(target=self._beat_until_stopped, name="reelwright-heartbeat", daemon=True)
                self._heartbeat.start()

    def _beat_until_stopped(self) -> None:
        while not self._stopping.wait(self.lease_s / BEATS_PER_LEASE):
            self.beat()

    def beat(self) -> None:
        """Renew the leases of held jobs; stop those this worker no longer holds (cancelled, failed, taken over)."""
        with self._lock:
            held = dict(self._held)
        try:
            lost = self.repository.renew_leases(list(held), self.lease_s, self.worker)
        except Exception as error:  # the database is away: beat again later (leases have slack); never die
            log.warning("could not renew job leases: %s", error)
            return
        for job_id in lost:
            if job_id in held:
                held[job_id].cancel.set()

    def holds(self, job_id: int) -> bool:
        with self._lock:
            return job_id in self._held

    def cancel(self, job_id: int) -> bool:
        with self._lock:
            held = self._held.get(job_id)
        if held is None:
            return False
        held.cancel.set()
        return True

    def stop(self) -> None:
        """Stop held jobs and give them back to the queue (another runner, or the next start, takes them)."""
        self._stopping.set()
        with self._lock:
            for held in self._held.values():
                held.cancel.set()

    def execute(self, job: JobRecord) -> None:
        """Run a job this executor claimed, to its end: the row says how it went, and so does the bus."""
        held = _Held(job, threading.Event())
        with self._lock:
            self._held[job.id] = held
        if self._stopping.is_set():  # claimed while this process began to stop: give it back untouched
            with self._lock:
                self._held.pop(job.id, None)
            self.repository.release_job(job.id, self.worker)
            return
        self.bus.publish(JobEvent(job.id, "running", "starting", 0.0))

        def report(stage: str, fraction: float, detail: str = "") -> None:
            if held.cancel.is_set():
                raise Cancelled("Cancelled.")
            now = time.monotonic()
            if stage != held.stage or now - held.written_at > DB_MIN_INTERVAL_S:
                self.repository.update_job(job.id, stage=stage, progress=round(fraction, 4))
                held.written_at = now
            held.stage = stage
            self.bus.publish(JobEvent(job.id, "running", stage, fraction, detail))

        try:
            self.run(job, report)
        except Cancelled as error:
            if self._stopping.is_set() and self.repository.release_job(job.id, self.worker):
                self.bus.publish(JobEvent(job.id, "queued", "queued", 0.0, "its worker stopped; waiting for another"))
            else:
                self._finish(job.id, "cancelled", error)
        except ReelwrightError as error:
            self._finish(job.id, "failed", error)
        except OSError as error:  # a full disk, a folder removed or unwritable meanwhile: this machine's state, not a bug
            where = f" ({error.filename})" if error.filename else ""
            self._finish(
                job.id, "failed", StorageError(f"Rendering stopped: a file could not be written{where}: {error.strerror or error}.")
            )
        except Exception as error:  # a bug: keep the details in the log, tell the person briefly
            log.exception("job %s crashed", job.id)
            self._finish(job.id, "failed", ReelwrightError(f"Rendering failed unexpectedly ({type(error).__name__})."))
        else:
            self._finish(job.id, "succeeded", None)
        finally:
            with self._lock:
                self._held.pop(job.id, None)

    def _finish(self, job_id: int, status: str, error: ReelwrightError | None) -> None:
        fields: dict[str, Any] = {}
        if error is not None:
            if error.chat_message:
                log.error("job %s failed: %s", job_id, error)
            fields = {"error": str(error), "code": error.exit_code, "chat": error.for_chat()}
        if self.repository.finish_job(job_id, self.worker, status, **fields):
            self.bus.publish(JobEvent(job_id, status, status, 1.0 if status == "succeeded" else 0.0, error=fields.get("chat")))
        else:  # ended elsewhere meanwhile (cancelled, or taken over): the row says how; followers read it
            self.bus.publish(JobEvent.of_row(self.repository.job(job_id)))


class InProcessJobRunner:
    """The embedded runner: ``workers`` threads of this process take jobs from the database.

    ``serve_all`` runners (the bot, ``reelwright worker``) take any waiting job, those queued by other
    processes and those a dead process left, in fair order; others (a CLI command) run only the jobs
    they were given. Either way a job is claimed from its row, never handed over in memory.
    """

    def __init__(self, executor: JobExecutor, workers: int = 1, serve_all: bool = False, queues: set[str] | None = None) -> None:
        self.executor = executor
        self.workers = workers
        self.serve_all = serve_all
        self.queues = queues
        self._wanted: set[int] = set()
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._stopping = False

    def start(self) -> None:
        with self._wake:
            if self._threads or self._stopping:
                return
            self._threads = [threading.Thread(target=self._take_jobs, name=f"reelwright-job-{n}", daemon=True) for n in range(self.workers)]
            for thread in self._threads:
                thread.start()

    def submit(self, job_id: int) -> None:
        with self._wake:
            self._wanted.add(job_id)
            self._wake.notify_all()
        self.start()

    def cancel(self, job_id: int) -> bool:
        return self.executor.cancel(job_id)

    def shutdown(self) -> None:
        """Stop: jobs being rendered go back to the queue, for the next runner to take over."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self.executor.stop()
        for thread in self._threads:
            thread.join()

    def _take_jobs(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                only = None if self.serve_all else set(self._wanted)
            try:
                job = self.executor.claim(only, self.queues) if only is None or only else None
                if job is not None:
                    with self._wake:
                        self._wanted.discard(job.id)
                    self.executor.execute(job)
                    continue
            except Exception:  # the database is away: this thread must outlive it, or queued jobs wait forever
                log.exception("taking a job failed; trying again")
            with self._wake:
                if not self._stopping:
                    self._wake.wait(IDLE_POLL_S)
