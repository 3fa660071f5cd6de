"""The render queue: /queue and /cancel."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from reelwright.bot.discord_bot.chat import allowed, project_of, reply
from reelwright.bot.service import ConversationService


class Queue(commands.Cog):
    def __init__(self, service: ConversationService) -> None:
        self.service = service

    @app_commands.command(name="queue", description="Videos rendering now and waiting.")
    async def queue(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        jobs = await self.service.queue()
        lines = [
            f"`{job.project_id}` v{job.version}: {'rendering' if position == 0 else f'#{position} in queue'} "
            f"({job.stage}, {job.progress * 100:.0f}%)"
            for job, position in jobs
        ] or ["Nothing is rendering."]
        await reply(interaction, "\n".join(lines), ephemeral=True)

    @app_commands.command(name="cancel", description="Stop a project's render.")
    async def cancel(self, interaction: discord.Interaction, project: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        project_id = project or await project_of(self.service, interaction.channel)
        if project_id is None or not await allowed(self.service, interaction, project_id):
            return
        stopped = await self.service.cancel_project(project_id)
        await reply(interaction, "Cancelling." if stopped else "Nothing is rendering for that project.", ephemeral=True)
