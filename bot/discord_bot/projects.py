"""Making and editing projects: /video, /animate, /edit, /share, mentions, thread replies and result buttons.

Each path is: acknowledge within Discord's 3 seconds (defer), take one conversation turn through the
service, post the plan, and hand the render to the delivery module, which follows the job and posts
the result into the project's thread. Rendering outlives interaction tokens, so everything after the
first reply is an ordinary channel message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from reelwright.access import Action
from reelwright.bot.delivery import Delivery
from reelwright.bot.discord_bot.chat import (
    ASPECTS,
    SURFACE,
    VOICES,
    ConsentPrompt,
    Origin,
    author_of,
    authorized,
    overrides_from,
    place_of,
    project_named_or_here,
    project_of,
    reply,
    report_error,
    shown_here,
    upload_limit,
    user_ref,
)
from reelwright.bot.discord_bot.outlet import DiscordOutlet, delete
from reelwright.bot.discord_bot.text import plan_embed, planner_note, safe
from reelwright.bot.service import CONSENT_STATEMENT, ConversationService
from reelwright.errors import BadImage, BadRequest, NotFound, ReelwrightError
from reelwright.plan import PlanProgress, Requirements
from reelwright.records import Place, ProjectRecord, UserRef, VersionRecord
from reelwright.settings import Settings

log = logging.getLogger(__name__)

PLANNING_PROGRESS_INTERVAL_S = 1.0
#: A project id where the bot writes one: button ids ("rw:edit:1a2b3c4d") and `1a2b3c4d` in its messages.
PROJECT_IN_BUTTON = re.compile(r"^rw:[a-z]+:([0-9a-f]{8})$")
PROJECT_IN_TEXT = re.compile(r"`([0-9a-f]{8})`")
PRIVATE_NOTE = " The video comes to your DMs: this project is private."
PROJECT_NAMED = re.compile(r"(?<![0-9A-Za-z])([0-9a-f]{8})(?![0-9A-Za-z])")


class Projects(commands.Cog):
    def __init__(self, bot: commands.Bot, service: ConversationService, settings: Settings, delivery: Delivery) -> None:
        self.bot = bot
        self.service = service
        self.settings = settings
        self.delivery = delivery

    # ------------------------------------------------------------------ slash commands
    @app_commands.command(name="video", description="Make a video from a description.")
    @app_commands.describe(
        prompt="What the video should show",
        image="An image to bring to life",
        duration="Total length in seconds",
        aspect="Frame shape",
        voice="Narration voice",
        narration="Spoken narration on or off",
        model="Video model (the ones installed on this server)",
    )
    @app_commands.choices(aspect=ASPECTS, voice=VOICES)
    async def video(
        self,
        interaction: discord.Interaction,
        prompt: str,
        image: discord.Attachment | None = None,
        duration: app_commands.Range[float, 2, 600] | None = None,
        aspect: app_commands.Choice[str] | None = None,
        voice: app_commands.Choice[str] | None = None,
        narration: bool | None = None,
        model: str | None = None,
    ) -> None:
        # Only installed presets: a chat never names a path or a download on the server's behalf.
        if model is not None and model not in dict(await self.service.downloaded_models()):
            await reply(interaction, f"`{safe(model, 80)}` is not a video model installed here; pick one from the list.", ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        overrides = overrides_from(duration, aspect.value if aspect else None, voice.value if voice else None, narration)
        if model is not None:
            overrides = overrides.model_copy(update={"video_model": model})
        await self.start_project(interaction, prompt, image, overrides)

    @video.autocomplete("model")
    async def installed_models(self, interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        installed = await self.service.downloaded_models()
        return [
            app_commands.Choice(name=f"{title[:80]} ({model_id})"[:100], value=model_id)
            for model_id, title in installed
            if typed.lower() in model_id or typed.lower() in title.lower()
        ][:25]

    @app_commands.command(name="animate", description="Bring an image to life.")
    @app_commands.describe(
        image="The image to animate",
        prompt="What should happen",
        duration="Length in seconds",
        say="Words the face in the photo says, as written (it speaks them, lip-synced)",
    )
    async def animate(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        prompt: str | None = None,
        duration: app_commands.Range[float, 2, 600] | None = None,
        say: app_commands.Range[str, 1, 1500] | None = None,
    ) -> None:
        await interaction.response.defer(thinking=True)
        overrides = overrides_from(duration, None, None, None)
        if say:
            overrides = overrides.model_copy(update={"talking": True, "spoken_line": say})
        request = prompt or ("a talking portrait" if say else "bring this image to life")
        await self.start_project(interaction, request, image, overrides)

    @app_commands.command(name="edit", description="Change a project by saying what to change.")
    @app_commands.describe(
        instruction="e.g. make shot 2 darker, make it 9:16, no narration", project="Project id (inside its thread it is implied)"
    )
    async def edit(self, interaction: discord.Interaction, instruction: str, project: str | None = None) -> None:
        # Permission is checked before deferring so a refusal can be private (a quick database read).
        project_id = await project_named_or_here(self.service, interaction, project)
        if project_id is None:
            return
        record = await authorized(self.service, interaction, project_id, Action.EDIT)
        if record is None:
            return
        await interaction.response.defer(thinking=True, ephemeral=not shown_here(record, interaction))
        await self.apply_edit(interaction, record, instruction)

    @app_commands.command(name="share", description="Let someone edit this project (owner only).")
    async def share(self, interaction: discord.Interaction, user: discord.User, project: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        project_id = await project_named_or_here(self.service, interaction, project)
        if project_id is None:
            return
        if await authorized(self.service, interaction, project_id, Action.SHARE) is None:
            return
        await self.service.share(project_id, user_ref(user))
        await reply(interaction, f"{safe(user.display_name, 80)} can now edit `{project_id}`.", ephemeral=True)

    @app_commands.command(name="unshare", description="Take back someone's right to edit this project.")
    async def unshare(self, interaction: discord.Interaction, user: discord.User, project: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        project_id = await project_named_or_here(self.service, interaction, project)
        if project_id is None:
            return
        if await authorized(self.service, interaction, project_id, Action.UNSHARE) is None:
            return
        removed = await self.service.unshare(project_id, user_ref(user))
        name = safe(user.display_name, 80)
        await reply(interaction, f"{name} can no longer edit `{project_id}`." if removed else f"{name} had no share.", ephemeral=True)

    # ------------------------------------------------------------------ conversation
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.bot.user is None:
            return
        try:
            await self.converse(message)
        except Exception as error:  # the listener has no other handler: the person is told here
            await report_error(message, error)

    async def converse(self, message: discord.Message) -> None:
        """Messages the bot acts on: anything in a DM, mentions, replies to its messages, and (with the
        message-content intent) plain messages in a project's thread.

        A project whose thread could not be made lives in its channel without owning it: there, only
        a reply to one of its messages or a mention naming its id edits it; other mentions start
        their own projects.
        """
        assert self.bot.user is not None
        mentioned = self.bot.user in message.mentions
        replied_to = message.reference.resolved if message.reference is not None else None
        replied = isinstance(replied_to, discord.Message) and replied_to.author == self.bot.user
        project_id = await project_of(self.service, message.channel)
        follows_thread = project_id is not None and self.bot.intents.message_content
        if not (mentioned or replied or follows_thread or isinstance(message.channel, discord.DMChannel)):
            return
        text = message.content.replace(self.bot.user.mention, "").replace(f"<@!{self.bot.user.id}>", "").strip()
        if replied and isinstance(replied_to, discord.Message):
            project_id = project_named_in(replied_to) or project_id
        named = await self.project_named(text)
        if named is not None:
            project_id, text = named, PROJECT_NAMED.sub("", text, count=1).strip(" ,:")
        if project_id is None:
            image = next((a for a in message.attachments if (a.content_type or "").startswith("image/")), None)
            await self.start_project(message, text, image, Requirements())
            return
        record = await authorized(self.service, message, project_id, Action.EDIT)
        if record is None:
            return
        try:
            version = await self.edit_in_conversation(user_ref(message.author), message.channel, project_id, text)
        except ReelwrightError as error:
            await report_error(message, error)
            return
        if shown_here(record, message):
            await reply(message, f"Version {version.number}: {safe('; '.join(version.diff), 1500)}{planner_note(version, voice=False)}")
            self.deliver(message.channel, user_ref(message.author), version, upload_limit(message))
        else:  # nothing of a private project is said in a server channel
            await reply(message, f"Version {version.number} is made.{PRIVATE_NOTE}")
            self.deliver(message.author, user_ref(message.author), version, upload_limit(message))

    async def project_named(self, text: str) -> str | None:
        """A project id written in a message ("@bot 1a2b3c4d make it darker"), if it names a project."""
        for candidate in PROJECT_NAMED.findall(text):
            try:
                await self.service.project(candidate)
            except NotFound:
                continue
            return str(candidate)
        return None

    # ------------------------------------------------------------------ flows
    async def start_project(self, origin: Origin, text: str, image: discord.Attachment | None, overrides: Requirements) -> None:
        """Plan and render a request; one with an image first asks its uploader to confirm it is theirs to animate."""
        if image is None:
            await self.plan_and_render(origin, text, None, overrides, place_of(origin))
            return
        try:
            with self.service.scratch.folder("upload-") as scratch:
                path = await self.download_image(image, Path(scratch))
                await self.service.check_image(path)
                upload = (path.name, path.read_bytes())
        except ReelwrightError as error:
            await report_error(origin, error)
            return
        place = place_of(origin)
        prompt = ConsentPrompt(
            author_of(origin).id,
            lambda confirmed: self.plan_and_render(confirmed, text, upload, overrides, place),
            statement=CONSENT_STATEMENT,
            declined="Not animated; nothing was stored.",
            expired="No confirmation came, so the image was not animated; nothing was stored.",
        )
        prompt.message = await reply(origin, f"Before I animate this image, please confirm: {CONSENT_STATEMENT}", view=prompt)

    async def plan_and_render(
        self, origin: Origin, text: str, upload: tuple[str, bytes] | None, overrides: Requirements, place: Place
    ) -> None:
        """One turn that starts a project (``upload``: a confirmed image), its plan posted and its render handed to delivery."""
        me = user_ref(author_of(origin))
        try:
            with self.service.scratch.folder("upload-") as scratch:
                image_path = None
                if upload is not None:
                    image_path = Path(scratch) / upload[0]
                    image_path.write_bytes(upload[1])
                if isinstance(origin, discord.Message):
                    async with origin.channel.typing():
                        turn = await self.service.converse(
                            me, text, surface=SURFACE, image=image_path, overrides=overrides, place=place, consent=upload is not None
                        )
                else:
                    turn = await self.service.converse(
                        me,
                        text,
                        surface=SURFACE,
                        image=image_path,
                        overrides=overrides,
                        progress=self.planning_progress(origin),
                        place=place,
                        consent=upload is not None,
                    )
        except ReelwrightError as error:
            await report_error(origin, error)
            return
        record = turn.version
        if record.planner.fallback:
            log.warning("planned %s from templates: %s %s", record.project_id, record.planner.note, record.planner.fix or "")
        plan_message = await reply(
            origin, f"Planned `{record.project_id}`. Rendering in a thread…{planner_note(record)}", embed=plan_embed(record)
        )
        target = await self.project_thread(origin.channel, plan_message, record)
        if isinstance(target, discord.Thread | discord.DMChannel):  # its own place: what is said there is about it
            await self.service.bind_conversation(turn.conversation_id, record.project_id, str(target.id))
        self.deliver(target, me, record, upload_limit(origin))

    def planning_progress(self, interaction: discord.Interaction) -> PlanProgress:
        """Show "Planning… writing shot 2/5" in the deferred reply; called from the planning thread."""
        loop = asyncio.get_running_loop()
        last_edit = [0.0]

        async def show(line: str) -> None:
            try:
                await interaction.edit_original_response(content=f"Planning… {line}")
            except discord.HTTPException:
                log.debug("could not show planning progress")

        def progress(line: str) -> None:
            now = time.monotonic()
            if now - last_edit[0] >= PLANNING_PROGRESS_INTERVAL_S:
                last_edit[0] = now
                loop.call_soon_threadsafe(lambda: self.delivery.spawn(show(line)))

        return progress

    async def apply_edit(self, interaction: discord.Interaction, project: ProjectRecord, instruction: str) -> None:
        """Edit after the caller checked permission and acknowledged the interaction.

        The new version goes where the edit was asked when the project may be seen there; a private
        project edited from a server channel goes to the editor's DMs instead.
        """
        try:
            record = await self.edit_in_conversation(user_ref(interaction.user), interaction.channel, project.id, instruction)
        except ReelwrightError as error:
            await report_error(interaction, error)
            return
        here = shown_here(project, interaction) and isinstance(interaction.channel, discord.abc.Messageable)
        target: discord.abc.Messageable = interaction.channel if here else interaction.user  # type: ignore[assignment]  # narrowed by `here`
        text = f"Version {record.number}: {safe('; '.join(record.diff), 1500)}{planner_note(record, voice=False)}{elsewhere(target, interaction)}"
        await reply(interaction, text, ephemeral=not here)
        self.deliver(target, user_ref(interaction.user), record, upload_limit(interaction))

    async def edit_in_conversation(self, user: UserRef, channel: object, project_id: str, instruction: str) -> VersionRecord:
        """An edit stored as a turn of the conversation of the place it was said in (the project's thread),
        or of a new conversation about the project when said elsewhere."""
        bound = await self.service.conversation_by_ref(SURFACE, str(channel.id)) if hasattr(channel, "id") else None
        conversation_id = bound[0] if bound and bound[1] == project_id else None
        turn = await self.service.converse(user, instruction, surface=SURFACE, conversation_id=conversation_id, project_id=project_id)
        return turn.version

    def deliver(self, channel: discord.abc.Messageable, user: UserRef, record: VersionRecord, limit: int) -> None:
        self.delivery.spawn(self.delivery.render_and_post(DiscordOutlet(channel), user, record, limit))

    # ------------------------------------------------------------------ buttons
    async def button(self, interaction: discord.Interaction, action: str, project_id: str) -> None:
        """A click on a result button (see ``buttons.ResultButton``)."""
        project = await authorized(self.service, interaction, project_id, Action.EDIT)
        if project is None:
            return
        if action == "edit":
            from reelwright.bot.discord_bot.buttons import EditModal

            await interaction.response.send_modal(EditModal(self, project_id))
            return
        if action == "delete":
            await interaction.response.defer(ephemeral=True)
            if interaction.message is not None:
                await delete(interaction.message)
            await reply(interaction, "Deleted that video from the chat; the project's history is kept.", ephemeral=True)
            return
        instruction = await self.instruction_for(action, project_id)
        await interaction.response.defer(thinking=True, ephemeral=not shown_here(project, interaction))
        await self.apply_edit(interaction, project, instruction)

    async def instruction_for(self, action: str, project_id: str) -> str:
        _, record, _ = await self.service.show(project_id)
        if action == "reroll":
            return "reroll"
        if action == "narration":
            return "no narration" if record.plan.narration else "with narration"
        if action == "extend":
            longer = record.plan.total_duration_s + record.plan.shots[-1].duration_s
            return f"make it {longer:g} seconds and add a shot of what happens next: {record.plan.shots[-1].prompt}"
        raise BadRequest(f"Unknown action {action!r}.")

    # ------------------------------------------------------------------ helpers
    async def download_image(self, attachment: discord.Attachment, folder: Path) -> Path:
        if attachment.size > self.settings.max_image_bytes:
            raise BadImage(
                f"{attachment.filename} is {attachment.size / 2**20:.0f} MiB; images up to "
                f"{self.settings.max_image_bytes / 2**20:.0f} MiB are accepted."
            )
        try:
            data = await attachment.read()
        except discord.HTTPException as error:
            raise BadImage(f"Could not download {attachment.filename} ({error.status}); attach it again.") from error
        # Named as the person named it (made safe), so messages about it speak of their file.
        path = folder / (re.sub(r"[^\w.-]", "_", Path(attachment.filename).name)[:100].lstrip(".") or "upload")
        path.write_bytes(data)
        return path

    async def project_thread(self, channel: object, message: discord.Message, record: VersionRecord) -> discord.abc.Messageable:
        """A thread for the project in guild text channels; the same channel in DMs and threads."""
        if isinstance(channel, discord.TextChannel):
            try:
                return await channel.create_thread(
                    name=discord.utils.escape_mentions(f"🎬 {record.plan.title}")[:100], message=message, auto_archive_duration=1440
                )
            except discord.HTTPException as error:
                log.warning("could not create a thread (%s); posting in the channel", error.status)
        return channel if isinstance(channel, discord.abc.Messageable) else message.channel


def elsewhere(target: object, origin: Origin) -> str:
    """A note when the video goes somewhere other than where it was asked for."""
    return PRIVATE_NOTE if target is author_of(origin) else ""


def project_named_in(message: discord.Message) -> str | None:
    """The project a bot message is about: from its buttons, else from an id it quotes."""
    for row in message.components:
        for child in getattr(row, "children", []):
            found = PROJECT_IN_BUTTON.match(getattr(child, "custom_id", None) or "")
            if found:
                return found[1]
    found = PROJECT_IN_TEXT.search(message.content or "")
    return found[1] if found else None
