"""The library: /history and /show, showing only what the person may see."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from reelwright.access import Action, Viewer
from reelwright.bot.discord_bot.chat import authorized, place_of, reply, user_ref
from reelwright.bot.discord_bot.text import plan_embed, safe
from reelwright.bot.service import ConversationService


class Library(commands.Cog):
    def __init__(self, service: ConversationService) -> None:
        self.service = service

    @app_commands.command(name="history", description="Your recent projects, or someone's that you may see.")
    @app_commands.describe(user="Whose projects (their projects in this server, and any shared with you)")
    async def history(self, interaction: discord.Interaction, user: discord.User | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        viewer = Viewer(user_ref(interaction.user), place_of(interaction).guild)
        projects = await self.service.history(user_ref(user) if user else None, viewer)
        lines = [f"`{p.id}` v{p.latest_version} — {safe(p.title, 80)}" for p in projects[:20]] or ["No projects you can see."]
        await reply(interaction, "\n".join(lines), ephemeral=True)

    @app_commands.command(name="show", description="A project's latest plan.")
    async def show(self, interaction: discord.Interaction, project: str) -> None:
        await interaction.response.defer(ephemeral=True)
        found = await authorized(self.service, interaction, project, Action.VIEW)
        if found is None:
            return
        _, record, render = await self.service.show(found.id)
        await interaction.followup.send(embed=plan_embed(record), ephemeral=True, content="Rendered." if render else "Not rendered yet.")
