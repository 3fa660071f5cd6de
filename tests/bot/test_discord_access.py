"""Who may see and change a project in Discord, and what people are told when jobs end badly.

Real discord.py on simcord, real renders. Rights follow the project's own place: its guild and
channel, never the channel a command is typed in.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import discord
import pytest
from discord_world import project_of_result, result_message, said, world

from reelwright.bot.discord_bot.app import ReelwrightBot
from reelwright.bot.service import ConversationService
from reelwright.records import UserRef
from reelwright.settings import Settings
from reelwright.storage.models import Job, utcnow

pytestmark = [pytest.mark.asyncio, pytest.mark.simcord(settle_timeout=180)]

MODERATOR = discord.Permissions(manage_messages=True, send_messages=True, view_channel=True, read_message_history=True)


def service_of(env) -> ConversationService:
    return env.bot.service


async def versions(env, project_id: str) -> int:
    return len(await service_of(env).versions(project_id))


async def test_a_moderator_of_another_server_has_no_say_over_a_project(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a paper boat", duration=2.0)
    project = project_of_result(channel.threads[0])

    own_server = simcord_env.create_guild()
    mods = own_server.create_role("mods", permissions=MODERATOR)
    mallory = own_server.add_member(simcord_env.create_user("mallory"), roles=[mods])
    elsewhere = own_server.create_text_channel("general")

    for command, options in (
        ("edit", {"instruction": "make it 9:16", "project": project}),
        ("share", {"user": mallory, "project": project}),
        ("cancel", {"project": project}),
        ("show", {"project": project}),
    ):
        refused = await mallory.slash(elsewhere, command, **options)
        assert refused.ephemeral and "that you can see" in said(refused), command
    assert await versions(simcord_env, project) == 1
    assert elsewhere.history() == []  # nothing of alice's project was posted in mallory's server


async def test_a_moderator_of_the_projects_server_may_edit_cancel_and_unshare_but_not_share(simcord_env) -> None:
    guild, channel, alice, bob = world(simcord_env)
    mods = guild.create_role("mods", permissions=MODERATOR)
    moderator = guild.add_member(simcord_env.create_user("mod"), roles=[mods])
    await alice.slash(channel, "video", prompt="a red kite", duration=2.0)
    thread = channel.threads[0]
    await alice.slash(thread, "share", user=bob)

    assert "Version 2" in said(await moderator.slash(thread, "edit", instruction="make it 1:1"))
    assert "Nothing is rendering" in said(await moderator.slash(thread, "cancel"))
    refused = await moderator.slash(thread, "share", user=moderator)
    assert "Only the project's owner can share" in said(refused)
    assert "can no longer edit" in said(await moderator.slash(thread, "unshare", user=bob))
    assert "owner" in said(await bob.slash(thread, "edit", instruction="make it 9:16"))


async def test_people_shared_with_cannot_share_onward(simcord_env) -> None:
    guild, channel, alice, bob = world(simcord_env)
    carol = guild.add_member(simcord_env.create_user("carol"))
    await alice.slash(channel, "video", prompt="a glass of lemonade", duration=2.0)
    thread = channel.threads[0]
    await alice.slash(thread, "share", user=bob)
    refused = await bob.slash(thread, "share", user=carol)
    assert refused.ephemeral and "Only the project's owner can share" in said(refused)
    assert "owner" in said(await carol.slash(thread, "edit", instruction="make it 1:1"))


async def test_a_dm_project_is_private_to_its_people(simcord_env) -> None:
    guild, channel, _, bob = world(simcord_env)
    mods = guild.create_role("mods", permissions=MODERATOR)
    alice_user = simcord_env.create_user("ann")
    alice = guild.add_member(alice_user)
    mallory = guild.add_member(simcord_env.create_user("mallory"), roles=[mods])
    await alice_user.send_dm("make a 2 second video of a secret garden, no narration")
    project = project_of_result(alice_user.dm_channel)

    for command, options in (("show", {"project": project}), ("edit", {"instruction": "make it 1:1", "project": project})):
        refused = await mallory.slash(channel, command, **options)
        assert "that you can see" in said(refused), command
    assert project not in said(await mallory.slash(channel, "history", user=alice))
    assert project in said(await alice.slash(channel, "history"))  # your own, wherever you ask

    await alice_user.slash("share", user=bob, project=project)
    edited = await bob.slash(channel, "edit", instruction="make it 1:1", project=project)
    assert edited.ephemeral and "your DMs" in said(edited)
    assert channel.history() == []  # the private project never appears in the server
    assert any(m.attachments and "version 2" in m.content for m in bob.user.dm_channel.history())


async def test_verify_names_a_project_only_to_people_who_may_see_it(simcord_env) -> None:
    _, channel, _, bob = world(simcord_env)
    alice_user = simcord_env.create_user("ann")
    await alice_user.send_dm("make a 2 second video of a secret garden, no narration")
    data = await result_message(alice_user.dm_channel).attachments[0].read()
    project = project_of_result(alice_user.dm_channel)
    checked = await bob.slash(channel, "verify", file=("found-online.mp4", data))
    assert "Made by Reelwright" in said(checked) and "cannot see" in said(checked) and project not in said(checked)
    own = await alice_user.slash("verify", file=("mine.mp4", data))
    assert project in said(own)


async def test_history_lists_your_own_and_someones_projects_in_this_server(simcord_env) -> None:
    _, channel, alice, bob = world(simcord_env)
    await alice.slash(channel, "video", prompt="a hot air balloon", duration=2.0)
    project = project_of_result(channel.threads[0])
    assert "No projects you can see" in said(await bob.slash(channel, "history"))
    assert project in said(await bob.slash(channel, "history", user=alice))


async def test_the_queue_shows_everyone_s_place_but_only_your_own_titles(simcord_env) -> None:
    _, channel, alice, bob = world(simcord_env)
    await alice.slash(channel, "video", prompt="an owl at dusk", duration=2.0)
    await bob.slash(channel, "video", prompt="a secret birthday surprise", duration=2.0)
    mine, theirs = project_of_result(channel.threads[0]), project_of_result(channel.threads[1])
    repository = service_of(simcord_env).repository
    for project, who in ((mine, alice), (theirs, bob)):  # renders a GPU worker is running right now
        job = repository.admit_job(project, 1, UserRef("discord", str(who.id)), per_user=5, queue_limit=50)
        repository.claim_job("gpu-1:9", 600, only={job})

    shown = said(await alice.slash(channel, "queue"))
    assert mine in shown and "owl" in shown.lower()
    assert "Someone else's video" in shown and theirs not in shown and "birthday" not in shown.lower()


async def test_without_a_thread_the_project_does_not_take_over_the_channel(simcord_env) -> None:
    old = simcord_env.bot
    await simcord_env.restart_bot(ReelwrightBot(old.service, old.settings, message_content=True))
    _, channel, alice, bob = world(simcord_env)
    me = simcord_env.bot.user
    simcord_env.inject_error("POST", f"/channels/{channel.id}/messages/*/threads", status=403)
    await alice.slash(channel, "video", prompt="a quiet harbour", duration=2.0)
    project = project_of_result(channel)

    await bob.send(channel, "lovely!")  # plain talk in the channel is left alone
    await bob.send(channel, f"{me.mention} make a 2 second video of a red bicycle")  # bob's own project
    bobs = [p for p in await service_of(simcord_env).history() if p.id != project]
    assert len(bobs) == 1 and bobs[0].owner == "bob"
    assert await versions(simcord_env, project) == 1

    await alice.send(channel, "make it 1:1", reply_to=result_message(channel))  # a reply to its video edits it
    assert await versions(simcord_env, project) == 2
    await alice.send(channel, f"{me.mention} {project} make it 9:16")  # so does a mention naming it
    assert await versions(simcord_env, project) == 3


async def test_a_progress_message_left_behind_by_a_crash_says_how_the_job_ended(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a comet", duration=2.0)
    thread = channel.threads[0]
    project = project_of_result(thread)
    repository = service_of(simcord_env).repository

    # A bot process died while its job was running elsewhere; the job then failed for good.
    stale = await simcord_env.bot.get_channel(thread.id).send("🎬 Rendering `████░░░░░░` 40%")
    crashed = repository.admit_job(
        project, 1, UserRef("discord", str(alice.id)), per_user=5, queue_limit=50, reply_ref=f"discord:{thread.id}"
    )
    repository.claim_job("gpu-box-9:1", 60, only={crashed})
    repository.set_notice(crashed, f"discord:{thread.id}/{stale.id}")
    repository.finish_job(
        crashed, "gpu-box-9:1", "failed", error="CUDA error: an illegal memory access", code=5, chat="A generation model failed."
    )

    assert simcord_env.bot.sweeper.is_running()
    await simcord_env.bot.sweep()  # what the loop runs on connecting and every half lease
    await simcord_env.settle()

    edited = next(m for m in thread.history() if m.id == stale.id)
    assert edited.content == "❌ A generation model failed."  # what chat may hear, not the operator's details
    assert await service_of(simcord_env).outbox("discord", set()) == []


async def test_a_video_finished_while_the_bot_was_away_is_posted_once_when_it_returns(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a lantern", duration=2.0)
    thread = channel.threads[0]
    project = project_of_result(thread)
    service = service_of(simcord_env)
    before = len(thread.history())

    # The job was queued from chat, then rendered by a worker while no bot was following it.
    job = service.repository.admit_job(
        project, 1, UserRef("discord", str(alice.id)), per_user=5, queue_limit=50, reply_ref=f"discord:{thread.id}"
    )
    claimed = service.repository.claim_job("gpu-box-9:1", 60, only={job})
    assert claimed is not None
    service.renders.run(claimed, lambda stage, fraction, detail: None)
    service.repository.finish_job(job, "gpu-box-9:1", "succeeded")

    for _ in range(3):  # the sweep runs again and again: the video is posted once
        await simcord_env.bot.sweep()
        await simcord_env.settle()
    posted = thread.history()[before:]
    assert len(posted) == 1 and posted[0].attachments[0].filename == f"{project}-v1.mp4"
    assert service.repository.job(job).delivered

    # A bot that posted it and was killed before marking it: once its claim has run out, the next bot
    # finds the video in the thread and does not post it again.
    with service.repository.sessions.begin() as session:
        row = session.get(Job, job)
        row.delivered_at, row.delivering_until = None, utcnow() - timedelta(seconds=1)
    await simcord_env.bot.sweep()
    await simcord_env.settle()
    assert len(thread.history()[before:]) == 1 and service.repository.job(job).delivered


async def test_chat_errors_never_show_file_paths(tmp_path: Path, simcord_env) -> None:
    settings = Settings(
        data_dir=tmp_path / "other",
        llm_provider="template",
        backend_options={"piper": {"model_path": "/srv/reelwright/private/voices/en.onnx"}},
    )
    await simcord_env.restart_bot(ReelwrightBot(ConversationService(settings), settings))
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a lighthouse with narration", duration=2.0)
    thread = channel.threads[0]
    failure = next(m for m in thread.history() if m.content.startswith("❌"))
    assert "generation model failed" in failure.content
    for message in channel.history() + thread.history():
        assert "/srv" not in message.content and "onnx" not in message.content
