"""The library: /history and /show."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from reelwright.bot.discord_bot.chat import reply, report_error, user_ref
from reelwright.bot.discord_bot.text import plan_embed, safe
from reelwright.bot.service import ConversationService
from reelwright.errors import ReelwrightError


class Library(commands.Cog):
    def __init__(self, service: ConversationService) -> None:
        self.service = service

    @app_commands.command(name="history", description="Recent projects.")
    async def history(self, interaction: discord.Interaction, user: discord.User | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        projects = await self.service.history(user_ref(user) if user else None)
        lines = [f"`{p.id}` v{p.latest_version} — {safe(p.title, 80)}" for p in projects[:20]] or ["No projects yet."]
        await reply(interaction, "\n".join(lines), ephemeral=True)

    @app_commands.command(name="show", description="A project's latest plan.")
    async def show(self, interaction: discord.Interaction, project: str) -> None:
        await interaction.response.defer(ephemeral=True)
        try:
            _, record, render = await self.service.show(project)
        except ReelwrightError as error:
            await report_error(interaction, error)
            return
        await interaction.followup.send(embed=plan_embed(record), ephemeral=True, content="Rendered." if render else "Not rendered yet.")
