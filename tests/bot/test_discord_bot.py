"""The Discord bot, driven through the real discord.py client on simcord (an in-process fake Discord).

The render runs for real (animatic, compose, mark); the LLM is the code-only ``template`` planner so
these behaviour tests stay quick — planning with the embedded model is specified in tests/agent.
"""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
from discord_world import answer, png_bytes, project_of_result, result_message, said, world

from reelwright.bot.discord_bot.app import ReelwrightBot
from reelwright.bot.discord_bot.outlet import QUEUE_REFRESH_S, DiscordOutlet
from reelwright.bot.jobs import JobEvent
from reelwright.bot.service import ConversationService
from reelwright.records import UserRef
from reelwright.settings import Settings

pytestmark = [pytest.mark.asyncio, pytest.mark.simcord(settle_timeout=180)]


async def test_video_posts_the_plan_then_the_result_in_a_project_thread(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    result = await alice.slash(channel, "video", prompt="a lighthouse at night", duration=3.0)
    assert result.acknowledged and "Planned" in result.response.content
    plan_message = next(m for m in channel.history() if m.embeds)
    assert "lighthouse" in plan_message.embeds[0].fields[0].value.lower()
    thread = channel.threads[0]
    video = result_message(thread)
    assert video.attachments[0].filename.endswith(".mp4")
    assert "AI-generated" in video.content and "version 1" in video.content
    labels = [child.label for row in video.components for child in row.children]
    assert labels == ["Reroll", "Edit", "Extend", "Narration off", "Delete"]


async def test_mentions_and_prompts_never_ping_anyone(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="@everyone look at this cat", duration=2.0)
    for message in channel.history() + channel.threads[0].history():
        assert "@everyone" not in message.content.replace("@\u200beveryone", "")
        for embed in message.embeds:
            for field in embed.fields:
                assert "@everyone" not in field.value.replace("@\u200beveryone", "")


async def test_only_the_owner_or_people_they_share_with_may_edit(simcord_env) -> None:
    _, channel, alice, bob = world(simcord_env)
    await alice.slash(channel, "video", prompt="a paper boat", duration=2.0)
    thread = channel.threads[0]
    refused = await bob.slash(thread, "edit", instruction="make it 9:16")
    assert refused.ephemeral and "owner" in said(refused)
    await alice.slash(thread, "share", user=bob)
    accepted = await bob.slash(thread, "edit", instruction="make it 9:16")
    assert "Version 2" in said(accepted)


async def test_buttons_reroll_and_toggle_narration_and_survive_a_restart(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a red kite over hills", duration=2.0)
    thread = channel.threads[0]
    old = simcord_env.bot
    await simcord_env.restart_bot(ReelwrightBot(old.service, old.settings))  # a new process would build a new bot
    clicked = await alice.click(result_message(thread), label="Narration off")
    assert "narration: on -> off" in said(clicked)
    newest = result_message(thread)
    assert "version 2" in newest.content


async def test_animate_refuses_a_file_that_is_not_an_image(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    refused = await alice.slash(channel, "animate", image=("photo.png", b"not really a png"))
    assert refused.ephemeral and "not an image" in said(refused)
    assert channel.threads == [] and channel.history() == []


async def test_animate_brings_an_image_to_life_once_its_uploader_confirms(simcord_env) -> None:
    _, channel, alice, bob = world(simcord_env)
    asked = await alice.slash(channel, "animate", image=("photo.png", png_bytes()), duration=2.0)
    assert asked.ephemeral and channel.history(viewer=bob) == []  # the confirmation is the uploader's alone
    await alice.click(answer(asked), label="I confirm")
    plan_message = next(m for m in channel.history(viewer=bob) if m.embeds)
    assert "Rendering in its thread" in plan_message.content
    assert result_message(channel.threads[0]).attachments


async def test_a_mention_starts_a_project_and_a_mention_in_its_thread_edits_it(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    me = simcord_env.bot.user
    await alice.send(channel, f"{me.mention} make a 2 second video of rain on a window")
    thread = channel.threads[0]
    assert result_message(thread)
    await alice.send(thread, f"{me.mention} make it 9:16")
    assert any("Version 2" in m.content for m in thread.history())


async def test_what_is_said_in_discord_is_stored_like_a_terminal_conversation(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    me = simcord_env.bot.user
    await alice.slash(channel, "video", prompt="a kite over a beach", duration=2.0)
    thread = channel.threads[0]
    await alice.send(thread, f"{me.mention} make it 1:1")
    await alice.slash(thread, "edit", instruction="make shot 1 darker")

    conversation, _ = await simcord_env.bot.service.conversation_by_ref("discord", str(thread.id))
    transcript = await simcord_env.bot.service.transcript(conversation)

    assert [role for role, _ in transcript] == ["user", "assistant"] * 3
    assert transcript[0][1] == "a kite over a beach" and transcript[1][1].startswith("Planned")
    assert transcript[2][1] == "make it 1:1" and transcript[3][1].startswith("Version 2")
    assert transcript[4][1] == "make shot 1 darker" and transcript[5][1].startswith("Version 3")


async def test_a_result_still_arrives_when_the_project_thread_is_gone(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a windmill at dusk", duration=2.0)
    thread = channel.threads[0]
    simcord_env.inject_error("POST", f"/channels/{thread.id}/messages", status=404, times=None)
    await alice.slash(channel, "edit", project=project_of_result(thread), instruction="make it 1:1")
    assert any(m.attachments and "version 2" in m.content for m in channel.history())


async def test_without_permission_to_create_threads_the_project_lives_in_the_channel(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    simcord_env.inject_error("POST", f"/channels/{channel.id}/messages/*/threads", status=403)
    await alice.slash(channel, "video", prompt="a quiet harbour", duration=2.0)
    assert channel.threads == []
    assert any(m.attachments for m in channel.history())
    plan_message = next(m for m in channel.history() if m.embeds)
    assert "Rendering here" in plan_message.content and "thread" not in plan_message.content


async def test_a_direct_message_is_a_private_studio(simcord_env) -> None:
    alice = simcord_env.create_user("alice")
    await alice.send_dm("make a 2 second video of snow falling, no narration")
    messages = alice.dm_channel.history()
    assert any(m.attachments and "AI-generated" in m.content for m in messages)
    assert not any("thread" in m.content for m in messages)  # a DM has no threads; nothing says it has


async def test_a_refused_or_mistaken_request_is_answered_only_to_the_person_who_asked(simcord_env) -> None:
    _, channel, alice, bob = world(simcord_env)
    garbled = await alice.slash(channel, "video", prompt="%%%% #### @@@@", duration=2.0)
    assert garbled.ephemeral and "couldn't read" in said(garbled)
    await alice.slash(channel, "video", prompt="a paper boat", duration=2.0)
    thread = channel.threads[0]
    before = len(thread.history(viewer=bob))
    unclear = await alice.slash(thread, "edit", instruction="hmm")
    assert unclear.ephemeral and "couldn't tell what to change" in said(unclear)
    assert len(thread.history(viewer=bob)) == before
    assert not any("couldn't" in m.content for m in channel.history(viewer=bob))


async def test_a_project_id_that_is_not_one_is_echoed_escaped(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    for command, options in (("show", {}), ("edit", {"instruction": "make it 1:1"}), ("cancel", {})):
        answer = said(await alice.slash(channel, command, project="**big** <@&1> `x`", **options))
        assert "No project" in answer and "\\*\\*big\\*\\*" in answer and "\\`x\\`" in answer, command


async def test_settings_become_the_defaults_of_the_next_video(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    saved = await alice.slash(channel, "settings", aspect="9:16", narration=False)
    assert saved.ephemeral and "aspect: 9:16" in said(saved)
    await alice.slash(channel, "video", prompt="a 2 second video of a cat")
    plan = next(m for m in channel.history() if m.embeds).embeds[0]
    assert "9:16" in plan.description and "narration off" in plan.description


async def test_the_edit_button_opens_a_modal_whose_instruction_makes_a_new_version(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a sailboat", duration=2.0)
    thread = channel.threads[0]
    shown = await alice.click(result_message(thread), label="Edit")
    assert shown.modal is not None
    submitted = await alice.submit_modal(shown, {"instruction": "make shot 1 warmer"})
    assert "shot 1 grade: warmth +0.4" in said(submitted)


async def test_verify_finds_the_marks_in_a_posted_video(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a comet", duration=2.0)
    data = await result_message(channel.threads[0]).attachments[0].read()
    checked = await alice.slash(channel, "verify", file=("download.mp4", data))
    answer = said(checked)
    assert "Made by Reelwright" in answer and "version 1" in answer and "unchanged since" in answer
    assert "Visible label: found" in answer and "Invisible watermark: found" in answer and "(C2PA): valid" in answer
    assert not checked.followups[-1].ephemeral  # a verdict is for everyone here
    unreadable = await alice.slash(channel, "verify", file=("clip.mp4", b"not a video"))
    assert unreadable.ephemeral and "not a video file I can read" in said(unreadable)


async def test_queue_and_cancel_answer_when_nothing_is_rendering(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    assert "Nothing is rendering" in said(await alice.slash(channel, "queue"))
    await alice.slash(channel, "video", prompt="a lantern", duration=2.0)
    thread = channel.threads[0]
    assert "Nothing is rendering" in said(await alice.slash(thread, "cancel"))


async def test_a_server_error_while_posting_the_result_is_retried(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a tram at night", duration=2.0)
    thread = channel.threads[0]
    simcord_env.inject_error("POST", f"/channels/{thread.id}/messages", status=500, times=1)
    await alice.slash(thread, "edit", instruction="make it 1:1")
    assert any(m.attachments and "version 2" in m.content for m in thread.history())


async def test_with_the_message_content_intent_plain_replies_in_a_thread_edit_it(simcord_env) -> None:
    old = simcord_env.bot
    await simcord_env.restart_bot(ReelwrightBot(old.service, old.settings, message_content=True))
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a hot air balloon", duration=2.0)
    thread = channel.threads[0]
    await alice.send(thread, "make shot 1 darker")
    assert any("Version 2" in m.content for m in thread.history())
    before = len(thread.history())
    await alice.send(thread, "nice, thanks!")  # people talking in the thread are left to it
    assert len(thread.history()) == before + 1


async def test_without_the_intent_plain_messages_in_a_thread_are_left_alone(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a hot air balloon", duration=2.0)
    thread = channel.threads[0]
    before = len(thread.history())
    await alice.send(thread, "nice one")
    assert len(thread.history()) == before + 1  # only alice's message


async def test_a_waiting_video_shows_its_place_in_the_queue_as_it_moves_up(tmp_path: Path, simcord_env) -> None:
    settings = Settings(data_dir=tmp_path / "queue", llm_provider="template")
    service = ConversationService(settings)  # renders only what it is handed: the jobs below wait for a worker
    await simcord_env.restart_bot(ReelwrightBot(service, settings))
    _, channel, alice, _ = world(simcord_env)
    person = UserRef("discord", str(alice.id))
    planned = [await service.plan(person, f"a {thing}") for thing in ("kite", "boat", "lamp")]
    jobs = [service.repository.admit_job(version.project_id, 1, person, per_user=5, queue_limit=50) for version in planned]
    outlet = DiscordOutlet(simcord_env.bot.get_channel(channel.id), service.queue_position)

    async def first_event(message: discord.Message) -> None:  # what delivery shows of the last job, as the bot's own work
        if message.author.id == alice.id:
            await outlet.show_progress(None, JobEvent(jobs[2], "queued", "queued", 0.0, queue_position=2, starts_in_s=120.0))

    simcord_env.bot.add_listener(first_event, "on_message")
    await alice.send(channel, "show it")
    shown = channel.history()[-1]
    assert "2 job(s) ahead" in shown.content

    service.repository.cancel_jobs(job_ids=[jobs[0]])
    await simcord_env.advance_time(QUEUE_REFRESH_S)
    assert "1 job(s) ahead" in next(m for m in channel.history() if m.id == shown.id).content
    service.repository.cancel_jobs(job_ids=jobs[1:])  # it left the queue: its own events say how
    await simcord_env.advance_time(QUEUE_REFRESH_S)
    assert outlet.waiting is not None and not outlet.waiting.is_running()
    await service.close()
