"""The terminal conversation: the same service as Discord, one line at a time."""

from __future__ import annotations

import asyncio
import io
import shlex
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from reelwright.bot.jobs import JobHandle
from reelwright.bot.render_service import RenderOutcome
from reelwright.bot.service import CONSENT_STATEMENT, ConversationService
from reelwright.errors import ReelwrightError
from reelwright.records import UserRef

#: Said with every result, as in Discord: what the file is, and how anyone can check a copy.
DISCLOSURE = (
    "AI-generated, with a visible label, an invisible watermark and signed content credentials; `reelwright verify FILE` checks any copy."
)
HELP = (
    'Describe a video to make one; then say what to change ("make shot 2 darker", "make it 9:16", "no narration").\n'
    "Attach an image with `--image PATH` at the end of your first message. /new starts over, /history lists projects, /quit leaves."
)


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
            bar.update(task, completed=event.progress, description=f"{event.stage} {event.detail}".strip())
    return await handle.result()


async def chat_loop(service: ConversationService, user: UserRef, err: Console, out: Console) -> None:
    service.warm_up()
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # bytes that are not UTF-8 become U+FFFD instead of a traceback
    conversation = await service.start_conversation(user, "terminal")
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
            conversation = await service.start_conversation(user, "terminal")
            out.print("Starting a new project. What should it show?")
            continue
        if text == "/history":
            for project in await service.history(user):
                out.print(f"  {project.id}  v{project.latest_version}  {project.title}", highlight=False, markup=False)
            continue
        text, image = split_image_option(text)
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
