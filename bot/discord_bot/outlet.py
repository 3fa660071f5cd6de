"""A project's place in Discord (its thread, or the channel), as the delivery module's ``Outlet``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
from discord.ext import tasks

from reelwright.bot.discord_bot.buttons import result_view
from reelwright.bot.discord_bot.chat import DEFAULT_UPLOAD_LIMIT, SURFACE
from reelwright.bot.discord_bot.text import chat_text, progress_text, result_text
from reelwright.bot.jobs import JobEvent
from reelwright.errors import ReelwrightError
from reelwright.records import VersionRecord

log = logging.getLogger(__name__)

#: How far back a restarted bot looks for a result an earlier process posted without marking it.
RECENT_MESSAGES = 50
#: How often a waiting job's place in the queue is read again while its progress message shows it.
QUEUE_REFRESH_S = 15.0
#: A job's place in the queue (``ConversationService.queue_position``): 0 while it runs, ``None`` once it ended.
QueuePosition = Callable[[int], Awaitable[int | None]]


class DiscordOutlet:
    """Messages into one channel or thread, falling back to the thread's parent when the thread is gone.

    While a job waits, its progress message shows its place in the queue, read again every
    ``QUEUE_REFRESH_S`` (the job's own events say only when it starts), until its next event.
    """

    def __init__(self, channel: discord.abc.Messageable, queue_position: QueuePosition | None = None) -> None:
        self.channel = channel
        self.queue_position = queue_position
        self.waiting: tasks.Loop[Any] | None = None

    def ref(self, message: object | None) -> str | None:
        if not isinstance(message, discord.Message):
            return None
        return f"{SURFACE}:{message.channel.id}/{message.id}"

    def place(self) -> str:
        return f"{SURFACE}:{self.channel.id}"  # type: ignore[attr-defined]

    def upload_limit(self) -> int:
        guild = getattr(self.channel, "guild", None)
        return guild.filesize_limit if guild is not None else DEFAULT_UPLOAD_LIMIT

    async def say(self, text: str) -> discord.Message | None:
        return await send(self.channel, text)

    async def show_progress(self, message: object | None, event: JobEvent) -> object | None:
        self.stop_waiting()
        text = progress_text(event.stage, event.progress, event.detail, event.queue_position, event.starts_in_s)
        if message is None:
            message = await send(self.channel, text)
        else:
            await edit(message, text)
        if message is not None and event.stage == "queued" and event.queue_position and self.queue_position is not None:
            self.waiting = self.keep_place(message, event, self.queue_position)
            self.waiting.start()
        return message

    def keep_place(self, message: object, event: JobEvent, queue_position: QueuePosition) -> tasks.Loop[Any]:
        """A loop showing the job's place as it moves up the queue, until it starts or ends."""
        assert event.queue_position
        shown, pace = [event.queue_position], (event.starts_in_s or 0.0) / event.queue_position

        async def look_again() -> None:
            if waiting.current_loop == 0:  # the message shows where it is now
                return
            try:
                position = await queue_position(event.job_id)
            except ReelwrightError as error:  # the database is away: the job's own events still come
                log.info("cannot read the queue now: %s", error)
                return
            if not position:  # it started or ended: its own events say so
                waiting.stop()
            elif position != shown[0]:
                shown[0] = position
                await edit(message, progress_text("queued", 0.0, "", position, position * pace or None))

        waiting: tasks.Loop[Any] = tasks.loop(seconds=QUEUE_REFRESH_S)(look_again)
        return waiting

    def stop_waiting(self) -> None:
        if self.waiting is not None:
            self.waiting.cancel()
            self.waiting = None

    async def show_failure(self, message: object | None, reason: str) -> None:
        self.stop_waiting()
        text = f"❌ {chat_text(reason)[:1800]}"
        if message is None:
            await send(self.channel, text)
        else:
            await edit(message, text)

    async def post_result(self, record: VersionRecord, file: Path | None, filename: str, note: str) -> None:
        self.stop_waiting()
        upload = (file, filename) if file is not None else None
        await send(self.channel, result_text(record, note), upload=upload, view=result_view(record.project_id, record.plan.narration))

    async def remove(self, message: object | None) -> None:
        self.stop_waiting()
        await delete(message)

    async def posted(self, name: str) -> bool:
        names = {f"{name}.mp4", f"{name}-preview.mp4"}
        try:
            async for message in self.channel.history(limit=RECENT_MESSAGES):
                if message.author.bot and any(attachment.filename in names for attachment in message.attachments):
                    return True
        except discord.Forbidden:  # the history cannot be read here: post rather than risk losing it
            log.info("cannot read the history of %s to look for an earlier post", getattr(self.channel, "id", "?"))
        return False


async def outlet_at(
    client: discord.Client, ref: str, queue_position: QueuePosition | None = None
) -> tuple[DiscordOutlet, discord.PartialMessage | None] | None:
    """The outlet (and message) a stored ``DiscordOutlet.place`` (or ``ref``) names; ``None`` when the
    channel is gone for good (deleted, or no longer ours to see). A passing failure (Discord's 5xx, the
    network) raises, so what was to be posted there waits for the next sweep instead of being dropped."""
    channel_id, _, message_id = ref.partition("/")
    if not channel_id.isdigit() or (message_id and not message_id.isdigit()):
        return None
    try:
        channel = client.get_channel(int(channel_id)) or await client.fetch_channel(int(channel_id))
    except (discord.NotFound, discord.Forbidden) as error:
        log.info("the channel of an old progress message is gone (%s)", error.status)
        return None
    if not isinstance(channel, discord.TextChannel | discord.Thread | discord.DMChannel):
        return None
    return DiscordOutlet(channel, queue_position), channel.get_partial_message(int(message_id)) if message_id else None


async def send(
    channel: discord.abc.Messageable, content: str, *, upload: tuple[Path, str] | None = None, **kwargs: Any
) -> discord.Message | None:
    """A channel message (with ``upload``: a file and the name it is posted as) that gets through if anything can.

    A server error is retried once (discord.py already retries 429s and transient 5xx); when a
    project thread was deleted, archived and locked, we lost permission there, or it keeps
    failing, the message goes to the thread's parent channel, so a finished video is not lost.
    Every attempt opens the file afresh: discord.py closes a file once a request with it ends.
    """
    for attempt in (1, 2):
        options = {**kwargs, "file": discord.File(upload[0], upload[1])} if upload is not None else kwargs
        try:
            return await channel.send(content[:2000], **options)
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning("cannot post in %s (%s)", getattr(channel, "id", "?"), error.status)
            break
        except discord.HTTPException as error:
            if error.status < 500:
                raise
            log.warning("posting in %s failed with %s (attempt %d)", getattr(channel, "id", "?"), error.status, attempt)
    parent = getattr(channel, "parent", None)
    if parent is None:
        return None
    log.warning("posting in the parent channel %s instead", parent.id)
    return await send(parent, content, upload=upload, **kwargs)


async def delete(message: object | None) -> None:
    if isinstance(message, discord.Message | discord.PartialMessage):
        try:
            await message.delete()
        except discord.HTTPException:
            log.debug("could not delete a message")


async def edit(message: object, content: str) -> None:
    if not isinstance(message, discord.Message | discord.PartialMessage):
        return
    try:
        await message.edit(content=content[:2000])
    except discord.HTTPException as error:
        log.info("progress edit failed (%s)", error.status)
