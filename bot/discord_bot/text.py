"""Safe echoes and the messages the bot posts, as plain functions of service values."""

from __future__ import annotations

import re

import discord

from reelwright.plan import ShotPlan
from reelwright.records import VersionRecord

DISCLOSURE = (
    "🤖 AI-generated video (Reelwright), marked with a visible label, an invisible watermark and signed content credentials.\n"
    "Check any copy with `/verify` here, `reelwright verify FILE`, or any C2PA viewer."
)
MAX_CONTENT = 2000
#: What the bot answers a greeting, thanks or "what can you do?": how to ask for a video, not a video of "hi".
HELP = (
    "Hi! Describe a video and I'll make it, e.g. “a lighthouse at night in the rain, 10 seconds”; attach an image to bring it "
    "to life. Then say what to change (“make it darker”, “make it 9:16”, “no narration”) in its thread or in a reply to it. "
    "`/video` has more options, `/history` lists your videos."
)
#: A command for a terminal, in parentheses after what to do in chat: "(`reelwright cancel PROJECT` in a terminal)".
TERMINAL_HINT = re.compile(r"\s*\((?:[^()`]*)`reelwright [^`]*`[^()]*\)")


def safe(text: str, limit: int = 300) -> str:
    """Text from a person or the model, escaped so it cannot ping anyone or break formatting."""
    text = discord.utils.escape_mentions(discord.utils.escape_markdown(text or ""))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chat_text(message: str) -> str:
    """One of our messages (an error, a refusal, why a job failed) as a Discord reply: nobody is pinged,
    and commands meant for a terminal are left out (a Discord user has none)."""
    return discord.utils.escape_mentions(TERMINAL_HINT.sub("", message))


def ignored_note(not_images: list[str], extra_images: list[str], *, editing: bool) -> str:
    """Why files attached to a message were not used: only an image is animated, one per video, when a video starts."""
    if editing:
        files = ", ".join(safe(name, 80) for name in not_images + extra_images)
        return f"I ignored {files}: a change is said in words. To animate an image, start a new video with it (`/animate`)."
    reasons = []
    if not_images:
        reasons.append(
            f"{', '.join(safe(name, 80) for name in not_images)} (not an image: I can animate PNG, JPEG, WebP, GIF, BMP or TIFF)"
        )
    if extra_images:
        reasons.append(f"{', '.join(safe(name, 80) for name in extra_images)} (one image per video: I used the first)")
    return f"I ignored {' and '.join(reasons)}."


def plan_embed(record: VersionRecord) -> discord.Embed:
    plan: ShotPlan = record.plan
    embed = discord.Embed(
        title=safe(plan.title, 250),
        description=(
            f"Project `{record.project_id}` · version {record.number} · {plan.aspect} · "
            f"{plan.total_duration_s:g}s · narration {'on' if plan.narration else 'off'}"
        ),
        colour=discord.Colour.blurple(),
    )
    for shot in plan.shots[:20]:
        value = safe(shot.prompt, 700)
        if shot.talking:
            value += f"\n👄 the face says: {safe(shot.narration, 250)}"
        elif plan.narration and shot.narration:
            value += f"\n🗣️ {safe(shot.narration, 250)}"
        length = f"about {shot.duration_s:g}s" if shot.talking else f"{shot.duration_s:g}s"  # timed by its speech when rendered
        embed.add_field(name=f"Shot {shot.id} · {length} · {shot.camera.replace('_', ' ')}", value=value, inline=False)
    if record.diff:
        embed.set_footer(text=("Changes: " + "; ".join(record.diff))[:2000])
    return embed


def planner_note(record: VersionRecord, *, voice: bool = True) -> str:
    """Short lines when the model could not write the plan (its reason and fix go to the operator's log, not
    chat), when the plan is not quite as asked (lines not in the narration's language), or the narration will
    not sound as asked on this machine (said once, when planning: ``voice=False`` for edits)."""
    if record.planner.fallback:
        note = "\n⚠️ The language model was unavailable, so this plan was written from templates."
    else:
        note = f"\nℹ️ {safe(record.planner.note, 300)}" if record.planner.note else ""
    if voice and record.planner.voice_note:
        note += f"\n🔈 {safe(record.planner.voice_note, 300)}"
    return note


def result_text(record: VersionRecord, note: str = "") -> str:
    lines = [f"**{safe(record.plan.title, 200)}** — version {record.number}", DISCLOSURE]
    if record.diff:
        lines.append("Changed: " + safe("; ".join(record.diff), 800))
    if note:
        lines.append(note)
    return "\n".join(lines)[:MAX_CONTENT]


def starting_in(seconds: float | None) -> str:
    """ "starting in about 3 min" from an estimate in seconds."""
    return f"starting in about {max(1, round((seconds or 0) / 60))} min"


def progress_text(
    stage: str, fraction: float, detail: str = "", queue_position: int | None = None, starts_in_s: float | None = None
) -> str:
    if stage == "queued" and queue_position:
        return f"⏳ Queued — {queue_position} job(s) ahead, {starting_in(starts_in_s)}."
    bar_width = 20
    filled = round(fraction * bar_width)
    bar = "█" * filled + "░" * (bar_width - filled)
    return f"🎬 {stage.capitalize()} {detail} `{bar}` {fraction * 100:.0f}%".replace("  ", " ")
