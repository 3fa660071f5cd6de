"""A project's place in Discord (its thread, or the channel), as the delivery module's ``Outlet``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import discord

from reelwright.bot.discord_bot.buttons import result_view
from reelwright.bot.discord_bot.text import progress_text, result_text, safe
from reelwright.bot.jobs import JobEvent
from reelwright.records import VersionRecord

log = logging.getLogger(__name__)


class DiscordOutlet:
    """Messages into one channel or thread, falling back to the thread's parent when the thread is gone."""

    def __init__(self, channel: discord.abc.Messageable) -> None:
        self.channel = channel

    async def say(self, text: str) -> discord.Message | None:
        return await send(self.channel, text)

    async def show_progress(self, message: object | None, event: JobEvent) -> object | None:
        text = progress_text(event.stage, event.progress, event.detail, event.queue_position)
        if message is None:
            return await send(self.channel, text)
        await edit(message, text)
        return message

    async def show_failure(self, message: object | None, reason: str) -> None:
        text = f"❌ {safe(reason, 1800)}"
        if message is None:
            await send(self.channel, text)
        else:
            await edit(message, text)

    async def post_result(self, record: VersionRecord, file: Path | None, filename: str, note: str) -> None:
        attachment = {"file": discord.File(file, filename)} if file is not None else {}
        await send(self.channel, result_text(record, note), view=result_view(record.project_id, record.plan.narration), **attachment)

    async def remove(self, message: object | None) -> None:
        await delete(message)


async def send(channel: discord.abc.Messageable, content: str, **kwargs: Any) -> discord.Message | None:
    """A channel message that gets through if anything can.

    A server error is retried once (discord.py already retries 429s and transient 5xx); when a
    project thread was deleted, archived and locked, we lost permission there, or it keeps
    failing, the message goes to the thread's parent channel, so a finished video is not lost.
    """
    for attempt in (1, 2):
        try:
            return await channel.send(content[:2000], **kwargs)
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning("cannot post in %s (%s)", getattr(channel, "id", "?"), error.status)
            break
        except discord.HTTPException as error:
            if error.status < 500:
                raise
            log.warning("posting in %s failed with %s (attempt %d)", getattr(channel, "id", "?"), error.status, attempt)
            file = kwargs.get("file")
            if isinstance(file, discord.File):
                file.reset()  # the failed attempt consumed it
    parent = getattr(channel, "parent", None)
    if parent is None:
        return None
    log.warning("posting in the parent channel %s instead", parent.id)
    return await send(parent, content, **kwargs)


async def delete(message: object | None) -> None:
    if isinstance(message, discord.Message):
        try:
            await message.delete()
        except discord.HTTPException:
            log.debug("could not delete a message")


async def edit(message: object, content: str) -> None:
    if not isinstance(message, discord.Message):
        return
    try:
        await message.edit(content=content[:2000])
    except discord.HTTPException as error:
        log.info("progress edit failed (%s)", error.status)
