"""Helpers for the simcord Discord tests (not fixtures): a server with people, and reading what the bot said."""

import io

import discord
from PIL import Image


def png_bytes(size: tuple[int, int] = (96, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (220, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def world(env):
    """A server with a #drafts channel and two members, alice and bob."""
    guild = env.create_guild()
    channel = guild.create_text_channel("drafts")
    alice = guild.add_member(env.create_user("alice"))
    bob = guild.add_member(env.create_user("bob"))
    return guild, channel, alice, bob


def said(result) -> str:
    """What the bot answered to an interaction: its last follow-up, else its response."""
    return result.followups[-1].content if result.followups else result.response.content


def answer(result) -> discord.Message:
    """The bot's last answer to an interaction as a message (its buttons can be clicked), private ones included."""
    return (result.followups[-1] if result.followups else result.response).message


def result_message(place) -> discord.Message:
    """The newest message with a video in a channel or thread."""
    return next(m for m in reversed(place.history()) if m.attachments)


def project_of_result(place) -> str:
    """The project id a posted result's buttons carry."""
    return result_message(place).components[0].children[0].custom_id.split(":")[-1]
