"""The Discord bot on the wire: a real discord.py client against a loopback Discord-compatible server.

Covers what an in-process fake cannot see: the gateway handshake, heartbeats flowing while a render
runs, a slash command whose image is downloaded from its attachment URL, the multipart upload of the
result, a 429 with retry_after, and buttons that still work after the bot restarts.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio
from discord_loopback import CHANNEL, LoopbackDiscord
from PIL import Image
from pydantic import SecretStr

from reelwright.bot.discord_bot.app import ReelwrightBot, point_at
from reelwright.bot.service import ConversationService
from reelwright.settings import Settings

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def server():
    loopback = LoopbackDiscord()
    await loopback.start()
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield loopback
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway
    await loopback.stop()


@pytest.fixture
def service(tmp_path: Path, server: LoopbackDiscord):
    settings = Settings(
        data_dir=tmp_path / "data",
        llm_provider="template",
        discord_api_base=server.api_base,
        discord_gateway_url=server.gateway_url,
        discord_token=SecretStr("loopback-token"),
    )
    return ConversationService(settings)


async def start_bot(service: ConversationService, server: LoopbackDiscord) -> tuple[ReelwrightBot, asyncio.Task[None]]:
    point_at(service.settings)
    server.ready.clear()
    bot = ReelwrightBot(service, service.settings, guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start("loopback-token"))
    await asyncio.wait_for(server.ready.wait(), 20)
    return bot, task


async def stop_bot(bot: ReelwrightBot, task: asyncio.Task[None]) -> None:
    await bot.close()
    await asyncio.wait_for(task, 10)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 140, 220)).save(buffer, "PNG")
    return buffer.getvalue()


async def video_with_image(server: LoopbackDiscord) -> int:
    server.files["photo.png"] = png()
    attachment = {
        "id": "555",
        "filename": "photo.png",
        "size": len(server.files["photo.png"]),
        "url": server.url_for("photo.png"),
        "proxy_url": server.url_for("photo.png"),
        "content_type": "image/png",
    }
    interaction = await server.slash(
        "video",
        [
            {"name": "prompt", "type": 3, "value": "bring my photo to life"},
            {"name": "image", "type": 11, "value": "555"},
            {"name": "duration", "type": 10, "value": 3},
        ],
        {"555": attachment},
    )
    await confirm_consent(server)
    return interaction


async def confirm_consent(server: LoopbackDiscord) -> None:
    """The uploader presses "I confirm" on the prompt the bot shows before animating any image."""

    async def prompt() -> tuple[dict[str, Any], dict[str, Any]]:
        while True:
            for message in list(server.messages.values()):
                for row in message.get("components", []):
                    for button in row.get("components", []):
                        if button.get("label") == "I confirm":
                            return message, button
            await asyncio.sleep(0.05)

    message, button = await asyncio.wait_for(prompt(), 30)
    await server.click(button["custom_id"], int(message["channel_id"]), server.full_message(message))


async def test_slash_command_with_an_image_renders_while_heartbeats_flow(service, server) -> None:
    bot, task = await start_bot(service, server)
    try:
        heartbeats_before = len(server.heartbeats)
        await video_with_image(server)
        await asyncio.wait_for(server.upload_arrived.wait(), 90)
    finally:
        await stop_bot(bot, task)
    assert server.callbacks and server.callbacks[0][1] == 5  # acknowledged first, with a deferral
    assert ("GET", "/users/@me") in server.requests
    upload = server.uploads[0]
    assert upload.channel_id != CHANNEL  # posted in the project's thread
    assert upload.filenames[0].endswith(".mp4") and upload.sizes[0] > 10_000
    assert "AI-generated" in upload.content
    assert len(upload.components[0]["components"]) == 5
    assert len(server.heartbeats) - heartbeats_before >= 5  # the gateway loop kept beating through the render


async def make_one_video(service: ConversationService, server: LoopbackDiscord) -> None:
    """Run a bot for one /video with an image, until its result is uploaded."""
    bot, task = await start_bot(service, server)
    try:
        await video_with_image(server)
        await asyncio.wait_for(server.upload_arrived.wait(), 90)
    finally:
        await stop_bot(bot, task)


async def test_a_429_is_waited_out_and_the_result_still_arrives(service, server) -> None:
    server.rate_limit_next.add("POST /channels/")
    await make_one_video(service, server)
    assert server.rate_limited and server.uploads


async def test_buttons_work_after_the_bot_restarts(service, server) -> None:
    await make_one_video(service, server)
    first = server.uploads[0]
    narration = next(button for button in first.components[0]["components"] if button["custom_id"].startswith("rw:narration:"))
    message = next(m for m in server.messages.values() if m["components"] == first.components)
    server.upload_arrived.clear()
    bot, task = await start_bot(service, server)  # a new bot object, as after a process restart
    try:
        await server.click(narration["custom_id"], first.channel_id, server.full_message(message))
        await asyncio.wait_for(server.upload_arrived.wait(), 90)
    finally:
        await stop_bot(bot, task)
    assert "version 2" in server.uploads[-1].content


async def test_a_gateway_reconnect_during_a_render_loses_nothing(service, server) -> None:
    bot, task = await start_bot(service, server)
    try:
        await video_with_image(server)
        await asyncio.wait_for(server.progress_edited.wait(), 60)  # the render has started
        await server.ask_to_reconnect()
        await asyncio.wait_for(server.upload_arrived.wait(), 90)
    finally:
        await stop_bot(bot, task)
    assert server.resumes == 1 and server.uploads


async def test_a_rejected_token_is_reported_without_revealing_it(tmp_path, server, caplog) -> None:
    from reelwright.bot.discord_bot.app import run_bot
    from reelwright.errors import ReelwrightError

    secret = "definitely-not-the-token-1234"
    settings = Settings(
        data_dir=tmp_path / "bot",
        llm_provider="template",
        discord_api_base=server.api_base,
        discord_gateway_url=server.gateway_url,
        discord_token=SecretStr(secret),
    )
    caplog.set_level("DEBUG")
    with pytest.raises(ReelwrightError, match="rejected the token"):
        await run_bot(settings)
    assert secret not in caplog.text
    assert secret not in repr(settings)
