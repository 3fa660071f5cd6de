"""A loopback Discord-compatible server (REST + websocket gateway) on 127.0.0.1 for wire-level tests.

It speaks just enough of Discord's API for an unmodified discord.py bot: login, the gateway handshake
with heartbeats, READY and GUILD_CREATE, interactions and their callbacks and webhooks, threads,
messages with multipart uploads, edits and deletes, and attachment downloads. It records what it
receives so tests can assert on the wire, and can answer a chosen request with a 429.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

GUILD, CHANNEL, APP, BOT, OWNER = 900, 901, 902, 903, 904
EVERYTHING = str((1 << 50) - 1)
TIMESTAMP = "2026-01-01T00:00:00+00:00"


def user(user_id: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "global_name": name, "discriminator": "0", "avatar": None, "bot": bot}


@dataclass
class Upload:
    channel_id: int
    content: str
    filenames: list[str]
    sizes: list[int]
    components: list[Any]


@dataclass
class LoopbackDiscord:
    port: int = 0
    heartbeat_interval_ms: int = 100
    heartbeats: list[float] = field(default_factory=list)
    callbacks: list[tuple[float, int]] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    rate_limit_next: set[str] = field(default_factory=set)
    rate_limited: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    token: str = "loopback-token"
    resumes: int = 0

    def __post_init__(self) -> None:
        self._ids = itertools.count(10_000)
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.messages: dict[int, dict[str, Any]] = {}
        self.threads: dict[int, dict[str, Any]] = {}
        self.ready = asyncio.Event()
        self.upload_arrived = asyncio.Event()
        self.progress_edited = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway)
        app.router.add_get("/cdn/{name}", self.cdn)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp types _server as a generic AbstractServer

    async def stop(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def url_for(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/cdn/{name}"

    # ------------------------------------------------------------------ gateway
    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if payload["op"] == 1:
                self.heartbeats.append(time.monotonic())
                await socket.send_str(json.dumps({"op": 11}))
            elif payload["op"] == 2:
                await self.dispatch(
                    "READY",
                    {
                        "v": 10,
                        "user": user(BOT, "Reelwright", bot=True),
                        "guilds": [{"id": str(GUILD), "unavailable": True}],
                        "session_id": "loopback",
                        "resume_gateway_url": self.gateway_url,
                        "application": {"id": str(APP), "flags": 0},
                        "shard": [0, 1],
                    },
                )
                await self.dispatch("GUILD_CREATE", self.guild())
                self.ready.set()
            elif payload["op"] == 6:
                self.resumes += 1
                await socket.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}}))
        return socket

    async def ask_to_reconnect(self) -> None:
        """Gateway op 7: the client must drop the socket and resume on a new one."""
        for socket in self._sockets:
            if not socket.closed:
                await socket.send_str(json.dumps({"op": 7, "d": None}))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        frame = json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data})
        for socket in self._sockets:
            if not socket.closed:
                await socket.send_str(frame)

    def channel(self) -> dict[str, Any]:
        return {"id": str(CHANNEL), "type": 0, "name": "drafts", "position": 0, "permission_overwrites": [], "guild_id": str(GUILD)}

    def guild(self) -> dict[str, Any]:
        return {
            "id": str(GUILD),
            "name": "Loopback",
            "owner_id": str(OWNER),
            "unavailable": False,
            "member_count": 2,
            "roles": [
                {
                    "id": str(GUILD),
                    "name": "@everyone",
                    "permissions": EVERYTHING,
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [self.channel()],
            "members": [
                {"user": user(BOT, "Reelwright", bot=True), "roles": [], "joined_at": TIMESTAMP, "deaf": False, "mute": False, "flags": 0}
            ],
            "threads": list(self.threads.values()),  # active threads, as Discord sends them to a (re)connecting bot
            "features": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "large": False,
            "joined_at": TIMESTAMP,
            "premium_tier": 0,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
        }

    async def slash(self, name: str, options: list[dict[str, Any]], attachments: dict[str, dict[str, Any]] | None = None) -> int:
        """Send INTERACTION_CREATE for a slash command from the owner; returns the interaction id."""
        interaction_id = next(self._ids)
        data: dict[str, Any] = {"id": "1", "name": name, "type": 1, "options": options}
        if attachments:
            data["resolved"] = {"attachments": attachments}
        await self.dispatch("INTERACTION_CREATE", self.interaction(interaction_id, 2, data, CHANNEL))
        return interaction_id

    async def click(self, custom_id: str, channel_id: int, message: dict[str, Any]) -> int:
        interaction_id = next(self._ids)
        payload = self.interaction(interaction_id, 3, {"custom_id": custom_id, "component_type": 2}, channel_id)
        payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    def interaction(self, interaction_id: int, kind: int, data: dict[str, Any], channel_id: int) -> dict[str, Any]:
        channel_type = 0 if channel_id == CHANNEL else 11
        return {
            "id": str(interaction_id),
            "application_id": str(APP),
            "type": kind,
            "token": f"token{interaction_id}",
            "version": 1,
            "guild_id": str(GUILD),
            "channel_id": str(channel_id),
            "channel": self.thread(channel_id, CHANNEL, "project")
            if channel_type == 11
            else {"id": str(channel_id), "type": 0, "guild_id": str(GUILD), "name": "drafts"},
            "member": {
                "user": user(OWNER, "owner"),
                "roles": [],
                "joined_at": TIMESTAMP,
                "permissions": EVERYTHING,
                "deaf": False,
                "mute": False,
                "flags": 0,
            },
            "data": data,
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": EVERYTHING,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }

    # ------------------------------------------------------------------ REST
    async def cdn(self, request: web.Request) -> web.Response:
        return web.Response(body=self.files[request.match_info["name"]], content_type="application/octet-stream")

    async def rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        self.requests.append((request.method, path))
        key = f"{request.method} {path}"
        for pattern in list(self.rate_limit_next):
            if key.startswith(pattern):
                self.rate_limit_next.discard(pattern)
                self.rate_limited.append(key)
                return reply(
                    {"message": "You are being rate limited.", "retry_after": 0.2, "global": False},
                    status=429,
                    headers={"Via": "1.1 google", "Retry-After": "1", "X-RateLimit-Scope": "user"},
                )
        by_token_in_url = path.startswith(("/interactions/", "/webhooks/"))
        if not by_token_in_url and request.headers.get("Authorization") != f"Bot {self.token}":
            return reply({"message": "401: Unauthorized", "code": 0}, status=401)
        body, files = await read_body(request)
        parts = path.strip("/").split("/")
        if path == "/users/@me":
            return reply(user(BOT, "Reelwright", bot=True))
        if path == "/oauth2/applications/@me":
            return reply(
                {
                    "id": str(APP),
                    "name": "Reelwright",
                    "icon": None,
                    "description": "",
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "team": None,
                    "owner": user(OWNER, "owner"),
                    "summary": "",
                }
            )
        if parts[0] == "applications" and parts[-1] == "commands":
            return reply([{**command, "id": str(next(self._ids)), "application_id": str(APP), "version": "1"} for command in body or []])
        if parts[0] == "interactions":
            self.callbacks.append((time.monotonic(), int(body.get("type", 0))))
            interaction_id = parts[1]
            return reply(
                {
                    "interaction": {
                        "id": interaction_id,
                        "type": 2,
                        "response_message_loading": body.get("type") == 5,
                        "response_message_ephemeral": bool((body.get("data") or {}).get("flags", 0) & 64),
                    },
                    "resource": {"type": body.get("type")},
                }
            )
        if parts[0] == "webhooks":
            channel_id = CHANNEL
            if request.method == "DELETE":
                return web.Response(status=204)
            return reply(self.message(channel_id, body, files))
        if parts[0] == "channels" and len(parts) == 2 and request.method == "GET":
            found = self.channel() if int(parts[1]) == CHANNEL else self.threads.get(int(parts[1]))
            return reply(found) if found else reply({"message": "Unknown Channel", "code": 10003}, status=404)
        if parts[0] == "channels" and parts[-1] == "threads":
            thread = self.thread(next(self._ids), int(parts[1]), body.get("name", "thread"))
            self.threads[int(thread["id"])] = thread
            await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
            return reply(thread)
        if parts[0] == "channels" and parts[2:3] == ["messages"]:
            channel_id = int(parts[1])
            if request.method == "POST" and len(parts) == 3:
                return reply(self.message(channel_id, body, files))
            if request.method == "PATCH":
                self.progress_edited.set()
                message = self.messages.get(int(parts[3]), {"id": parts[3], "channel_id": parts[1]})
                message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
                return reply(self.full_message(message))
            if request.method == "DELETE":
                self.messages.pop(int(parts[3]), None)
                return web.Response(status=204)
        return reply({"message": f"loopback: no route for {key}", "code": 0}, status=404)

    def thread(self, thread_id: int, parent_id: int, name: str) -> dict[str, Any]:
        return {
            "id": str(thread_id),
            "type": 11,
            "guild_id": str(GUILD),
            "parent_id": str(parent_id),
            "owner_id": str(BOT),
            "name": name,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": TIMESTAMP, "locked": False},
        }

    def message(self, channel_id: int, body: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        message_id = next(self._ids)
        attachments = [
            {"id": str(next(self._ids)), "filename": name, "size": len(data), "url": self.url_for(name), "proxy_url": self.url_for(name)}
            for name, data in files.items()
        ]
        for name, data in files.items():
            self.files[name] = data
        message = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "content": body.get("content", ""),
            "embeds": body.get("embeds", []),
            "components": body.get("components", []),
            "attachments": attachments,
        }
        self.messages[message_id] = message
        if files:
            self.uploads.append(
                Upload(channel_id, message["content"], list(files), [len(d) for d in files.values()], message["components"])
            )
            self.upload_arrived.set()
        return self.full_message(message)

    def full_message(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "author": user(BOT, "Reelwright", bot=True),
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "embeds": [],
            "components": [],
            "attachments": [],
            "content": "",
            **message,
        }


async def read_body(request: web.Request) -> tuple[Any, dict[str, bytes]]:
    """JSON bodies, or multipart uploads (payload_json + files[n])."""
    if request.content_type.startswith("multipart/"):
        body: Any = {}
        files: dict[str, bytes] = {}
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue  # discord.py sends a flat multipart body: no nested readers
            data = await part.read()
            if part.name == "payload_json":
                body = json.loads(data)
            elif part.filename:
                files[part.filename] = bytes(data)
        return body, files
    if request.can_read_body:
        text = await request.text()
        return (json.loads(text) if text else {}), {}
    return {}, {}


def reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py needs exactly "application/json" (aiohttp's json_response adds a charset).
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json", **(headers or {})})
