"""Delivering a render to a chat: follow the job, show progress at a bounded rate, fit the upload, post.

Surface-agnostic: a chat surface supplies an ``Outlet`` (where one project's messages go and how they
look there); this module decides when to say what. Deliveries run as tracked tasks, so a bot that
shuts down can finish posting what is already rendered, and no failure is only logged while the
person waits: the progress message says it failed.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Protocol

from reelwright.bot.jobs import JobEvent
from reelwright.bot.service import ConversationService, RenderOutcome
from reelwright.errors import ReelwrightError
from reelwright.records import UserRef, VersionRecord

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


class Delivery:
    """Renders versions and posts them through outlets, as tracked background tasks."""

    def __init__(self, service: ConversationService) -> None:
        self.service = service
        self.tasks: set[asyncio.Task[None]] = set()

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
        try:
            handle = await self.service.render(user, record.project_id, record.number)
            progress = await outlet.show_progress(None, JobEvent(handle.job_id, "queued", "queued", 0.0))
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
            await outlet.show_failure(progress, str(error))
        except Exception:
            log.exception("delivery of %s v%s failed", record.project_id, record.number)
            await outlet.show_failure(progress, UNEXPECTED)

    async def post(self, outlet: Outlet, record: VersionRecord, outcome: RenderOutcome, limit_bytes: int) -> None:
        """Post the file, re-encoded to fit the upload limit, or a shorter preview when even that is too big."""
        name = f"{record.project_id}-v{record.number}"
        with tempfile.TemporaryDirectory(prefix="reelwright-fit-") as scratch:
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
