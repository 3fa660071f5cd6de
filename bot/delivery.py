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

from reelwright.bot.jobs import JobEvent
from reelwright.bot.service import ConversationService, RenderOutcome
from reelwright.errors import ReelwrightError
from reelwright.records import JobRecord, UserRef, VersionRecord

log = logging.getLogger(__name__)

PROGRESS_MIN_INTERVAL_S = 2.0
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

    def ref(self, message: object | None) -> str | None:
        """Where ``message`` is, as "surface:…" text a later process can find it by (``None``: nowhere)."""
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
        """Render ``record`` and post it; every outcome, including our own bugs, reaches the person."""
        progress: object | None = None
        job_id: int | None = None
        try:
            handle = await self.service.render(user, record.project_id, record.number)
            job_id = handle.job_id
            self.following.add(job_id)
            progress = await outlet.show_progress(None, JobEvent(handle.job_id, "queued", "queued", 0.0))
            # Remembered with the job: if this process dies, the next one tells the person how it ended.
            await self.service.set_notice(job_id, outlet.ref(progress))
            last_edit, last_stage = time.monotonic(), "queued"
            async for event in handle.events():
                now = time.monotonic()
                if not event.finished and (now - last_edit >= PROGRESS_MIN_INTERVAL_S or event.stage != last_stage):
                    progress = await outlet.show_progress(progress, event)
                    last_edit, last_stage = now, event.stage
            outcome: RenderOutcome = await handle.result()
            await self.post(outlet, record, outcome, limit_bytes)
            await outlet.remove(progress)
        except ReelwrightError as error:
            if error.chat_message:  # the details are for the operator
                log.error("delivery of %s v%s failed: %s", record.project_id, record.number, error)
            await outlet.show_failure(progress, error.for_chat())
        except Exception:
            log.exception("delivery of %s v%s failed", record.project_id, record.number)
            await outlet.show_failure(progress, UNEXPECTED)
        finally:
            if job_id is not None:
                self.following.discard(job_id)
        # Reached only once the person was told; a delivery cut short (shutdown) keeps the notice for the next process.
        if job_id is not None:
            await self.forget_notice(job_id)

    async def forget_notice(self, job_id: int) -> None:
        try:
            await self.service.set_notice(job_id, None)
        except ReelwrightError as error:  # the next sweep settles it again; nothing else is lost
            log.warning("could not clear the progress notice of job %s: %s", job_id, error)

    async def settle_notices(self, surface: str, outlet_at: Callable[[str], Awaitable[tuple[Outlet, object] | None]]) -> int:
        """Tell people how jobs ended whose delivery died with an earlier process (or a crash).

        Their progress message is found again by its stored place (``outlet_at``): a failed or
        cancelled job's message says so and why; a finished job's video is posted. Returns how many
        were settled.
        """
        settled = 0
        for job, ref in await self.service.unsettled_notices(surface):
            if job.id in self.following:
                continue
            found = await outlet_at(ref)
            if found is not None:
                outlet, message = found
                try:
                    await self.settle(outlet, message, job)
                except ReelwrightError as error:
                    await outlet.show_failure(message, error.for_chat())
            await self.forget_notice(job.id)
            settled += 1
        return settled

    async def settle(self, outlet: Outlet, message: object, job: JobRecord) -> None:
        if job.status != "succeeded" or job.render_id is None:
            reason = job.error or ("Cancelled." if job.status == "cancelled" else "Rendering stopped.")
            await outlet.show_failure(message, reason)
            return
        _, record, render = await self.service.show(job.project_id, job.version)
        if render is None or not Path(render.output_path).is_file():
            await outlet.show_failure(message, "The video was made but its file is gone; render it again.")
            return
        outcome = RenderOutcome(job.project_id, job.version, render.id, Path(render.output_path), render.seconds, render.shots)
        await self.post(outlet, record, outcome, outlet.upload_limit())
        await outlet.remove(message)

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
