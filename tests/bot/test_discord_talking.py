"""Talking portraits in Discord: /animate with words to say, through the real discord.py client on simcord."""

from __future__ import annotations

import io

import pytest
from discord_world import answer, png_bytes, result_message, said, world
from PIL import Image
from skimage import data

pytestmark = [pytest.mark.asyncio, pytest.mark.simcord(settle_timeout=180)]


def portrait_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_animate_with_words_posts_a_talking_portrait_once_the_uploader_confirms_they_may_make_it_speak(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    asked = await alice.slash(channel, "animate", image=("me.png", portrait_bytes()), say="Hi everyone, welcome to the stream!")
    prompt = answer(asked)
    assert "made to speak" in prompt.content
    await alice.click(prompt, label="I confirm")
    plan_message = next(m for m in channel.history() if m.embeds)
    assert "the face says: Hi everyone, welcome to the stream!" in plan_message.embeds[0].fields[0].value
    assert result_message(channel.threads[0]).attachments


async def test_animate_with_words_and_no_face_in_the_picture_says_what_photo_works(simcord_env) -> None:
    _, channel, alice, _ = world(simcord_env)
    asked = await alice.slash(channel, "animate", image=("flat.png", png_bytes()), say="hello")
    clicked = await alice.click(answer(asked), label="I confirm")
    assert "couldn't find a face" in said(clicked)
    assert channel.threads == []
