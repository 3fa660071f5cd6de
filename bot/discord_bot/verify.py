"""/verify: does a video carry Reelwright's marks, and which project and version made it."""

from __future__ import annotations

from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from reelwright.access import Action
from reelwright.bot.discord_bot.chat import authorize, publish, reply, report_error
from reelwright.bot.service import ConversationService
from reelwright.errors import ReelwrightError


class Verify(commands.Cog):
    def __init__(self, service: ConversationService) -> None:
        self.service = service

    async def attribution(self, interaction: discord.Interaction, project_id: str, version: int) -> str:
        """Which project made it, named only to people who may see that project; others learn it is ours."""
        try:
            await authorize(self.service, interaction, project_id, Action.VIEW)
        except ReelwrightError:
            return "a Reelwright project you cannot see"
        return f"project `{project_id}` version {version}"

    @app_commands.command(name="verify", description="Check a video for Reelwright's marks.")
    async def verify(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)  # a file that cannot be checked is the sender's business
        limit = self.service.settings.max_verify_bytes
        if file.size > limit:  # checked before downloading a byte
            await reply(
                interaction,
                f"That file is {file.size / 2**20:.0f} MiB; videos up to {limit / 2**20:.0f} MiB can be checked.",
                ephemeral=True,
            )
            return
        with self.service.scratch.folder("verify-") as scratch:
            path = Path(scratch) / "upload.mp4"
            path.write_bytes(await file.read())
            try:
                result = await self.service.verify(path)
            except ReelwrightError as error:
                await report_error(interaction, error)
                return
        where = "no project of ours"
        if result.project is not None:
            project_id, version = result.project
            where = (
                await self.attribution(interaction, project_id, version)
                if result.render
                else f"project `{project_id}` version {version}, no longer on record here"
            )
        await publish(interaction, "\n".join(result.lines(where)), private_note="Checked.")
