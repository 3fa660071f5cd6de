"""What every Discord feature shares: who is asking, their rights, how to answer, and the one error handler."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands

from reelwright.access import Action, Viewer
from reelwright.bot.discord_bot.text import chat_text, safe
from reelwright.bot.service import ConversationService
from reelwright.errors import NotFound, ReelwrightError
from reelwright.plan import Requirements
from reelwright.records import Place, ProjectRecord, UserRef

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
    for name, value in (
        ("default", "default"),
        ("female", "female"),
        ("male", "male"),
        ("my cloned voice", "mine"),
        ("slower", "slower"),
        ("faster", "faster"),
    )
]
#: How long an uploader has to confirm what they uploaded (an image to animate, a voice to clone).
CONSENT_TIMEOUT_S = 600.0
Origin = discord.Interaction | discord.Message
#: A project id as the bot writes it (8 hex digits); what people type is trimmed and lower-cased first.
PROJECT_ID = re.compile(r"[0-9a-f]{8}")


def user_ref(user: discord.abc.User) -> UserRef:
    return UserRef("discord", str(user.id), user.display_name)


def author_of(origin: Origin) -> discord.abc.User:
    return origin.user if isinstance(origin, discord.Interaction) else origin.author


def place_of(origin: Origin) -> Place:
    """The guild (none in DMs) and channel something was asked in."""
    return Place(str(origin.guild.id) if origin.guild else None, str(origin.channel.id) if origin.channel else None)


def moderates(user: discord.abc.User, guild: discord.Guild | None, project: ProjectRecord) -> bool:
    """Whether ``user`` has Manage Messages in the project's own channel, asking from the project's own guild.

    Rights come from where the project lives, never from the channel the command is typed in: a
    moderator of some other server (one they made themselves) has no say over it, and nobody
    moderates a DM project.
    """
    if guild is None or project.guild != str(guild.id):
        return False
    member = user if isinstance(user, discord.Member) and user.guild.id == guild.id else guild.get_member(user.id)
    if member is None:
        return False
    home = guild.get_channel_or_thread(int(project.channel)) if project.channel and project.channel.isdigit() else None
    permissions = home.permissions_for(member) if home is not None else member.guild_permissions
    return permissions.manage_messages


def shown_here(project: ProjectRecord, origin: Origin) -> bool:
    """Whether the project may be shown where ``origin`` happened: its own guild, or a DM for a private one."""
    guild = place_of(origin).guild
    return project.guild == guild if project.guild is not None else guild is None


def project_id_from(typed: str) -> str:
    """A project id as someone typed it (spaces, backticks, capitals), or ``NotFound`` echoing it safely:
    what they typed never reaches a message unescaped."""
    project_id = typed.strip().strip("`").strip().lower()
    if not PROJECT_ID.fullmatch(project_id):
        raise NotFound(f"No project “{safe(typed.strip(), 40)}” that you can see; `/history` lists yours.")
    return project_id


async def authorize(service: ConversationService, origin: Origin, project_id: str, action: Action) -> ProjectRecord:
    """The project if the person who sent ``origin`` may do ``action`` to it; else ``NotAllowed``/``NotFound``."""
    author = author_of(origin)
    return await service.authorize(
        project_id_from(project_id),
        Viewer(user_ref(author), place_of(origin).guild),
        action,
        moderates=lambda project: moderates(author, origin.guild, project),
    )


async def authorized(service: ConversationService, origin: Origin, project_id: str, action: Action) -> ProjectRecord | None:
    """The project if the person may do ``action`` to it; if not, they are told (privately where possible)."""
    try:
        return await authorize(service, origin, project_id, action)
    except ReelwrightError as error:
        await report_error(origin, error)
        return None


def overrides_from(duration: float | None, aspect: str | None, voice: str | None, narration: bool | None) -> Requirements:
    """Facts chosen with slash-command options rather than words."""
    facts: dict[str, object] = {"total_duration_s": duration, "aspect": aspect, "narration": narration}
    if voice in {"female", "male"}:
        facts["voice_gender"] = voice
    elif voice == "mine":
        facts["voice_name"] = "clone:"
    elif voice == "default":
        facts["voice_pitch_semitones"], facts["voice_speed"], facts["voice_name"] = 0.0, 1.0, ""
    elif voice in {"slower", "faster"}:
        facts["voice_speed"] = 0.8 if voice == "slower" else 1.25
    return Requirements.model_validate({k: v for k, v in facts.items() if v is not None})


def upload_limit(origin: Origin) -> int:
    if isinstance(origin, discord.Interaction):
        return origin.filesize_limit or DEFAULT_UPLOAD_LIMIT
    return origin.guild.filesize_limit if origin.guild else DEFAULT_UPLOAD_LIMIT


async def reply(
    origin: Origin, content: str, *, ephemeral: bool = False, embed: discord.Embed | None = None, view: discord.ui.View | None = None
) -> discord.Message:
    """Answer an interaction (response or follow-up) or a message."""
    content = content[:2000]
    attached = embed or discord.utils.MISSING
    buttons = view or discord.utils.MISSING
    if isinstance(origin, discord.Interaction):
        if origin.response.is_done():
            return await origin.followup.send(content, ephemeral=ephemeral, wait=True, embed=attached, view=buttons)
        await origin.response.send_message(content, ephemeral=ephemeral, embed=attached, view=buttons)
        return await origin.original_response()
    return await origin.reply(content, embed=attached, view=buttons)


async def publish(origin: Origin, content: str, *, embed: discord.Embed | None = None, private_note: str = "") -> discord.Message:
    """Say what everyone where ``origin`` happened may see: the plan, a new version.

    Commands and buttons are deferred privately, so that a refusal or a mistake is seen only by the
    person who asked; what succeeds is then posted as a public follow-up, and the private "thinking…"
    answer becomes ``private_note``.
    """
    content = content[:2000]
    attached = embed or discord.utils.MISSING
    if isinstance(origin, discord.Message):
        return await origin.reply(content, embed=attached)
    if not origin.response.is_done():
        await origin.response.send_message(content, embed=attached)
        return await origin.original_response()
    if origin.response.type is discord.InteractionResponseType.deferred_channel_message:
        # Until the deferred answer is completed, a follow-up would replace it (and be private like it).
        await origin.edit_original_response(content=private_note or "✅")
    return await origin.followup.send(content, embed=attached, wait=True)


async def report_error(origin: Origin, error: BaseException) -> None:
    """The one place failures become replies, for commands, buttons, modals and messages alike.

    People get a sentence (ours, or "something went wrong"); the log gets the details of anything
    that is not one of our own errors.
    """
    if not isinstance(error, ReelwrightError):
        log.error("a Discord request failed", exc_info=error)
    elif error.chat_message:
        log.error("a Discord request failed: %s", error)
    message = chat_text(error.for_chat()) if isinstance(error, ReelwrightError) else UNEXPECTED
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


async def project_named_or_here(service: ConversationService, interaction: discord.Interaction, project: str | None) -> str | None:
    """The project a command names, else the one whose thread (or DM) it is typed in; if neither, or the name
    is no project id, the person is told."""
    if project:
        try:
            return project_id_from(project)
        except ReelwrightError as error:
            await report_error(interaction, error)
            return None
    project_id = await project_of(service, interaction.channel)
    if project_id is None:
        command = interaction.command.name if interaction.command else "this command"
        await reply(interaction, f"Use `/{command}` inside a project thread, or name the `project`.", ephemeral=True)
    return project_id


class ConsentPrompt(discord.ui.View):
    """Asks the person who uploaded something to confirm ``statement``; confirming continues their request.

    Only the uploader can answer. Nothing is made or stored before they confirm; a prompt left
    unanswered expires and says so.
    """

    def __init__(
        self, uploader: int, proceed: Callable[[discord.Interaction], Awaitable[None]], *, statement: str, declined: str, expired: str
    ) -> None:
        super().__init__(timeout=CONSENT_TIMEOUT_S)
        self.uploader = uploader
        self.proceed = proceed
        self.statement = statement
        self.declined = declined
        self.expired = expired
        self.message: discord.Message | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.uploader:
            await interaction.response.send_message("Only the person who uploaded it can confirm this.", ephemeral=True)
            return False
        return True

    @discord.ui.button(label="I confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button[ConsentPrompt]) -> None:
        self.stop()
        await interaction.response.edit_message(content=f"✅ Confirmed: {self.statement}", view=None)
        await self.proceed(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button[ConsentPrompt]) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.declined, view=None)

    async def on_timeout(self) -> None:
        if self.message is not None:
            try:
                await self.message.edit(content=self.expired, view=None)
            except discord.HTTPException:
                log.debug("could not close an expired consent prompt")
