"""What every Discord feature shares: who is asking, their rights, how to answer, and the one error handler."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from reelwright.bot.service import ConversationService
from reelwright.errors import NotFound, ReelwrightError
from reelwright.plan import Requirements
from reelwright.records import UserRef

log = logging.getLogger(__name__)

SURFACE = "discord"
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
UNEXPECTED = "Something went wrong on our side; it has been logged."
ASPECTS = [
    app_commands.Choice(name=name, value=value)
    for name, value in (("16:9 landscape", "16:9"), ("9:16 vertical", "9:16"), ("1:1 square", "1:1"))
]
VOICES = [
    app_commands.Choice(name=name, value=value)
    for name, value in (("default", "default"), ("higher (female-like)", "female"), ("slower", "slower"), ("faster", "faster"))
]
Origin = discord.Interaction | discord.Message


def user_ref(user: discord.abc.User) -> UserRef:
    return UserRef("discord", str(user.id), user.display_name)


def is_moderator(user: discord.abc.User, channel: object) -> bool:
    if isinstance(user, discord.Member) and isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        return channel.permissions_for(user).manage_messages
    return False


def overrides_from(duration: float | None, aspect: str | None, voice: str | None, narration: bool | None) -> Requirements:
    """Facts chosen with slash-command options rather than words."""
    facts: dict[str, object] = {"total_duration_s": duration, "aspect": aspect, "narration": narration}
    if voice == "female":
        facts["voice_pitch_semitones"] = 4.0
    elif voice == "default":
        facts["voice_pitch_semitones"], facts["voice_speed"] = 0.0, 1.0
    elif voice in {"slower", "faster"}:
        facts["voice_speed"] = 0.8 if voice == "slower" else 1.25
    return Requirements.model_validate({k: v for k, v in facts.items() if v is not None})


def upload_limit(origin: Origin) -> int:
    if isinstance(origin, discord.Interaction):
        return origin.filesize_limit or DEFAULT_UPLOAD_LIMIT
    return origin.guild.filesize_limit if origin.guild else DEFAULT_UPLOAD_LIMIT


async def reply(origin: Origin, content: str, *, ephemeral: bool = False, embed: discord.Embed | None = None) -> discord.Message:
    """Answer an interaction (response or follow-up) or a message."""
    content = content[:2000]
    attached = embed or discord.utils.MISSING
    if isinstance(origin, discord.Interaction):
        if origin.response.is_done():
            return await origin.followup.send(content, ephemeral=ephemeral, wait=True, embed=attached)
        await origin.response.send_message(content, ephemeral=ephemeral, embed=attached)
        return await origin.original_response()
    return await origin.reply(content, embed=attached)


async def report_error(origin: Origin, error: BaseException) -> None:
    """The one place failures become replies, for commands, buttons, modals and messages alike.

    People get a sentence (ours, or "something went wrong"); the log gets the details of anything
    that is not one of our own errors.
    """
    if not isinstance(error, ReelwrightError):
        log.error("a Discord request failed", exc_info=error)
    message = str(error) if isinstance(error, ReelwrightError) else UNEXPECTED
    try:
        await reply(origin, message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not report an error to the user")


async def project_of(service: ConversationService, channel: object) -> str | None:
    """The project whose thread (or DM) this is, if any."""
    if channel is None or not hasattr(channel, "id"):
        return None
    bound = await service.conversation_by_ref(SURFACE, str(channel.id))
    return bound[1] if bound else None


async def allowed(service: ConversationService, interaction: discord.Interaction, project_id: str) -> bool:
    """Whether the person may change the project; if not, they are told privately."""
    try:
        ok = await service.may_edit(project_id, user_ref(interaction.user), is_moderator(interaction.user, interaction.channel))
    except NotFound as error:
        await reply(interaction, str(error), ephemeral=True)
        return False
    if not ok:
        await reply(interaction, "Only the project's owner and people they `/share` it with can change it.", ephemeral=True)
    return ok
