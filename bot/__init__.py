"""Chat surfaces (CLI, terminal chat, Discord) over one asyncio conversation service."""
