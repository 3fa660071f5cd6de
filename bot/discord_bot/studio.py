"""The studio cog: every command and conversation path of the Discord bot.

Each path is: acknowledge within Discord's 3 seconds (defer), call the conversation service, post the
plan, follow the render job with one progress message edited at a bounded rate, and upload the result
into the project's thread with buttons. Rendering outlives interaction tokens, so everything after
the first reply is sent as ordinary channel messages.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from reelwright.bot.discord_bot.buttons import ResultButton, result_view
from reelwright.bot.discord_bot.text import plan_embed, planner_note, progress_text, result_text, safe
from reelwright.bot.service import ConversationService, RenderOutcome
from reelwright.errors import BadImage, BadRequest, NotFound, ReelwrightError
from reelwright.plan import PlanProgress, Requirements
from reelwright.records import UserRef, VersionRecord
from reelwright.settings import Settings

log = logging.getLogger(__name__)

SURFACE = "discord"
PROGRESS_MIN_INTERVAL_S = 2.0
PLANNING_PROGRESS_INTERVAL_S = 1.0
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
ASPECTS = [
    app_commands.Choice(name=name, value=value)
    for name, value in (("16:9 landscape", "16:9"), ("9:16 vertical", "9:16"), ("1:1 square", "1:1"))
]
VOICES = [
    app_commands.Choice(name=name, value=value)
    for name, value in (("default", "default"), ("higher (female-like)", "female"), ("slower", "slower"), ("faster", "faster"))
]


def user_ref(user: discord.abc.User) -> UserRef:
    return UserRef("discord", str(user.id), user.display_name)


def is_moderator(user: discord.abc.User, channel: discord.abc.Messageable | None) -> bool:
    if isinstance(user, discord.Member) and isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        return channel.permissions_for(user).manage_messages
    return False


def overrides_from(duration: float | None, aspect: str | None, voice: str | None, narration: bool | None) -> Requirements:
    facts: dict[str, object] = {"total_duration_s": duration, "aspect": aspect, "narration": narration}
    if voice == "female":
        facts["voice_pitch_semitones"] = 4.0
    elif voice == "default":
        facts["voice_pitch_semitones"], facts["voice_speed"] = 0.0, 1.0
    elif voice in {"slower", "faster"}:
        facts["voice_speed"] = 0.8 if voice == "slower" else 1.25
    return Requirements.model_validate({k: v for k, v in facts.items() if v is not None})


class Studio(commands.Cog):
    def __init__(self, bot: commands.Bot, service: ConversationService, settings: Settings) -> None:
        self.bot = bot
        self.service = service
        self.settings = settings
        self.tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ slash commands
    @app_commands.command(name="video", description="Make a video from a description.")
    @app_commands.describe(
        prompt="What the video should show",
        image="An image to bring to life",
        duration="Total length in seconds",
        aspect="Frame shape",
        voice="Narration voice",
        narration="Spoken narration on or off",
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
    ) -> None:
        await interaction.response.defer(thinking=True)
        overrides = overrides_from(duration, aspect.value if aspect else None, voice.value if voice else None, narration)
        await self.start_project(interaction, prompt, image, overrides)

    @app_commands.command(name="animate", description="Bring an image to life.")
    @app_commands.describe(image="The image to animate", prompt="What should happen", duration="Length in seconds")
    async def animate(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        prompt: str | None = None,
        duration: app_commands.Range[float, 2, 600] | None = None,
    ) -> None:
        await interaction.response.defer(thinking=True)
        await self.start_project(interaction, prompt or "bring this image to life", image, overrides_from(duration, None, None, None))

    @app_commands.command(name="edit", description="Change a project by saying what to change.")
    @app_commands.describe(
        instruction="e.g. make shot 2 darker, make it 9:16, no narration", project="Project id (inside its thread it is implied)"
    )
    async def edit(self, interaction: discord.Interaction, instruction: str, project: str | None = None) -> None:
        # Permission is checked before deferring so a refusal can be private (a quick database read).
        project_id = project or await self.project_of(interaction.channel)
        if project_id is None:
            await self.reply(interaction, "Use `/edit` inside a project thread, or name the `project`.", ephemeral=True)
            return
        if not await self.allowed(interaction, project_id):
            return
        await interaction.response.defer(thinking=True)
        await self.apply_edit(interaction, project_id, instruction)

    @app_commands.command(name="history", description="Recent projects.")
    async def history(self, interaction: discord.Interaction, user: discord.User | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        projects = await self.service.history(user_ref(user) if user else None)
        lines = [f"`{p.id}` v{p.latest_version} — {safe(p.title, 80)}" for p in projects[:20]] or ["No projects yet."]
        await self.reply(interaction, "\n".join(lines), ephemeral=True)

    @app_commands.command(name="show", description="A project's latest plan.")
    async def show(self, interaction: discord.Interaction, project: str) -> None:
        await interaction.response.defer(ephemeral=True)
        try:
            _, record, render = await self.service.show(project)
        except ReelwrightError as error:
            await self.reply(interaction, str(error), ephemeral=True)
            return
        await interaction.followup.send(embed=plan_embed(record), ephemeral=True, content="Rendered." if render else "Not rendered yet.")

    @app_commands.command(name="settings", description="Your defaults for new videos.")
    @app_commands.choices(aspect=ASPECTS, voice=VOICES)
    async def settings_command(
        self,
        interaction: discord.Interaction,
        aspect: app_commands.Choice[str] | None = None,
        duration: app_commands.Range[float, 2, 600] | None = None,
        voice: app_commands.Choice[str] | None = None,
        narration: bool | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True)
        me = user_ref(interaction.user)
        current = await self.service.preferences(me)
        chosen = overrides_from(duration, aspect.value if aspect else None, voice.value if voice else None, narration)
        updated = current.merged_with(chosen)
        await self.service.set_preferences(me, updated)
        shown = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in updated.model_dump(exclude_none=True).items())
        await self.reply(interaction, f"Your defaults: {shown or 'none set'}.", ephemeral=True)

    @app_commands.command(name="queue", description="Videos rendering now and waiting.")
    async def queue(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        jobs = await self.service.queue()
        lines = [
            f"`{job.project_id}` v{job.version}: {'rendering' if position == 0 else f'#{position} in queue'} "
            f"({job.stage}, {job.progress * 100:.0f}%)"
            for job, position in jobs
        ] or ["Nothing is rendering."]
        await self.reply(interaction, "\n".join(lines), ephemeral=True)

    @app_commands.command(name="cancel", description="Stop a project's render.")
    async def cancel(self, interaction: discord.Interaction, project: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        project_id = project or await self.project_of(interaction.channel)
        if project_id is None or not await self.allowed(interaction, project_id):
            return
        stopped = await self.service.cancel_project(project_id)
        await self.reply(interaction, "Cancelling." if stopped else "Nothing is rendering for that project.", ephemeral=True)

    @app_commands.command(name="share", description="Let someone edit this project.")
    async def share(self, interaction: discord.Interaction, user: discord.User, project: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        project_id = project or await self.project_of(interaction.channel)
        if project_id is None or not await self.allowed(interaction, project_id):
            return
        await self.service.share(project_id, user_ref(user))
        await self.reply(interaction, f"{safe(user.display_name, 80)} can now edit `{project_id}`.", ephemeral=True)

    @app_commands.command(name="verify", description="Check a video for Reelwright's marks.")
    async def verify(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        await interaction.response.defer(thinking=True)
        with tempfile.TemporaryDirectory(prefix="reelwright-verify-") as scratch:
            path = Path(scratch) / "upload.mp4"
            path.write_bytes(await file.read())
            try:
                result = await self.service.verify(path)
            except ReelwrightError as error:
                await self.reply(interaction, str(error))
                return
        if not result.marked:
            await self.reply(interaction, "No Reelwright marks found in that file.")
            return
        where = (
            f"project `{result.render.project_id}` version {result.render.version}"
            if result.render
            else "a project from another Reelwright"
        )
        await self.reply(
            interaction,
            f"AI-generated by Reelwright — {where}. Watermark: "
            f"{'found' if result.watermark.found else 'not found'}; metadata label: "
            f"{'present' if result.metadata.get('ai_generated') == 'true' else 'absent'}.",
        )

    # ------------------------------------------------------------------ conversation
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.bot.user is None:
            return
        mentioned = self.bot.user in message.mentions
        replied = (
            message.reference is not None
            and isinstance(message.reference.resolved, discord.Message)
            and message.reference.resolved.author == self.bot.user
        )
        project_id = await self.project_of(message.channel)
        follows_thread = project_id is not None and self.bot.intents.message_content
        if not (mentioned or replied or follows_thread or isinstance(message.channel, discord.DMChannel)):
            return
        text = message.content.replace(self.bot.user.mention, "").replace(f"<@!{self.bot.user.id}>", "").strip()
        if project_id is not None:
            if not await self.service.may_edit(project_id, user_ref(message.author), is_moderator(message.author, message.channel)):
                await message.reply("Only the project's owner and people they `/share` it with can edit it.")
                return
            await self.converse_edit(message, project_id, text)
        else:
            image = next((a for a in message.attachments if (a.content_type or "").startswith("image/")), None)
            await self.start_project(message, text, image, Requirements())

    # ------------------------------------------------------------------ flows
    async def start_project(
        self, origin: discord.Interaction | discord.Message, text: str, image: discord.Attachment | None, overrides: Requirements
    ) -> None:
        author = origin.user if isinstance(origin, discord.Interaction) else origin.author
        me = user_ref(author)
        try:
            with tempfile.TemporaryDirectory(prefix="reelwright-upload-") as scratch:
                image_path = await self.download_image(image, Path(scratch)) if image else None
                if isinstance(origin, discord.Message):
                    async with origin.channel.typing():
                        turn = await self.service.converse(me, text, surface=SURFACE, image=image_path, overrides=overrides)
                else:
                    turn = await self.service.converse(
                        me, text, surface=SURFACE, image=image_path, overrides=overrides, progress=self.planning_progress(origin)
                    )
        except ReelwrightError as error:
            await self.reply(origin, str(error))
            return
        record = turn.version
        if record.planner.fallback:
            log.warning("planned %s from templates: %s %s", record.project_id, record.planner.note, record.planner.fix or "")
        plan_message = await self.reply(
            origin, f"Planned `{record.project_id}`. Rendering in a thread…{planner_note(record)}", embed=plan_embed(record)
        )
        target = await self.project_thread(origin.channel, plan_message, record)
        await self.service.bind_conversation(turn.conversation_id, record.project_id, str(target.id))
        self.spawn(self.render_and_post(target, me, record, self.upload_limit(origin)))

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
                loop.call_soon_threadsafe(lambda: self.spawn(show(line)))

        return progress

    async def apply_edit(self, interaction: discord.Interaction, project_id: str, instruction: str) -> None:
        """Edit after the caller checked permission and acknowledged the interaction."""
        try:
            record = await self.edit_in_conversation(user_ref(interaction.user), interaction.channel, project_id, instruction)
        except ReelwrightError as error:
            await self.reply(interaction, str(error))
            return
        await self.reply(interaction, f"Version {record.number}: {safe('; '.join(record.diff), 1500)}")
        target = interaction.channel if isinstance(interaction.channel, discord.abc.Messageable) else interaction.user
        self.spawn(self.render_and_post(target, user_ref(interaction.user), record, self.upload_limit(interaction)))

    async def converse_edit(self, message: discord.Message, project_id: str, text: str) -> None:
        try:
            record = await self.edit_in_conversation(user_ref(message.author), message.channel, project_id, text)
        except ReelwrightError as error:
            await message.reply(safe(str(error), 1900))
            return
        await message.reply(f"Version {record.number}: {safe('; '.join(record.diff), 1500)}")
        self.spawn(self.render_and_post(message.channel, user_ref(message.author), record, self.upload_limit(message)))

    async def edit_in_conversation(self, user: UserRef, channel: object, project_id: str, instruction: str) -> VersionRecord:
        """An edit stored as a turn of the conversation of the place it was said in (the project's thread),
        or of a new conversation about the project when said elsewhere."""
        bound = await self.service.conversation_by_ref(SURFACE, str(channel.id)) if hasattr(channel, "id") else None
        conversation_id = bound[0] if bound and bound[1] == project_id else None
        turn = await self.service.converse(user, instruction, surface=SURFACE, conversation_id=conversation_id, project_id=project_id)
        return turn.version

    async def render_and_post(self, channel: discord.abc.Messageable, user: UserRef, record: VersionRecord, limit: int) -> None:
        """Follow the render with one edited progress message, then upload the result with buttons."""
        try:
            handle = await self.service.render(user, record.project_id, record.number)
        except ReelwrightError as error:
            await self.send(channel, safe(str(error), 1900))
            return
        progress = await self.send(channel, progress_text("queued", 0.0))
        last_edit, last_stage = 0.0, "queued"
        async for event in handle.events():
            now = time.monotonic()
            if not event.finished and (now - last_edit >= PROGRESS_MIN_INTERVAL_S or event.stage != last_stage):
                await self.edit_message(progress, progress_text(event.stage, event.progress, event.detail, event.queue_position))
                last_edit, last_stage = now, event.stage
        try:
            outcome: RenderOutcome = await handle.result()
        except ReelwrightError as error:
            await self.edit_message(progress, f"❌ {safe(str(error), 1800)}")
            return
        await self.post_result(channel, record, outcome, limit)
        await self.delete_message(progress)

    async def post_result(self, channel: discord.abc.Messageable, record: VersionRecord, outcome: RenderOutcome, limit: int) -> None:
        with tempfile.TemporaryDirectory(prefix="reelwright-fit-") as scratch:
            fitting, preview = await self.service.fit_for_upload(outcome.path, limit, Path(scratch))
            view = result_view(record.project_id, record.plan.narration)
            if fitting is not None:
                note = "" if fitting == outcome.path else "(re-encoded to fit this server's upload limit)"
                await self.send(
                    channel, result_text(record, note), file=discord.File(fitting, f"{record.project_id}-v{record.number}.mp4"), view=view
                )
            else:
                note = f"The full video is too large for this server's {limit / 2**20:.0f} MiB limit even re-encoded; here is a shorter preview."
                file = discord.File(preview, f"{record.project_id}-v{record.number}-preview.mp4") if preview else None
                await self.send(channel, result_text(record, note), file=file, view=view)

    # ------------------------------------------------------------------ helpers
    def spawn(self, coroutine) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery failed", exc_info=task.exception())

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
        path = folder / "upload.bin"
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

    async def project_of(self, channel: object) -> str | None:
        if channel is None or not hasattr(channel, "id"):
            return None
        bound = await self.service.conversation_by_ref(SURFACE, str(channel.id))  # type: ignore[attr-defined]
        return bound[1] if bound else None

    async def allowed(self, interaction: discord.Interaction, project_id: str) -> bool:
        try:
            ok = await self.service.may_edit(project_id, user_ref(interaction.user), is_moderator(interaction.user, interaction.channel))
        except NotFound as error:
            await self.reply(interaction, str(error), ephemeral=True)
            return False
        if not ok:
            await self.reply(interaction, "Only the project's owner and people they `/share` it with can change it.", ephemeral=True)
        return ok

    def upload_limit(self, origin: discord.Interaction | discord.Message) -> int:
        if isinstance(origin, discord.Interaction):
            return origin.filesize_limit or DEFAULT_UPLOAD_LIMIT
        return origin.guild.filesize_limit if origin.guild else DEFAULT_UPLOAD_LIMIT

    async def reply(
        self, origin: discord.Interaction | discord.Message, content: str, *, ephemeral: bool = False, embed: discord.Embed | None = None
    ) -> discord.Message:
        content = content[:2000]
        extra = {"embed": embed} if embed else {}
        if isinstance(origin, discord.Interaction):
            if origin.response.is_done():
                return await origin.followup.send(content, ephemeral=ephemeral, wait=True, **extra)
            await origin.response.send_message(content, ephemeral=ephemeral, **extra)
            return await origin.original_response()
        return await origin.reply(content, **extra)

    async def send(self, channel: discord.abc.Messageable, content: str, **kwargs: object) -> discord.Message | None:
        """A channel message that gets through if anything can.

        A server error is retried once (discord.py already retries 429s and transient 5xx); when a
        project thread was deleted, archived and locked, we lost permission there, or it keeps
        failing, the message goes to the thread's parent channel, so a finished video is not lost.
        """
        for attempt in (1, 2):
            try:
                return await channel.send(content[:2000], **kwargs)  # type: ignore[arg-type]
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
        return await self.send(parent, content, **kwargs)

    async def edit_message(self, message: discord.Message | None, content: str) -> None:
        if message is None:
            return
        try:
            await message.edit(content=content[:2000])
        except discord.HTTPException as error:
            log.info("progress edit failed (%s)", error.status)

    async def delete_message(self, message: discord.Message | None) -> None:
        if message is None:
            return
        try:
            await message.delete()
        except discord.HTTPException:
            pass

    async def button(self, interaction: discord.Interaction, action: str, project_id: str) -> None:
        """A click on a result button (see ``buttons.ResultButton``)."""
        if not await self.allowed(interaction, project_id):
            return
        if action == "edit":
            from reelwright.bot.discord_bot.buttons import EditModal

            await interaction.response.send_modal(EditModal(self, project_id))
            return
        if action == "delete":
            await interaction.response.defer(ephemeral=True)
            if interaction.message is not None:
                await self.delete_message(interaction.message)
            await self.reply(interaction, "Deleted that video from the chat; the project's history is kept.", ephemeral=True)
            return
        instruction = await self.instruction_for(action, project_id)
        await interaction.response.defer(thinking=True)
        await self.apply_edit(interaction, project_id, instruction)

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


__all__ = ["ResultButton", "Studio"]
