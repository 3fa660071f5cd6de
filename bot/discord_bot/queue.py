"""The render queue: /queue and /cancel."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from reelwright.access import Action
from reelwright.bot.discord_bot.chat import authorized, project_named_or_here, reply, user_ref
from reelwright.bot.discord_bot.text import safe, starting_in
from reelwright.bot.service import ConversationService


class Queue(commands.Cog):
    def __init__(self, service: ConversationService) -> None:
        self.service = service

    @app_commands.command(name="queue", description="Videos rendering now and waiting.")
    async def queue(self, interaction: discord.Interaction) -> None:
        """Everyone's place in the queue; titles and ids of one's own jobs only."""
        await interaction.response.defer(ephemeral=True)
        me = user_ref(interaction.user)
        lines = []
        for entry in await self.service.queue():
            job, position = entry.job, entry.position
            where = "rendering" if position == 0 else f"#{position} in queue, {starting_in(entry.starts_in_s)}"
            if job.requested_by == me:
                lines.append(f"`{job.project_id}` v{job.version} — {safe(job.title, 80)}: {where} ({job.stage}, {job.progress * 100:.0f}%)")
            else:
                lines.append(f"Someone else's video: {where}")
        await reply(interaction, "\n".join(lines) or "Nothing is rendering.", ephemeral=True)

    @app_commands.command(name="cancel", description="Stop a project's renders, stuck ones included.")
    async def cancel(self, interaction: discord.Interaction, project: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        project_id = await project_named_or_here(self.service, interaction, project)
        if project_id is None:
            return
        if await authorized(self.service, interaction, project_id, Action.EDIT) is None:
            return
        stopped = await self.service.cancel_project(project_id)
        await reply(interaction, f"Cancelled {stopped} render(s)." if stopped else "Nothing is rendering for that project.", ephemeral=True)
