"""The shots of one video rendered on several workers at once, joined by the worker that holds the job.

The worker that claimed a job (the coordinator) sends one helper task per shot still to be made, then
works through the shots itself. Each shot is taken under a Redis lock named by its clip's content
key (renewed while it renders, expiring when its worker dies), so a shot is rendered once whoever gets
to it first; finished clips land in the shared clip cache. The coordinator composes once every clip
is there: a shot whose helper died is taken over when its lock expires, and if nobody helps (every
worker busy, or just one) the coordinator renders them all, so nothing ever waits on a task that
cannot run. Unlike a Celery chord, the join is the job's own worker, which holds the job's lease: a
coordinator that dies is replaced by the lease like any worker, and the new one reuses every finished
shot.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from redis.exceptions import LockError
from redis.lock import Lock

from reelwright.generation.pipeline import RenderPipeline, ShotResult, Spoken, StageProgress
from reelwright.plan import ShotPlan

log = logging.getLogger(__name__)

#: How often the coordinator looks for clips that helpers finished.
JOIN_POLL_S = 0.25


class ShotLocks:
    """One lock per clip key in Redis, held while the clip renders and renewed by a thread."""

    def __init__(self, client: redis.Redis, lease_s: float) -> None:
        self.client = client
        self.lease_s = lease_s

    @contextmanager
    def hold(self, key: str) -> Iterator[bool]:
        """``True`` inside when this process got the shot; ``False`` when another worker is rendering it."""
        # Not thread-local: the renewing thread uses the token the rendering thread took.
        lock = Lock(self.client, f"reelwright:shot:{key}", timeout=self.lease_s, blocking=False, thread_local=False)
        try:
            acquired = lock.acquire()
        except redis.RedisError as error:  # Redis is away: make the shot anyway (another worker might too) rather than stall
            log.warning("cannot lock shot %s (%s); rendering it unlocked", key[:12], error)
            yield True
            return
        if not acquired:
            yield False
            return
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.lease_s / 4):
                try:
                    lock.reacquire()
                except (redis.RedisError, LockError) as error:  # it expires; another worker may take the shot over
                    log.warning("could not renew the lock of shot %s: %s", key[:12], error)

        renewer = threading.Thread(target=renew, name="reelwright-shot-lock", daemon=True)
        renewer.start()
        try:
            yield True
        finally:
            stop.set()
            renewer.join()
            try:
                lock.release()
            except (redis.RedisError, LockError):  # expired meanwhile: nothing to release
                pass


def make_shots(
    pipeline: RenderPipeline,
    plan: ShotPlan,
    counts: list[int],
    images: dict[str, Path],
    locks: ShotLocks,
    progress: StageProgress,
    order: list[int] | None = None,
    wait: bool = True,
    spoken: Spoken | None = None,
) -> tuple[dict[int, tuple[Path, ShotResult]], list[int]]:
    """Render (or find) every shot of ``plan`` that no other worker is rendering, in ``order``; with
    ``wait`` (the coordinator) also wait for the others' clips, taking over any whose worker died.
    Returns clip and result per shot index, and the shots this call rendered. ``progress`` raises
    ``Cancelled`` to stop. ``spoken``: the talking shots' speech (``RenderPipeline.speech_first``)."""
    shots = plan.shots
    spoken = spoken or {}
    keys = [
        pipeline.clip_key(plan, shot, count, pipeline.backend_for(plan, shot), spoken.get(shot.id))
        for shot, count in zip(shots, counts, strict=True)
    ]
    cached_before = {index for index, key in enumerate(keys) if pipeline.clips.lookup(key) is not None}
    done: dict[int, tuple[Path, ShotResult]] = {}
    rendered: list[int] = []
    pending = list(order if order is not None else range(len(shots)))
    while pending:
        for index in list(pending):
            found = pipeline.clips.lookup(keys[index])
            if found is not None:
                done[index] = (found, ShotResult(shots[index].id, keys[index], reused=index in cached_before))
                pending.remove(index)
                continue
            with locks.hold(keys[index]) as mine:
                if not mine:
                    continue
                found = pipeline.clips.lookup(keys[index])  # made by the worker that held the lock just before
                if found is not None:
                    done[index] = (found, ShotResult(shots[index].id, keys[index], reused=index in cached_before))
                    pending.remove(index)
                    continue

                def shot_progress(fraction: float, index: int = index) -> None:
                    progress("rendering", (len(done) + fraction) / len(shots), f"shot {shots[index].id}/{len(shots)}")

                done[index] = pipeline.render_shot(plan, shots[index], counts[index], images, shot_progress, spoken.get(shots[index].id))
                pending.remove(index)
                rendered.append(index)
                log.info("rendered shot %s of %s (%s)", shots[index].id, plan.title, keys[index][:12])
        if pending and not wait:
            break
        if pending:  # rendering on other workers: wait for their clips (or their locks to expire)
            progress("rendering", len(done) / len(shots), f"{len(pending)} shot(s) on other workers")
            time.sleep(JOIN_POLL_S)
    return done, rendered
