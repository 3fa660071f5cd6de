"""The terminal conversation: the same service as Discord, one line at a time."""

from __future__ import annotations

import asyncio
import io
import math
import shlex
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from reelwright.bot.jobs import JobEvent, JobHandle
from reelwright.bot.render_service import RenderOutcome
from reelwright.bot.service import CONSENT_STATEMENT, ConversationService
from reelwright.errors import ReelwrightError
from reelwright.records import UserRef

#: Said with every result, as in Discord: what the file is, and how anyone can check a copy.
DISCLOSURE = (
    "AI-generated, with a visible label, an invisible watermark and signed content credentials; `reelwright verify FILE` checks any copy."
)
HELP = (
    'Describe a video to make one; then say what to change ("make shot 2 darker", "make it 9:16", "no narration", "undo").\n'
    'Ask for "a video of …" to start another. Attach an image with `--image PATH` at the end of your first message.\n'
    "/new starts over, /history lists projects, /help shows this, /quit leaves."
)
#: The answers to a greeting, thanks or a question about the bot, before and after a video: a pointer, nothing rendered.
SMALL_TALK_REPLY = 'Describe a video and I will make it, e.g. "a 10 second video of a fox running through snow at dawn". /help for more.'
SMALL_TALK_AFTER = 'Say what to change ("make shot 2 darker", "undo"), or ask for "a video of …" to start another. /help for more.'
#: The answer to a change asked for before there is a video to change.
NOTHING_TO_CHANGE = 'There is no video yet to change. Describe one first, e.g. "a 10 second video of a fox running through snow at dawn".'


async def track(handle: JobHandle, console: Console, quiet: bool = False) -> RenderOutcome:
    """Follow a render job with a progress bar (stage, detail, percent) and return its outcome."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task("queued", total=1.0)
        async for event in handle.events():
            bar.update(task, completed=event.progress, description=progress_line(event))
    return await handle.result()


def progress_line(event: JobEvent) -> str:
    """What a job is doing, or while it waits, how many go first and about when it starts."""
    if event.status == "queued" and event.queue_position:
        starts = f", starts in ~{max(1, math.ceil(event.starts_in_s / 60))} min" if event.starts_in_s else ""
        return f"waiting: {event.queue_position} ahead{starts}"
    return f"{event.stage} {event.detail}".strip()


async def chat_loop(service: ConversationService, user: UserRef, err: Console, out: Console) -> None:
    service.warm_up()
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # bytes that are not UTF-8 become U+FFFD instead of a traceback
    conversation = await service.start_conversation(user, "terminal")
    project: str | None = None  # the video this conversation is about, once there is one
    out.print(HELP, highlight=False, markup=False)
    while True:
        try:
            line = await asyncio.to_thread(input, "you> ")
        except EOFError:
            return
        text = line.strip()
        if not text:
            continue
        if text in {"/quit", "/exit", "/q"}:
            return
        if text == "/new":
            conversation, project = await service.start_conversation(user, "terminal"), None
            out.print("Starting a new project. What should it show?")
            continue
        if text == "/help":
            out.print(HELP, highlight=False, markup=False)
            continue
        if text == "/history":
            for made in await service.history(user):
                out.print(f"  {made.id}  v{made.latest_version}  {made.title}", highlight=False, markup=False)
            continue
        text, image = split_image_option(text)
        intent = service.intent(text, ongoing=project is not None) if image is None else None
        if intent == "chat" or (intent == "edit" and project is None):
            answer = NOTHING_TO_CHANGE if intent == "edit" else SMALL_TALK_REPLY if project is None else SMALL_TALK_AFTER
            out.print(f"reelwright> {answer}", highlight=False, markup=False)
            continue
        if intent == "new" and project is not None:  # "a video of …" mid-conversation: another video, the last one kept
            conversation, project = await service.start_conversation(user, "terminal"), None
            out.print("reelwright> Starting a new video; the last one is in /history.", highlight=False, markup=False)
        consent = False
        if image is not None:
            try:
                answer = await asyncio.to_thread(input, f"Before I animate it, confirm: {CONSENT_STATEMENT} [y/N] ")
            except EOFError:
                return
            consent = answer.strip().lower() in {"y", "yes"}
            if not consent:
                out.print("reelwright> Not animated; nothing was stored.", highlight=False, markup=False)
                continue
        try:
            with err.status("thinking…", spinner="dots") as status:
                reply = await service.chat(
                    conversation, user, text, image, progress=lambda line: status.update(f"planning: {line}"), consent=consent
                )
        except ReelwrightError as error:
            out.print(f"reelwright> {error}", highlight=False, markup=False)
            continue
        project = reply.version.project_id
        out.print(f"reelwright> {reply.text}", highlight=False, markup=False)
        try:
            outcome = await track(reply.job, err)
        except ReelwrightError as error:
            out.print(f"reelwright> The render failed: {error}", highlight=False, markup=False)
            continue
        reused = len(outcome.shots) - len(outcome.rerendered)
        out.print(
            f"reelwright> Version {outcome.version} is ready: {outcome.path}" + (f" ({reused} unchanged shot(s) reused)" if reused else ""),
            highlight=False,
            markup=False,
        )
        out.print(f"            {DISCLOSURE}", highlight=False, markup=False)


def split_image_option(text: str) -> tuple[str, Path | None]:
    """``... --image photo.jpg`` at the end of a message attaches that image."""
    if "--image" not in text:
        return text, None
    before, _, after = text.rpartition("--image")
    try:
        parts = shlex.split(after)
    except ValueError:
        parts = after.split()
    return before.strip(), Path(parts[0]).expanduser() if parts else None
