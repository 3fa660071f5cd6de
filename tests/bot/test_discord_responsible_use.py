"""Responsible use in Discord: consent before animating a photo, refusals with a way to appeal, the
admins' audit and policy, and the disclosure on every result — through the real discord.py client on simcord."""

from __future__ import annotations

import discord
import pytest
from discord_world import answer, png_bytes, project_of_result, result_message, said, world

from reelwright.bot.service import ConversationService

pytestmark = [pytest.mark.asyncio, pytest.mark.simcord(settle_timeout=180)]

ADMINS = discord.Permissions(manage_guild=True, send_messages=True, view_channel=True, read_message_history=True)


def service_of(env) -> ConversationService:
    return env.bot.service


def consent_prompt(place) -> discord.Message:
    return next(m for m in reversed(place.history()) if m.components and "confirm" in m.content)


async def test_a_photo_is_animated_only_after_its_uploader_confirms_and_the_confirmation_is_kept(simcord_env) -> None:
    _, channel, alice, bob = world(simcord_env)
    me = simcord_env.bot.user
    await alice.send(channel, f"{me.mention} bring me to life, 2 seconds", attachments=[("me.png", png_bytes())])
    assert channel.threads == []  # nothing planned yet
    prompt = consent_prompt(channel)
    assert "I am the person in this image" in prompt.content
    refused = await bob.click(prompt, label="I confirm")
    assert "Only the person who uploaded" in said(refused)
    await alice.click(prompt, label="I confirm")
    result = result_message(channel.threads[0])
    assert "AI-generated" in result.content and "/verify" in result.content
    [consent] = await service_of(simcord_env).consents(project_of_result(channel.threads[0]))
    assert consent.user.external_id == str(alice.id)


async def test_animate_asks_its_uploader_alone_and_cancelling_stores_nothing(simcord_env) -> None:
    _, channel, alice, bob = world(simcord_env)
    asked = await alice.slash(channel, "animate", image=("me.png", png_bytes()), duration=2.0)
    assert asked.ephemeral and "I am the person in this image" in said(asked)
    assert channel.history(viewer=bob) == []
    cancelled = await alice.click(answer(asked), label="Cancel")
    assert "nothing was stored" in said(cancelled)
    assert channel.threads == [] and await service_of(simcord_env).history() == []


async def test_a_refused_request_says_why_and_admins_see_it_in_the_audit(simcord_env) -> None:
    guild, channel, alice, bob = world(simcord_env)
    admin = guild.add_member(simcord_env.create_user("admin"), roles=[guild.create_role("admins", permissions=ADMINS)])
    refused = await alice.slash(channel, "video", prompt="a deepfake of Taylor Swift endorsing my shop", duration=2.0)
    assert refused.ephemeral and "Refusal #1" in said(refused) and "/appeal" in said(refused)
    assert channel.threads == [] and channel.history(viewer=bob) == []  # refused in private: nobody else sees it
    assert "audit list" not in bob.available_commands(channel)  # hidden from people who are not admins
    audit = next(command for command in await simcord_env.bot.tree.fetch_commands() if command.name == "audit")
    guild.set_command_permissions(audit, {bob: True})  # a server that opened it to everyone: still admins only
    assert "Only this server's admins" in said(await bob.slash(channel, "audit list"))
    listed = said(await admin.slash(channel, "audit list"))
    assert "#1" in listed and "impersonation" in listed and "endorsing my shop" not in listed
    assert "Appeal recorded" in said(await alice.slash(channel, "appeal", refusal=1, reason="it is a parody, clearly labelled"))
    assert "parody" in said(await admin.slash(channel, "audit list"))
    assert "overturned" in said(await admin.slash(channel, "audit review", refusal=1, decision="overturned", note="parody"))


async def test_a_guild_policy_set_by_an_admin_applies_to_requests_edits_and_buttons(simcord_env) -> None:
    guild, channel, alice, bob = world(simcord_env)
    admin = guild.add_member(simcord_env.create_user("admin"), roles=[guild.create_role("admins", permissions=ADMINS)])
    await alice.slash(channel, "video", prompt="a lighthouse at night", duration=2.0)
    thread = channel.threads[0]
    project = project_of_result(thread)
    assert "policy change" not in bob.available_commands(channel)
    changed = said(await admin.slash(channel, "policy change", block="lighthouse, harbour"))
    assert "lighthouse" in changed and "impersonation" in changed
    assert "Refusal #" in said(await alice.slash(channel, "video", prompt="a harbour at dawn", duration=2.0))
    assert "Refusal #" in said(await alice.slash(thread, "edit", instruction="make it 9:16"))  # its plan still shows a lighthouse
    for button in ("Reroll", "Extend", "Narration off"):
        assert "Refusal #" in said(await alice.click(result_message(thread), label=button)), button
    assert len(await service_of(simcord_env).versions(project)) == 1
    assert "cannot be turned off" in said(await admin.slash(channel, "policy change", disable="impersonation"))
