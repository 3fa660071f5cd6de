"""Responsible use in a server: /audit and /policy for its admins, /appeal for people who were refused.

Admin commands need Manage Server in the guild they are used in (checked here, not only hidden by
Discord's default permissions, which a server can change), and act only on that guild's records.
"""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from reelwright.bot.discord_bot.chat import reply, report_error, user_ref
from reelwright.bot.discord_bot.text import safe
from reelwright.bot.service import ConversationService
from reelwright.errors import ReelwrightError
from reelwright.records import RefusalRecord

ADMINS = discord.Permissions(manage_guild=True)


def is_admin(interaction: discord.Interaction) -> bool:
    member = interaction.user
    return interaction.guild is not None and isinstance(member, discord.Member) and member.guild_permissions.manage_guild


def refusal_line(record: RefusalRecord) -> str:
    who = f"<@{record.user.external_id}>" if record.user and record.user.platform == "discord" else "someone"
    line = f"#{record.id} {discord.utils.format_dt(record.created_at, 'R')} · {record.category} in {record.location} ({record.stage}) · {who} · “{safe(record.matched, 60)}”"
    if record.appeal:
        line += f"\n  appeal: {safe(record.appeal, 200)}"
    if record.decision:
        line += f"\n  {record.decision}" + (f": {safe(record.decision_note, 200)}" if record.decision_note else "")
    elif record.appeal:
        line += "\n  awaiting review: `/audit review`"
    return line


def words(text: str | None) -> list[str]:
    return [word.strip() for word in (text or "").split(",") if word.strip()]


class Moderation(commands.Cog):
    audit = app_commands.Group(
        name="audit", description="What the moderation policy refused in this server (admins).", default_permissions=ADMINS, guild_only=True
    )
    policy = app_commands.Group(
        name="policy", description="This server's moderation policy (admins).", default_permissions=ADMINS, guild_only=True
    )

    def __init__(self, service: ConversationService) -> None:
        self.service = service

    async def admin_only(self, interaction: discord.Interaction) -> bool:
        await interaction.response.defer(ephemeral=True)
        if not is_admin(interaction):
            await reply(interaction, "Only this server's admins (Manage Server) can do that.", ephemeral=True)
            return False
        return True

    @audit.command(name="list", description="Recent refusals in this server, newest first.")
    async def audit_list(self, interaction: discord.Interaction) -> None:
        if not await self.admin_only(interaction):
            return
        assert interaction.guild is not None
        records = await self.service.refusals(str(interaction.guild.id))
        text = "\n".join(refusal_line(record) for record in records) or "Nothing was refused in this server."
        await reply(interaction, text, ephemeral=True)

    @audit.command(name="review", description="Record your decision on a refusal (after an appeal, or on your own initiative).")
    @app_commands.describe(refusal="The refusal's number", decision="Was it right?", note="Why, for the record")
    async def audit_review(
        self, interaction: discord.Interaction, refusal: int, decision: Literal["upheld", "overturned"], note: str | None = None
    ) -> None:
        if not await self.admin_only(interaction):
            return
        assert interaction.guild is not None
        try:
            record = await self.service.review(refusal, str(interaction.guild.id), user_ref(interaction.user), decision, note)
        except ReelwrightError as error:
            await report_error(interaction, error)
            return
        hint = "" if decision == "upheld" else " If the policy is too strict here, `/policy` changes it (deceptive uses stay refused)."
        await reply(interaction, f"Refusal #{record.id} {decision}.{hint}", ephemeral=True)

    @policy.command(name="show", description="What this server refuses.")
    async def policy_show(self, interaction: discord.Interaction) -> None:
        if not await self.admin_only(interaction):
            return
        assert interaction.guild is not None
        await reply(interaction, await self.describe(str(interaction.guild.id)), ephemeral=True)

    @policy.command(name="change", description="Block or unblock words, or turn a general category off or on.")
    @app_commands.describe(
        block="Words or phrases to refuse, comma-separated",
        unblock="Blocked words to allow again, comma-separated",
        disable="General categories to stop refusing, comma-separated",
        enable="Categories to refuse again, comma-separated",
    )
    async def policy_change(
        self,
        interaction: discord.Interaction,
        block: str | None = None,
        unblock: str | None = None,
        disable: str | None = None,
        enable: str | None = None,
    ) -> None:
        if not await self.admin_only(interaction):
            return
        assert interaction.guild is not None
        guild = str(interaction.guild.id)
        try:
            await self.service.update_policy(
                guild, user_ref(interaction.user), block=words(block), unblock=words(unblock), disable=words(disable), enable=words(enable)
            )
        except ReelwrightError as error:
            await report_error(interaction, error)
            return
        await reply(interaction, "Updated. " + await self.describe(guild), ephemeral=True)

    async def describe(self, guild: str) -> str:
        policy = await self.service.policy(guild)
        always, optional = self.service.moderation_categories()
        off = sorted(str(category) for category in policy.disabled)
        on = [name for name in optional if name not in off]
        return (
            f"Always refused: {', '.join(always)}.\n"
            f"Refused here: {', '.join(on) or 'none'}" + (f" (turned off: {', '.join(off)})" if off else "") + ".\n"
            f"Blocked words: {safe(', '.join(policy.blocked_words), 800) or 'none'}."
        )

    @app_commands.command(name="appeal", description="Ask this server's admins to look again at a refusal of yours.")
    @app_commands.describe(refusal="The refusal's number (from the refusal message)", reason="Why it should not have been refused")
    async def appeal(self, interaction: discord.Interaction, refusal: int, reason: str) -> None:
        await interaction.response.defer(ephemeral=True)
        try:
            record = await self.service.appeal(refusal, user_ref(interaction.user), reason)
        except ReelwrightError as error:
            await report_error(interaction, error)
            return
        where = "this server's admins" if record.guild else "the operator"
        await reply(interaction, f"Appeal recorded: {where} will see refusal #{record.id} in the audit.", ephemeral=True)
