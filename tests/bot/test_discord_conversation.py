"""What a message to the bot means, through the real discord.py client on simcord: a new video, a change to
one, or neither; and that a change is answered where its project lives.

Real renders with the code-only ``template`` planner, as in test_discord_bot.
"""

from __future__ import annotations

import pytest
from discord_world import png_bytes, project_of_result, result_message, said, world

from reelwright.bot.service import ConversationService
from reelwright.records import UserRef

pytestmark = [pytest.mark.asyncio, pytest.mark.simcord(settle_timeout=180)]


def service_of(env) -> ConversationService:
    return env.bot.service


async def versions(env, project_id: str) -> int:
    return len(await service_of(env).versions(project_id))


async def test_a_new_request_in_a_dm_starts_a_new_video_and_a_change_edits_the_latest(simcord_env) -> None:
    alice = simcord_env.create_user("alice")
    await alice.send_dm("make a 2 second video of snow falling, no narration")
    first = project_of_result(alice.dm_channel)
    await alice.send_dm("a 2 second video of a red bicycle, no narration")
    second = project_of_result(alice.dm_channel)
    assert second != first and await versions(simcord_env, first) == 1

    await alice.send_dm("make it 1:1")
    assert await versions(simcord_env, second) == 2 and await versions(simcord_env, first) == 1
    assert "version 2" in result_message(alice.dm_channel).content


async def test_a_greeting_gets_a_short_answer_not_a_video(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    dm_user = simcord_env.create_user("dora")
    await dm_user.send_dm("hi")
    await alice.send(channel, f"{simcord_env.bot.user.mention} thanks!")
    answers = [m.content for m in dm_user.dm_channel.history() + channel.history() if m.author.bot]
    assert len(answers) == 2 and all("Describe a video" in answer for answer in answers)
    assert await service_of(simcord_env).history() == [] and channel.threads == []


async def test_a_change_mentioned_in_the_channel_edits_your_latest_video_there_in_its_thread(simcord_env) -> None:
    _, channel, alice, bob = world(simcord_env)
    me = simcord_env.bot.user
    await alice.slash(channel, "video", prompt="a paper boat on a pond", duration=2.0)
    thread = channel.threads[0]
    project = project_of_result(thread)

    await alice.send(channel, f"{me.mention} make it darker")
    assert await versions(simcord_env, project) == 2 and len(channel.threads) == 1
    assert any(m.content.startswith("Version 2:") for m in thread.history())
    assert "version 2" in result_message(thread).content
    conversation, _ = await service_of(simcord_env).conversation_by_ref("discord", str(thread.id))
    assert ("user", "make it darker") in await service_of(simcord_env).transcript(conversation)  # the thread's conversation

    await bob.send(channel, f"{me.mention} make it darker")  # bob has no video here: he is asked which one
    assert "which" in channel.history()[-1].content and await versions(simcord_env, project) == 2


async def test_a_reply_in_the_channel_changes_the_video_in_its_thread(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    me = simcord_env.bot.user
    await alice.slash(channel, "video", prompt="a windmill at dusk", duration=2.0)
    thread = channel.threads[0]
    project = project_of_result(thread)
    plan_message = next(m for m in channel.history() if m.embeds)

    await alice.send(channel, me.mention, reply_to=plan_message, attachments=[("notes.txt", b"shot 1 darker")])
    assert "What should change" in channel.history()[-1].content and "notes.txt" in channel.history()[-2].content
    assert await versions(simcord_env, project) == 1

    await alice.send(channel, f"{me.mention} make it 1:1", reply_to=plan_message)
    assert "Version 2:" in next(m for m in thread.history() if m.content.startswith("Version")).content
    assert thread.mention in channel.history()[-1].content  # the channel is told where it went
    assert "version 2" in result_message(thread).content
    assert not any(m.attachments for m in channel.history() if m.author.bot)


async def test_files_that_are_not_images_are_named_and_not_silently_dropped(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    me = simcord_env.bot.user
    await alice.send(
        channel,
        f"{me.mention} a 2 second video of a lighthouse, no narration",
        attachments=[("script.pdf", b"%PDF-1.4"), ("notes.txt", b"some notes")],
    )
    note = next(m.content for m in channel.history() if m.author.bot and "ignored" in m.content)
    assert "script.pdf" in note and "notes.txt" in note and "not an image" in note
    assert result_message(channel.threads[0]).attachments  # the request itself went ahead


async def test_extend_adds_a_shot_and_keeps_the_shots_as_they_were(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    await alice.slash(channel, "video", prompt="a red kite over hills", duration=4.0)
    thread = channel.threads[0]
    project = project_of_result(thread)
    before = (await service_of(simcord_env).versions(project))[-1].plan

    await alice.click(result_message(thread), label="Extend")
    after = (await service_of(simcord_env).versions(project))[-1].plan
    assert len(after.shots) == len(before.shots) + 1
    assert [shot.duration_s for shot in after.shots[:-1]] == [shot.duration_s for shot in before.shots]
    assert after.total_duration_s > before.total_duration_s


async def test_an_over_the_limit_request_makes_no_plan_and_no_thread(simcord_env) -> None:
    _, channel, alice, bob = world(simcord_env)
    me = simcord_env.bot.user
    await alice.slash(channel, "video", prompt="a lantern", duration=2.0)
    project = project_of_result(channel.threads[0])
    repository = service_of(simcord_env).repository
    for _ in range(2):  # the limit in these tests: two renders a person, here running on a GPU worker elsewhere
        job = repository.admit_job(project, 1, UserRef("discord", str(alice.id)), per_user=5, queue_limit=50)
        repository.claim_job("gpu-1:9", 600, only={job})

    refused = await alice.slash(channel, "video", prompt="a comet", duration=2.0)
    assert refused.ephemeral and "You already have 2 video(s) rendering" in said(refused)
    assert "/cancel" in said(refused) and "reelwright cancel" not in said(refused) and "\\`" not in said(refused)  # for Discord
    edit = await alice.slash(channel.threads[0], "edit", instruction="make it 1:1")
    assert edit.ephemeral and "already have" in said(edit)
    await alice.send(channel, f"{me.mention} a 2 second video of a comet", attachments=[("me.png", png_bytes())])
    assert "already have" in channel.history()[-1].content  # asked before any confirmation

    assert len(channel.threads) == 1 and len(await service_of(simcord_env).history()) == 1
    assert await versions(simcord_env, project) == 1
    public = [m for m in channel.history(viewer=bob) if "already have" in m.content]
    assert len(public) == 1  # the commands were refused in private; a mention is answered where it was said
