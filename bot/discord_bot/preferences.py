"""/settings: a person's defaults for their next videos."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from reelwright.bot.discord_bot.chat import ASPECTS, VOICES, overrides_from, reply, user_ref
from reelwright.bot.service import ConversationService


class Preferences(commands.Cog):
    def __init__(self, service: ConversationService) -> None:
        self.service = service

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
        await reply(interaction, f"Your defaults: {shown or 'none set'}.", ephemeral=True)
