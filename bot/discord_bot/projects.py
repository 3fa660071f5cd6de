"""Making and editing projects: /video, /animate, /edit, /share, mentions, thread replies and result buttons.

Each path is: acknowledge within Discord's 3 seconds (defer, privately, so a refusal or a mistake is
the asker's alone), check the render limits, take one conversation turn through the service, post
the plan (or the new version) for everyone, and hand the render to the delivery module, which
follows the job and posts the result into the project's thread. Rendering outlives interaction
tokens, so everything after the first reply is an ordinary channel message.
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

from reelwright.access import Action, Viewer
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
    publish,
    reply,
    report_error,
    shown_here,
    upload_limit,
    user_ref,
)
from reelwright.bot.discord_bot.outlet import DiscordOutlet, delete, send
from reelwright.bot.discord_bot.text import HELP, ignored_note, plan_embed, planner_note, safe
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
#: What an attachment's name says it is when Discord sent no content type.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
WHICH_VIDEO = (
    "That sounds like a change to a video, but I don't know which: reply to its message, say it in its thread, or "
    "name its id (`/history` lists yours). To make a new video, describe it."
)


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
        # Private until the plan is made: a refusal or a mistake is for the person who asked; the plan is posted for all.
        await interaction.response.defer(thinking=True, ephemeral=True)
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
        await interaction.response.defer(thinking=True, ephemeral=True)  # the confirmation and any refusal are the uploader's alone
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
        await interaction.response.defer(thinking=True, ephemeral=True)  # a refusal is private; the new version is posted for all
        project_id = await project_named_or_here(self.service, interaction, project)
        if project_id is None:
            return
        record = await authorized(self.service, interaction, project_id, Action.EDIT)
        if record is None:
            return
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

        A message is about a project when it names its id, replies to one of its messages or is said in
        its thread. Otherwise (a DM, a mention in a channel) its words decide: a change ("make it
        darker") is made to the person's latest video there, a request starts a new one, and a
        greeting gets a short answer. A project whose thread could not be made lives in its channel
        without owning it: there, only a reply to one of its messages, a mention naming its id or a
        change its owner asks for edits it.
        """
        assert self.bot.user is not None
        mentioned = self.bot.user in message.mentions
        replied_to = message.reference.resolved if message.reference is not None else None
        replied = isinstance(replied_to, discord.Message) and replied_to.author == self.bot.user
        in_dm = isinstance(message.channel, discord.DMChannel)
        here = await project_of(self.service, message.channel)  # the thread's project; in a DM, the latest one
        follows_thread = here is not None and not in_dm and self.bot.intents.message_content
        if not (mentioned or replied or follows_thread or in_dm):
            return
        text = message.content.replace(self.bot.user.mention, "").replace(f"<@!{self.bot.user.id}>", "").strip()
        if not (mentioned or replied or in_dm) and self.service.intent(text) == "chat":  # people chatting in a project's thread
            return
        project_id = project_named_in(replied_to) if replied and isinstance(replied_to, discord.Message) else None
        named = await self.project_named(text)
        if named is not None:
            project_id, text = named, PROJECT_NAMED.sub("", text, count=1).strip(" ,:")
        if project_id is None and not in_dm:
            project_id = here
        images, not_images = split_attachments(message.attachments)
        if project_id is None and not images:
            intent = self.service.intent(text)
            if intent == "chat":
                await reply(message, HELP)
                return
            if intent == "edit":
                project_id = here if in_dm else await self.latest_here(message)
                if project_id is None:
                    await reply(message, WHICH_VIDEO)
                    return
        if project_id is None:
            if not_images or images[1:]:
                await reply(message, ignored_note(not_images, [a.filename for a in images[1:]], editing=False))
            await self.start_project(message, text, images[0] if images else None, Requirements())
            return
        if message.attachments:
            await reply(message, ignored_note([a.filename for a in message.attachments], [], editing=True))
        record = await authorized(self.service, message, project_id, Action.EDIT)
        if record is None:
            return
        if not text:
            await reply(message, f'What should change in `{record.id}`? e.g. "make it darker", "make it 9:16" or "no narration".')
            return
        await self.apply_edit(message, record, text)

    async def latest_here(self, message: discord.Message) -> str | None:
        """The person's most recently changed project made in this channel, if any."""
        place = place_of(message)
        for project in await self.service.history(None, Viewer(user_ref(message.author), place.guild)):
            if project.guild == place.guild and project.channel == place.channel:
                return project.id
        return None

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
        place = place_of(origin)
        if image is None:
            await self.plan_and_render(origin, text, None, overrides, place)
            return
        try:
            await self.check_can_render(origin, place.guild)  # nobody is asked to confirm what could not be rendered
            with self.service.scratch.folder("upload-") as scratch:
                path = await self.download_image(image, Path(scratch))
                await self.service.check_image(path)
                upload = (path.name, path.read_bytes())
        except ReelwrightError as error:
            await report_error(origin, error)
            return
        prompt = ConsentPrompt(
            author_of(origin).id,
            lambda confirmed: self.plan_and_render(confirmed, text, upload, overrides, place),
            statement=CONSENT_STATEMENT,
            declined="Not animated; nothing was stored.",
            expired="No confirmation came, so the image was not animated; nothing was stored.",
        )
        prompt.message = await reply(
            origin, f"Before I animate this image, please confirm: {CONSENT_STATEMENT}", view=prompt, ephemeral=True
        )

    async def plan_and_render(
        self, origin: Origin, text: str, upload: tuple[str, bytes] | None, overrides: Requirements, place: Place
    ) -> None:
        """One turn that starts a project (``upload``: a confirmed image), its plan posted and its render handed to delivery.

        The render limits are checked first, so a person over them gets no plan and no thread.
        """
        me = user_ref(author_of(origin))
        try:
            await self.check_can_render(origin, place.guild)
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
        channel = origin.channel
        threaded = may_make_threads(channel)
        plan_message = await publish(
            origin, planned(record, threaded), embed=plan_embed(record), private_note=f"Planned `{record.project_id}`."
        )
        thread = await self.project_thread(channel, plan_message, record) if threaded else None
        if threaded and thread is None:  # it said "in its thread": it renders here after all
            await edit_text(plan_message, planned(record, False))
        target: discord.abc.Messageable = thread or (channel if isinstance(channel, discord.abc.Messageable) else plan_message.channel)
        if isinstance(target, discord.Thread | discord.DMChannel):  # its own place: what is said there is about it
            await self.service.bind_conversation(turn.conversation_id, record.project_id, str(target.id))
        self.deliver(target, me, record, upload_limit(origin))

    async def check_can_render(self, origin: Origin, guild: str | None) -> None:
        """Refuse (``BadRequest``/``Busy``) before anything is planned or written when the person, their
        server or the queue is at its limit; the render checks again when it is queued."""
        await self.service.check_can_render(user_ref(author_of(origin)), guild=guild)

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

    async def apply_edit(self, origin: Origin, project: ProjectRecord, instruction: str) -> None:
        """Edit after the caller checked permission (and deferred an interaction, privately).

        The new version is said and rendered where the project lives (its thread, even when asked in
        the channel); a private project changed from a server goes to the editor's DMs instead. The
        render limits are checked before a version is made, so none is made that could not render.
        """
        me = user_ref(author_of(origin))
        private = not shown_here(project, origin)  # nothing of a private project is said in a server channel
        if private:
            home: discord.abc.Messageable = author_of(origin)  # type: ignore[assignment]  # a User or Member, both messageable
        else:
            home = await self.home_of(project, origin.channel)
        try:
            await self.check_can_render(origin, project.guild)
            record = await self.edit_in_conversation(me, home, project.id, instruction)
        except ReelwrightError as error:
            await report_error(origin, error)
            return
        number = record.number
        text = f"Version {number}: {safe('; '.join(record.diff), 1500)}{planner_note(record, voice=False)}"
        if private:
            told = text if isinstance(origin, discord.Interaction) else f"Version {number} is made."
            await reply(origin, f"{told}{PRIVATE_NOTE}", ephemeral=True)
        elif same_place(home, origin.channel):
            await publish(origin, text, private_note=f"Version {number} is made.")
        else:
            await send(home, text)
            await reply(origin, f"Version {number} is made; it renders in {mention_of(home)}.", ephemeral=True)
        self.deliver(home, me, record, upload_limit(origin))

    async def home_of(self, project: ProjectRecord, channel: object) -> discord.abc.Messageable:
        """Where a project lives, asked from ``channel``: ``channel`` itself when it is the project's thread
        or DM, or the project has no thread there; its thread when asked in the channel it was made in."""
        assert self.bot.user is not None
        here: discord.abc.Messageable = channel  # type: ignore[assignment]  # interactions and messages come from messageable channels
        if not isinstance(channel, discord.TextChannel) or project.channel != str(channel.id):
            return here
        newest_first = sorted(channel.threads, key=lambda thread: thread.id, reverse=True)  # edits are mostly of recent videos
        for thread in newest_first:
            if thread.owner_id == self.bot.user.id and await project_of(self.service, thread) == project.id:
                return thread
        return here

    async def edit_in_conversation(self, user: UserRef, channel: object, project_id: str, instruction: str) -> VersionRecord:
        """An edit stored as a turn of the conversation of the place it is answered in (the project's thread),
        or of a new conversation about the project elsewhere."""
        bound = await self.service.conversation_by_ref(SURFACE, str(channel.id)) if hasattr(channel, "id") else None
        conversation_id = bound[0] if bound and bound[1] == project_id else None
        turn = await self.service.converse(user, instruction, surface=SURFACE, conversation_id=conversation_id, project_id=project_id)
        return turn.version

    def deliver(self, channel: discord.abc.Messageable, user: UserRef, record: VersionRecord, limit: int) -> None:
        self.delivery.spawn(self.delivery.render_and_post(DiscordOutlet(channel, self.service.queue_position), user, record, limit))

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
        await interaction.response.defer(thinking=True, ephemeral=True)  # a refusal is private; the new version is posted for all
        await self.apply_edit(interaction, project, await self.instruction_for(action, project_id))

    async def instruction_for(self, action: str, project_id: str) -> str:
        _, record, _ = await self.service.show(project_id)
        if action == "reroll":
            return "reroll"
        if action == "narration":
            return "no narration" if record.plan.narration else "with narration"
        if action == "extend":
            # One more shot as long as the last, and the whole video that much longer: every shot keeps its length.
            # (The total is written "N-second", so the new shot's length is not read from it.)
            longer = round(record.plan.total_duration_s + record.plan.shots[-1].duration_s, 1)
            return f"make it a {longer:g}-second video and add a last shot of {record.plan.title}, what happens next"
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

    async def project_thread(self, channel: object, message: discord.Message, record: VersionRecord) -> discord.Thread | None:
        """A thread for the project, started from its plan message; ``None`` when Discord refuses one."""
        if not isinstance(channel, discord.TextChannel):
            return None
        try:
            return await channel.create_thread(
                name=discord.utils.escape_mentions(f"🎬 {record.plan.title}")[:100], message=message, auto_archive_duration=1440
            )
        except discord.HTTPException as error:
            log.warning("could not create a thread (%s); posting in the channel", error.status)
            return None


