"""The in-process job runner of the embedded default: render jobs on a worker thread, with events.

Work runs on a thread pool, never on the caller's event loop; progress is written to the job's row at
a bounded rate and published to subscribers as ``JobEvent`` values. A heartbeat thread renews the
lease of every job this runner holds (queued or running), so a job whose process died or hung is
failed when its lease runs out, and it carries back cancellations made elsewhere (``reelwright
cancel`` in another process ends the job's row; the holder stops at its next beat). A distributed
runner (Celery workers, issue #10) is to implement the same ``submit`` / ``cancel`` surface.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from reelwright.errors import Cancelled, ReelwrightError
from reelwright.storage.repository import Repository

log = logging.getLogger(__name__)

#: The progress callback handed to work: (stage, fraction 0..1, detail). Raises ``Cancelled``.
ReportProgress = Callable[[str, float, str], None]
TERMINAL = ("succeeded", "failed", "cancelled")
DB_MIN_INTERVAL_S = 0.5
#: Beats per lease: a lease survives a few missed beats (a busy database) before it runs out.
BEATS_PER_LEASE = 4


@dataclass(frozen=True)
class JobEvent:
    job_id: int
    status: str
    stage: str
    progress: float
    detail: str = ""
    queue_position: int | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


@dataclass
class JobHandle:
    """A submitted job: await ``result()``; iterate ``events()`` for progress."""

    job_id: int
    project_id: str
    version: int
    _future: asyncio.Future[Any]
    _queue: asyncio.Queue[JobEvent]
    _cancel: threading.Event

    async def events(self) -> AsyncIterator[JobEvent]:
        while True:
            event = await self._queue.get()
            yield event
            if event.finished:
                return

    async def result(self) -> Any:
        return await asyncio.shield(self._future)

    def cancel(self) -> None:
        self._cancel.set()


@dataclass
class _Running:
    handle: JobHandle
    loop: asyncio.AbstractEventLoop
    started: bool = False
    stage: str = ""
    written_at: float = 0.0


class InProcessJobRunner:
    def __init__(self, repository: Repository, lease_s: float, workers: int = 1) -> None:
        self.repository = repository
        self.lease_s = lease_s
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reelwright-job")
        self._jobs: dict[int, _Running] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def _beat_until_shutdown(self) -> None:
        while not self._stopping.wait(self.lease_s / BEATS_PER_LEASE):
            self.beat()

    def beat(self) -> None:
        """Renew the leases of held jobs; stop those whose row ended elsewhere (cancelled, or failed)."""
        with self._lock:
            held = dict(self._jobs)
        try:
            ended = self.repository.renew_leases(list(held), self.lease_s)
        except ReelwrightError as error:  # the database is away: beat again later; leases have slack
            log.warning("could not renew job leases: %s", error)
            return
        for job_id in ended:
            if job_id in held:
                held[job_id].handle.cancel()

    def submit(self, job_id: int, project_id: str, version: int, work: Callable[[ReportProgress], Any]) -> JobHandle:
        loop = asyncio.get_running_loop()
        handle = JobHandle(job_id, project_id, version, loop.create_future(), asyncio.Queue(), threading.Event())
        running = _Running(handle, loop)
        with self._lock:
            self._jobs[job_id] = running
            if self._heartbeat is None:
                self._heartbeat = threading.Thread(target=self._beat_until_shutdown, name="reelwright-heartbeat", daemon=True)
                self._heartbeat.start()
        self._executor.submit(self._run, running, work)
        self._publish(running, JobEvent(job_id, "queued", "queued", 0.0, queue_position=self.queue_position(job_id)))
        return handle

    def queue_position(self, job_id: int) -> int:
        """0 while running, n when n jobs are ahead of it."""
        with self._lock:
            waiting = [jid for jid, running in self._jobs.items() if not running.started]
            if job_id not in waiting:
                return 0
            return waiting.index(job_id) + sum(1 for running in self._jobs.values() if running.started)

    def cancel(self, job_id: int) -> bool:
        with self._lock:
            running = self._jobs.get(job_id)
        if running is None:
            return False
        running.handle.cancel()
        return True

    def shutdown(self) -> None:
        with self._lock:
            for running in self._jobs.values():
                running.handle.cancel()
        self._executor.shutdown(wait=True, cancel_futures=False)
        self._stopping.set()

    def _run(self, running: _Running, work: Callable[[ReportProgress], Any]) -> None:
        handle = running.handle
        with self._lock:
            running.started = True
        try:
            if handle._cancel.is_set() or self.repository.job(handle.job_id).status != "queued":
                raise Cancelled("Cancelled before it started.")
            self.repository.update_job(handle.job_id, status="running", stage="starting")

            def report(stage: str, fraction: float, detail: str = "") -> None:
                if handle._cancel.is_set():
                    raise Cancelled("Cancelled.")
                now = time.monotonic()
                if stage != running.stage or now - running.written_at > DB_MIN_INTERVAL_S:
                    self.repository.update_job(handle.job_id, stage=stage, progress=round(fraction, 4))
                    running.written_at = now
                running.stage = stage
                self._publish(running, JobEvent(handle.job_id, "running", stage, fraction, detail))

            result = work(report)
        except Cancelled as error:
            self._finish(running, "cancelled", None, str(error))
        except ReelwrightError as error:
            self._finish(running, "failed", None, str(error), error)
        except Exception as error:  # a bug: keep the details in the log, tell the person briefly
            log.exception("job %s crashed", handle.job_id)
            self._finish(running, "failed", None, f"Rendering failed unexpectedly ({type(error).__name__}).", error)
        else:
            self._finish(running, "succeeded", result, None)

    def _finish(self, running: _Running, status: str, result: Any, error: str | None, exc: BaseException | None = None) -> None:
        handle = running.handle
        self.repository.update_job(
            handle.job_id, status=status, stage=status, error=error, **({"progress": 1.0} if status == "succeeded" else {})
        )
        with self._lock:
            self._jobs.pop(handle.job_id, None)
        self._publish(running, JobEvent(handle.job_id, status, status, 1.0 if status == "succeeded" else 0.0, error=error))

        def settle() -> None:
            if handle._future.done():
                return
            if status == "succeeded":
                handle._future.set_result(result)
            elif status == "cancelled":
                handle._future.set_exception(Cancelled(error or "Cancelled."))
            else:
                handle._future.set_exception(exc if isinstance(exc, ReelwrightError) else ReelwrightError(error or "failed"))

        running.loop.call_soon_threadsafe(settle)

    def _publish(self, running: _Running, event: JobEvent) -> None:
        running.loop.call_soon_threadsafe(running.handle._queue.put_nowait, event)
