"""A bot killed in the middle of jobs loses nothing and posts nothing twice.

Everything is real and separate: the ``reelwright bot`` process (discord.py) against the loopback
Discord-compatible server of ``tests/discord_loopback.py``, Celery workers rendering over a real
Redis, and kill -9 of the bot while its video renders, more than once. The job row knows where to
answer, so whichever bot process is alive when the video is done posts it, exactly once.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from celery_world import Deployment
from conftest import REELWRIGHT
from discord_loopback import LoopbackDiscord

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def server() -> AsyncIterator[LoopbackDiscord]:
    loopback = LoopbackDiscord()
    await loopback.start()
    yield loopback
    await loopback.stop()


async def start_bot(deployment: Deployment, server: LoopbackDiscord) -> asyncio.subprocess.Process:
    """A ``reelwright bot`` process, once it is connected and has the guild."""
    server.ready.clear()
    log = open(deployment.root / "bot.log", "ab")
    bot = await asyncio.create_subprocess_exec(
        *REELWRIGHT,
        "bot",
        env={
            **deployment.env,
            "DISCORD_TOKEN": server.token,
            "REELWRIGHT_DISCORD_API_BASE": server.api_base,
            "REELWRIGHT_DISCORD_GATEWAY_URL": server.gateway_url,
        },
        stdout=log,
        stderr=log,
    )
    await asyncio.wait_for(server.ready.wait(), 60)
    return bot


async def kill(bot: asyncio.subprocess.Process) -> None:
    bot.send_signal(signal.SIGKILL)
    await bot.wait()


def videos_posted(server: LoopbackDiscord) -> list[str]:
    return [name for upload in server.uploads for name in upload.filenames if name.endswith(".mp4")]


async def test_a_bot_killed_twice_while_its_video_renders_posts_it_once_after_restarting(
    deployment: Deployment, server: LoopbackDiscord
) -> None:
    deployment.start_worker()
    deployment.start_worker()
    bot = await start_bot(deployment, server)
    await server.slash(
        "video",
        [
            {"name": "prompt", "type": 3, "value": "a lighthouse in a storm, 3 shots, no narration"},
            {"name": "duration", "type": 10, "value": 12},
        ],
    )
    await asyncio.wait_for(server.progress_edited.wait(), 90)  # its progress message moves: rendering
    await kill(bot)

    bot = await start_bot(deployment, server)  # picks the job up again ...
    await asyncio.sleep(1.0)
    await kill(bot)  # ... and dies too

    assert videos_posted(server) == []
    bot = await start_bot(deployment, server)
    try:
        await asyncio.wait_for(server.upload_arrived.wait(), 180)
        await asyncio.sleep(deployment.settings.job_lease_s * 3)  # more sweeps: nothing is posted again
    finally:
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), 60)

    (posted,) = videos_posted(server)
    assert posted.endswith("-v1.mp4")
    ((status, delivered),) = deployment.rows("select status, delivered_at is not null from jobs")
    assert (status, delivered) == ("succeeded", 1)
