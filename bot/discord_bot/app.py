"""Building and running the bot: intents, allowed mentions, persistent buttons, command sync."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import discord
import yarl
from discord.ext import commands, tasks

from reelwright.bot.delivery import Delivery
from reelwright.bot.discord_bot.buttons import ResultButton
from reelwright.bot.discord_bot.chat import SURFACE, report_error
from reelwright.bot.discord_bot.library import Library
from reelwright.bot.discord_bot.moderation import Moderation
from reelwright.bot.discord_bot.outlet import outlet_at
from reelwright.bot.discord_bot.preferences import Preferences
from reelwright.bot.discord_bot.projects import Projects
from reelwright.bot.discord_bot.queue import Queue
from reelwright.bot.discord_bot.verify import Verify
from reelwright.bot.discord_bot.voices import Voices
from reelwright.bot.service import ConversationService
from reelwright.errors import ReelwrightError
from reelwright.settings import Settings

log = logging.getLogger(__name__)

DELIVERY_GRACE_S = 60.0


class ReelwrightBot(commands.Bot):
    def __init__(self, service: ConversationService, settings: Settings, *, message_content: bool = False, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.service = service
        self.settings = settings
        self.delivery = Delivery(service)
        self.tree.error(self.on_app_command_error)
        self.sweeper = tasks.loop(seconds=max(settings.job_lease_s / 2, 1.0))(self.sweep)
        self.sweeper.before_loop(self.wait_until_ready)

    async def setup_hook(self) -> None:
        """One cog per feature over the shared delivery module."""
        self.service.warm_up()  # the embedded model loads in its own process while we connect
        await self.add_cog(Projects(self, self.service, self.settings, self.delivery))
        await self.add_cog(Library(self.service))
        await self.add_cog(Queue(self.service))
        await self.add_cog(Verify(self.service))
        await self.add_cog(Moderation(self.service))
        await self.add_cog(Preferences(self.service))
        await self.add_cog(Voices(self.service))
        self.add_dynamic_items(ResultButton)
        await self.tree.sync()
        self.sweeper.start()

    async def sweep(self) -> None:
        """Take jobs back from workers that stopped, follow jobs whose follower died with an earlier
        process, and post what finished but was never delivered (the outbox); runs once on
        connecting and then every half lease."""
        try:
            await self.service.sweep()
            await self.delivery.follow_orphans(SURFACE, lambda ref: outlet_at(self, ref, self.service.queue_position))
            await self.delivery.deliver_outbox(SURFACE, lambda ref: outlet_at(self, ref, self.service.queue_position))
        except Exception:  # the loop must outlive one bad round (a database restart, a Discord outage)
            log.exception("sweeping jobs failed; trying again next round")

    async def close(self) -> None:
        """Finish posting results already rendered before disconnecting, so a restart loses nothing."""
        self.sweeper.cancel()
        await self.delivery.finish(DELIVERY_GRACE_S)
        await super().close()

    async def on_app_command_error(self, interaction: discord.Interaction, error: discord.app_commands.AppCommandError) -> None:
        await report_error(interaction, getattr(error, "original", error))


def point_at(settings: Settings) -> None:
    """Aim discord.py at the configured API and gateway (a local Discord-compatible server in tests)."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def run_bot(settings: Settings) -> None:
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    if not token:
        raise ReelwrightError("Set DISCORD_TOKEN to your bot's token (Discord developer portal → Bot → Reset Token).")
    point_at(settings)
    service = ConversationService(settings, serve=True)  # the bot also runs jobs queued while it was away
    bot = ReelwrightBot(service, settings, message_content=settings.discord_message_content)
    try:
        async with bot:
            try:
                await bot.start(token)
            except discord.LoginFailure:
                raise ReelwrightError("Discord rejected the token in DISCORD_TOKEN; reset it in the developer portal.") from None
            except (aiohttp.ClientError, OSError) as error:
                log.info("connecting to Discord failed", exc_info=error)
                raise ReelwrightError(
                    f"Could not reach Discord at {settings.discord_api_base} ({type(error).__name__}); check the network "
                    "connection, or REELWRIGHT_DISCORD_API_BASE and REELWRIGHT_DISCORD_GATEWAY_URL."
                ) from None
            except discord.PrivilegedIntentsRequired:
                raise ReelwrightError(
                    "The message-content intent is not enabled for this bot; enable it in the developer "
                    "portal or unset REELWRIGHT_DISCORD_MESSAGE_CONTENT."
                ) from None
    finally:
        await service.close()
