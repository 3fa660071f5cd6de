"""Delivering a render to a chat: follow the job, show progress at a bounded rate, fit the upload, post.

Surface-agnostic: a chat surface supplies an ``Outlet`` (where one project's messages go and how they
look there); this module decides when to say what. Deliveries run as tracked tasks, so a bot that
shuts down can finish posting what is already rendered, and no failure is only logged while the
person waits: the progress message says it failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol

from reelwright.bot.jobs import JobEvent, JobHandle
from reelwright.bot.render_service import RenderOutcome
from reelwright.bot.service import ConversationService
from reelwright.errors import NotFound, ReelwrightError
from reelwright.records import JobRecord, UserRef, VersionRecord

log = logging.getLogger(__name__)

PROGRESS_MIN_INTERVAL_S = 2.0
#: How long one process has to post a result (fit it to the upload limit, upload it) before another may
#: take the posting over (and then first looks whether it was posted).
DELIVERY_CLAIM_S = 600.0
UNEXPECTED = "Something went wrong on our side while making this video; it has been logged."


class Outlet(Protocol):
    """Where one project's messages go on a chat surface, and how they look there."""

    async def say(self, text: str) -> object | None:
        """Post a plain message; ``None`` if it could not be posted anywhere."""
        ...

    async def show_progress(self, message: object | None, event: JobEvent) -> object | None:
        """Post (``message`` is None) or update the one progress message."""
        ...

    async def show_failure(self, message: object | None, reason: str) -> None:
        """Turn the progress message into a short failure notice (or post one)."""
        ...

    async def post_result(self, record: VersionRecord, file: Path | None, filename: str, note: str) -> None:
        """Post the finished video (or its preview) with what the surface adds (buttons, disclosure)."""
        ...

    async def remove(self, message: object | None) -> None: ...

    async def posted(self, name: str) -> bool:
        """Whether the result file ``name`` (``.mp4`` or ``-preview.mp4``) was posted here recently (by an
        earlier process that died before saying so)."""
        ...

    def ref(self, message: object | None) -> str | None:
        """Where ``message`` is, as "surface:…" text a later process can find it by (``None``: nowhere)."""
        ...

    def place(self) -> str:
        """Where this outlet posts, as "surface:…" text a later process can post to."""
        ...

    def upload_limit(self) -> int:
        """The largest file this place accepts."""
        ...


