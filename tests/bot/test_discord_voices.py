"""/voice in Discord: a voice is cloned only after its uploader confirms, stays theirs, and is deleted with its
recording — through the real discord.py client on simcord."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from discord_world import said, world

pytestmark = [pytest.mark.asyncio, pytest.mark.simcord(settle_timeout=120)]


def recording(seconds: float = 5.0) -> bytes:
    rate = 16000
    t = np.arange(int(seconds * rate)) / rate
    voiced = np.sign(np.sin(2 * np.pi * 150 * t)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2) * 0.3
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((voiced * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def last_prompt(result):
    return next(message for message in [result.response, *result.followups] if message is not None and message.components)


async def test_a_voice_is_cloned_only_after_its_uploader_confirms_and_only_they_see_it(simcord_env) -> None:
    _, channel, alice, bob = world(simcord_env)
    service = simcord_env.bot.service
    asked = await alice.slash(channel, "voice clone", sample=("me.wav", recording()), name="alice-voice")
    assert "This is my own voice" in said(asked)
    assert await service.cloned_voices(service_user(alice)) == []  # nothing kept before confirming
    await alice.click(last_prompt(asked), label="I confirm")  # the prompt is ephemeral: only she sees it
    [stored] = await service.cloned_voices(service_user(alice))
    assert stored.name == "alice-voice"
    assert "clone:alice-voice" in said(await alice.slash(channel, "voice list"))
    assert "clone:alice-voice" not in said(await bob.slash(channel, "voice list"))
    assert "no voice named alice-voice" in said(await bob.slash(channel, "voice delete", name="alice-voice"))
    assert await service.cloned_voices(service_user(alice)) != []
    assert "Deleted" in said(await alice.slash(channel, "voice delete", name="alice-voice"))
    assert await service.cloned_voices(service_user(alice)) == []


async def test_cancelling_a_clone_keeps_nothing(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    asked = await alice.slash(channel, "voice clone", sample=("me.wav", recording()))
    await alice.click(last_prompt(asked), label="Cancel")
    assert await simcord_env.bot.service.cloned_voices(service_user(alice)) == []


async def test_a_recording_that_is_too_short_is_refused_with_what_to_record(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    asked = await alice.slash(channel, "voice clone", sample=("me.wav", recording(1.0)))
    answered = await alice.click(last_prompt(asked), label="I confirm")
    assert "at least 3 seconds" in said(answered)
    assert await simcord_env.bot.service.cloned_voices(service_user(alice)) == []


def service_user(member):
    from reelwright.records import UserRef

    return UserRef("discord", str(member.id), "")