def may_make_threads(channel: object) -> bool:
    """Whether a project asked for in ``channel`` gets a thread of its own (a server text channel where the bot may make one)."""
    if not isinstance(channel, discord.TextChannel):
        return False
    me = channel.guild.me
    return me is None or channel.permissions_for(me).create_public_threads


def planned(record: VersionRecord, threaded: bool) -> str:
    where = "Rendering in its thread…" if threaded else "Rendering here…"
    return f"Planned `{record.project_id}`. {where}{planner_note(record)}"


async def edit_text(message: discord.Message, content: str) -> None:
    try:
        await message.edit(content=content[:2000])
    except discord.HTTPException as error:
        log.info("could not edit a message (%s)", error.status)


def same_place(one: object, other: object) -> bool:
    return getattr(one, "id", None) is not None and getattr(one, "id", None) == getattr(other, "id", None)


def mention_of(place: object) -> str:
    return str(getattr(place, "mention", "its thread"))


def split_attachments(attachments: list[discord.Attachment]) -> tuple[list[discord.Attachment], list[str]]:
    """The images of a message (by type, or by name when Discord sent none; checked by content later) and the
    names of the other files."""
    images, others = [], []
    for attachment in attachments:
        kind = attachment.content_type
        if (kind or "").startswith("image/") or (kind is None and Path(attachment.filename).suffix.lower() in IMAGE_SUFFIXES):
            images.append(attachment)
        else:
            others.append(attachment.filename)
    return images, others


def project_named_in(message: discord.Message) -> str | None:
    """The project a bot message is about: from its buttons, else from an id it quotes."""
    for row in message.components:
        for child in getattr(row, "children", []):
            found = PROJECT_IN_BUTTON.match(getattr(child, "custom_id", None) or "")
            if found:
                return found[1]
    found = PROJECT_IN_TEXT.search(message.content or "")
    return found[1] if found else None