class Delivery:
    """Renders versions and posts them through outlets, as tracked background tasks."""

    def __init__(self, service: ConversationService) -> None:
        self.service = service
        self.tasks: set[asyncio.Task[None]] = set()
        self.following: set[int] = set()  # jobs whose progress message a delivery of this process keeps

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def finish(self, timeout_s: float) -> None:
        """Wait (bounded) for deliveries in flight, e.g. before disconnecting."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=timeout_s)

    async def render_and_post(self, outlet: Outlet, user: UserRef, record: VersionRecord, limit_bytes: int) -> None:
        """Queue ``record``'s render with this place as its reply address, follow it, and post how it ended.

        Every outcome, including our own bugs, reaches the person. The job row knows where to answer:
        if this process stops before posting, the next one posts from the outbox.
        """
        try:
            handle = await self.service.render(user, record.project_id, record.number, reply_ref=outlet.place(), upload_limit=limit_bytes)
        except ReelwrightError as error:
            await self.tell_failure(outlet, None, record, error)
            return
        # "Queued" first, whatever a fast runner has done by the time the job's row is read.
        progress = await outlet.show_progress(None, JobEvent(handle.job_id, "queued", "queued", 0.0))
        await self.service.set_notice(handle.job_id, outlet.ref(progress))
        await self.follow_and_post(outlet, progress, handle)

    async def follow_and_post(self, outlet: Outlet, progress: object | None, handle: JobHandle) -> None:
        """Keep one progress message current while the job runs, then post its result exactly once."""
        job_id = handle.job_id
        self.following.add(job_id)
        try:
            last_edit, last_stage = 0.0, ""
            async for event in handle.events():
                now = time.monotonic()
                if event.finished:
                    break
                if progress is None or now - last_edit >= PROGRESS_MIN_INTERVAL_S or event.stage != last_stage:
                    known = progress is not None
                    progress = await outlet.show_progress(progress, event)
                    last_edit, last_stage = now, event.stage
                    if not known:  # remembered with the job: if this process dies, the next one finds the message
                        await self.service.set_notice(job_id, outlet.ref(progress))
            await self.deliver(outlet, progress, await self.service.job(job_id))
        except ReelwrightError as error:  # the database or Discord went away while following: the outbox retries
            log.warning("following job %s stopped: %s", job_id, error)
        except Exception:
            log.exception("following job %s failed", job_id)
            await outlet.show_failure(progress, UNEXPECTED)
        finally:
            self.following.discard(job_id)

    async def deliver(self, outlet: Outlet, progress: object | None, job: JobRecord) -> None:
        """Post a finished job's video (or say why there is none), once across every process of the surface:
        the posting is claimed first, and the job leaves the outbox when it is done."""
        claim = await self.service.claim_delivery(job.id, DELIVERY_CLAIM_S)
        if claim is None:
            return
        if claim == "again" and job.status == "succeeded" and await outlet.posted(f"{job.project_id}-v{job.version}"):
            # The process that claimed it before posted it, then died before saying so.
            await outlet.remove(progress)
            await self.service.mark_delivered(job.id)
            return
        _, record, _ = await self.service.show(job.project_id, job.version)
        try:
            outcome = await self.service.outcome(job.id)
            if not outcome.path.is_file():
                raise NotFound("The video was made but its file is gone; render it again.")
            await self.post(outlet, record, outcome, job.upload_limit or outlet.upload_limit())
            await outlet.remove(progress)
        except ReelwrightError as error:
            await self.tell_failure(outlet, progress, record, error)
        except Exception:
            log.exception("delivery of %s v%s failed", record.project_id, record.number)
            await outlet.show_failure(progress, UNEXPECTED)
        await self.service.mark_delivered(job.id)

    async def tell_failure(self, outlet: Outlet, progress: object | None, record: VersionRecord, error: ReelwrightError) -> None:
        if error.chat_message:  # the details are for the operator
            log.error("delivery of %s v%s failed: %s", record.project_id, record.number, error)
        await outlet.show_failure(progress, error.for_chat())

    async def deliver_outbox(self, surface: str, outlet_at: Callable[[str], Awaitable[tuple[Outlet, object | None] | None]]) -> int:
        """Post what finished but was not delivered (its delivery died with an earlier process, or ran
        elsewhere): the stale progress message becomes the result, or says how the job ended. Returns
        how many were delivered."""
        delivered = 0
        for job in await self.service.outbox(surface, set(self.following)):
            ref = (job.notice_ref or job.reply_ref or "").removeprefix(f"{surface}:")
            try:
                found = await outlet_at(ref)
                if found is None:  # its thread is gone for good: the channel the project was made in, if any
                    channel = (await self.service.project(job.project_id)).channel
                    found = await outlet_at(channel) if channel else None
                if found is None:  # nowhere left to tell anyone
                    await self.service.mark_delivered(job.id)
                    continue
                outlet, message = found
                await self.deliver(outlet, message, job)
            except Exception:  # the platform is down: this one waits for the next sweep, the others go on
                log.exception("posting the result of job %s failed; trying again at the next sweep", job.id)
                continue
            delivered += 1
        return delivered

    async def follow_orphans(self, surface: str, outlet_at: Callable[[str], Awaitable[tuple[Outlet, object | None] | None]]) -> None:
        """Keep the progress messages of jobs still running whose follower died with an earlier process."""
        for job in await self.service.unfollowed_jobs(surface, set(self.following)):
            try:
                found = await outlet_at((job.notice_ref or job.reply_ref or "").removeprefix(f"{surface}:"))
            except Exception:  # the platform is down: the outbox posts the result once it is back
                log.warning("cannot reach the progress message of job %s now", job.id)
                continue
            if found is not None:
                outlet, message = found
                self.spawn(self.follow_and_post(outlet, message, await self.service.follow_job(job.id)))

    async def post(self, outlet: Outlet, record: VersionRecord, outcome: RenderOutcome, limit_bytes: int) -> None:
        """Post the file, re-encoded to fit the upload limit, or a shorter preview when even that is too big."""
        name = f"{record.project_id}-v{record.number}"
        with self.service.scratch.folder("fit-") as scratch:
            fitting, preview = await self.service.fit_for_upload(outcome.path, limit_bytes, Path(scratch))
            if fitting is not None:
                note = "" if fitting == outcome.path else "(re-encoded to fit this chat's upload limit)"
                await outlet.post_result(record, fitting, f"{name}.mp4", note)
            else:
                note = (
                    f"The full video is too large for this chat's {limit_bytes / 2**20:.0f} MiB limit even re-encoded; "
                    "here is a shorter preview."
                )
                await outlet.post_result(record, preview, f"{name}-preview.mp4", note)
