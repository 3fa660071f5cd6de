"""/voice: the voices this server can narrate with, and people's own cloned voices.

A cloned voice is stored only after the person who uploaded the recording confirms it is their voice
or that they have permission; it narrates only their own projects, and they can delete it (and its
recording) at any time.
"""

from __future__ import annotations

from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from reelwright.bot.discord_bot.chat import ConsentPrompt, reply, report_error, user_ref
from reelwright.bot.discord_bot.text import safe
from reelwright.bot.service import VOICE_CONSENT_STATEMENT, VOICE_SAMPLE_MAX_BYTES, ConversationService
from reelwright.errors import ReelwrightError

DEFAULT_NAME = "my-voice"


class Voices(commands.Cog):
    voice = app_commands.Group(name="voice", description="Narration voices and your cloned voice.")

    def __init__(self, service: ConversationService) -> None:
        self.service = service

    @voice.command(name="list", description="The voices installed here, and your cloned voices.")
    async def list_voices(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        catalog = [info for info in await self.service.voices() if info.installed]
        mine = await self.service.cloned_voices(user_ref(interaction.user))
        lines = ["**Your cloned voices**" if mine else "You have no cloned voice: `/voice clone` with a 10-30 s recording."]
        lines += [f"`clone:{record.name}` ({record.sample_seconds:.0f} s)" for record in mine]
        lines.append("**Voices here**")
        lines += [f"`{info.preset.name}` — {info.preset.description}; {', '.join(info.preset.languages[:8])}" for info in catalog]
        await reply(interaction, "\n".join(lines), ephemeral=True)

    @voice.command(name="clone", description="Store your voice for your own videos (10-30 s of clear speech).")
    @app_commands.describe(sample="A recording of your voice", name="A name for it (letters, digits, - and _)")
    async def clone(self, interaction: discord.Interaction, sample: discord.Attachment, name: str = DEFAULT_NAME) -> None:
        if sample.size > VOICE_SAMPLE_MAX_BYTES:  # checked before downloading a byte
            await reply(interaction, f"That recording is {sample.size / 2**20:.0f} MiB; 10-30 seconds of speech is plenty.", ephemeral=True)
            return

        async def store(confirmed: discord.Interaction) -> None:
            with self.service.scratch.folder("voice-upload-") as scratch:
                path = Path(scratch) / (Path(sample.filename).name or "sample")
                path.write_bytes(await sample.read())
                try:
                    record = await self.service.clone_voice(user_ref(confirmed.user), name, path, confirmed=True)
                except ReelwrightError as error:
                    await report_error(confirmed, error)
                    return
            await reply(
                confirmed,
                f'Stored `clone:{safe(record.name, 40)}` ({record.sample_seconds:.0f} s). Say "use my voice" in a request or an edit; '
                "it narrates only your projects. `/voice delete` removes it and the recording.",
                ephemeral=True,
            )

        prompt = ConsentPrompt(
            interaction.user.id,
            store,
            statement=VOICE_CONSENT_STATEMENT,
            declined="Not cloned; the recording was not stored.",
            expired="No confirmation came, so the voice was not cloned; nothing was stored.",
        )
        await interaction.response.send_message(
            f"Before I clone this voice, please confirm: {VOICE_CONSENT_STATEMENT}", view=prompt, ephemeral=True
        )
        prompt.message = await interaction.original_response()

    @voice.command(name="delete", description="Delete one of your cloned voices and its recording.")
    async def delete(self, interaction: discord.Interaction, name: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            record = await self.service.delete_voice(user_ref(interaction.user), name)
        except ReelwrightError as error:
            await report_error(interaction, error)
            return
        await reply(interaction, f"Deleted `clone:{safe(record.name, 40)}` and its recording.", ephemeral=True)

    @delete.autocomplete("name")
    async def your_voices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        mine = await self.service.cloned_voices(user_ref(interaction.user))
        return [app_commands.Choice(name=record.name, value=record.name) for record in mine if current.lower() in record.name.lower()][:25]
