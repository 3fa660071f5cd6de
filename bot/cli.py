"""The ``reelwright`` command: the conversation service from a terminal.

Every command that reports a result takes ``--json`` and then prints exactly one JSON object on
stdout; progress bars and messages go to stderr. Errors are one line and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from reelwright import plugins
from reelwright.bot.cli_output import emit, err, out, print_error
from reelwright.bot.model_commands import models
from reelwright.bot.service import ConversationService, RenderOutcome, Verification
from reelwright.bot.terminal_chat import chat_loop, track
from reelwright.errors import BadRequest, ReelwrightError
from reelwright.plan import Requirements
from reelwright.records import UserRef, VersionRecord
from reelwright.settings import Settings
from reelwright.storage.db import current_revision, make_engine, open_database, safe_url

app = typer.Typer(
    help="Reelwright: describe a video in words, get a narrated, watermarked MP4.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
T = TypeVar("T")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
ImageOption = Annotated[Path | None, typer.Option("--image", help="An image to animate.")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Where to write the MP4.")]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="Video model: a preset id (`reelwright models list`), a hub id, or a model folder."),
]


def cli_user() -> UserRef:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "local"
    return UserRef("cli", name, name)


def run(body: Callable[[ConversationService], Awaitable[T]]) -> T:
    """Open the service, run ``body`` with it, and close it."""

    async def main() -> T:
        service = ConversationService(Settings())
        try:
            return await body(service)
        finally:
            await service.close()

    return run_main(main)


def run_main(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main`` and turn errors into one line and an exit code."""
    try:
        setup_logging()
        return asyncio.run(main())
    except ReelwrightError as error:
        print_error(error)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        err.print("cancelled")
        raise typer.Exit(130) from None


def setup_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


async def follow(service: ConversationService, project_id: str, version: int | None, out_path: Path | None, quiet: bool) -> RenderOutcome:
    """Render a version with a progress bar on stderr."""
    return await track(await service.render(cli_user(), project_id, version, out_path), err, quiet)


def version_json(record: VersionRecord) -> dict[str, Any]:
    return {
        "project_id": record.project_id,
        "version": record.number,
        "plan": record.plan.model_dump(mode="json"),
        "diff": record.diff,
        "planner": record.planner.model_dump(mode="json"),
    }


async def plan_with_status(
    service: ConversationService, request: str, image: Path | None, quiet: bool, model: str | None = None
) -> VersionRecord:
    """Plan with a spinner that says what the planner is doing ("writing shot 2/5"), then say who planned."""
    service.warm_up()
    with err.status("planning…", spinner="dots") if not quiet else nullcontext() as status:

        def progress(line: str) -> None:
            if status is not None:
                status.update(f"planning: {line}")

        chosen = Requirements(video_model=model) if model else None
        record = await service.plan(cli_user(), request, image, overrides=chosen, progress=progress)
    report_planner(record)
    return record


def report_planner(record: VersionRecord) -> None:
    """One line on stderr when the configured model could not write the plan, with the command that fixes it."""
    planner = record.planner
    if planner.fallback and planner.note:
        err.print(f"[yellow]note:[/yellow] {escape(planner.note)}", highlight=False, markup=True, soft_wrap=True)
        if planner.fix:
            err.print(f"  fix: {planner.fix}", highlight=False, soft_wrap=True)


def render_json(outcome: RenderOutcome) -> dict[str, Any]:
    return {"path": str(outcome.path.resolve()), "render_id": outcome.render_id, "duration_s": outcome.seconds, "shots": outcome.shots}


def print_plan(record: VersionRecord) -> None:
    plan = record.plan
    table = Table(
        title=f"{plan.title} — {plan.aspect}, {plan.total_duration_s:g}s, narration {'on' if plan.narration else 'off'}", show_lines=False
    )
    for column in ("#", "s", "camera", "prompt", "narration"):
        table.add_column(column, overflow="fold")
    for shot in plan.shots:
        table.add_row(str(shot.id), f"{shot.duration_s:g}", shot.camera, shot.prompt, shot.narration)
    err.print(table)


@app.command()
def make(
    request: Annotated[str, typer.Argument(help="What the video should show.")],
    image: ImageOption = None,
    out_file: OutOption = None,
    model: ModelOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Turn a one-line request into a finished MP4."""

    async def body(service: ConversationService) -> None:
        await service.check_can_render(cli_user(), out_file)
        record = await plan_with_status(service, request, image, as_json, model)
        if not as_json:
            print_plan(record)
        outcome = await follow(service, record.project_id, record.number, out_file, as_json)
        emit(
            as_json,
            version_json(record) | render_json(outcome),
            lambda: out.print(f"project {record.project_id} version {record.number}: {outcome.path}", highlight=False, soft_wrap=True),
        )

    run(body)


@app.command()
def plan(
    request: Annotated[str, typer.Argument(help="What the video should show.")],
    image: ImageOption = None,
    model: ModelOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a project and its first plan without rendering (review before spending compute)."""

    async def body(service: ConversationService) -> None:
        record = await plan_with_status(service, request, image, as_json, model)

        def human() -> None:
            print_plan(record)
            out.print(
                f"project {record.project_id} version {record.number} planned; `reelwright render {record.project_id}` to render it.",
                highlight=False,
            )

        emit(
            as_json,
            version_json(record),
            human,
        )

    run(body)


@app.command()
def render(
    project_id: str,
    version: Annotated[int | None, typer.Option("--version", help="Version number (default: latest).")] = None,
    out_file: OutOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Render a version of a project."""

    async def body(service: ConversationService) -> None:
        outcome = await follow(service, project_id, version, out_file, as_json)
        emit(
            as_json,
            {"project_id": outcome.project_id, "version": outcome.version} | render_json(outcome),
            lambda: out.print(f"project {outcome.project_id} version {outcome.version}: {outcome.path}", highlight=False),
        )

    run(body)


@app.command()
def edit(
    project_id: str,
    instruction: str,
    plan_only: Annotated[bool, typer.Option("--plan-only", help="Create the new version without rendering it.")] = False,
    out_file: OutOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a project by instruction ("make shot 2 darker"); renders the new version unless --plan-only."""

    async def body(service: ConversationService) -> None:
        record = await service.edit(cli_user(), project_id, instruction)
        report_planner(record)
        payload = version_json(record)
        outcome = None
        if not plan_only:
            outcome = await follow(service, project_id, record.number, out_file, as_json)
            payload |= render_json(outcome)

        def human() -> None:
            out.print(f"project {project_id} version {record.number}:", highlight=False)
            for line in record.diff:
                out.print(f"  • {line}", highlight=False, markup=False)
            if outcome:
                out.print(f"  re-rendered shots: {outcome.rerendered or 'none'}; {outcome.path}", highlight=False)

        emit(as_json, payload, human)

    run(body)


@app.command()
def history(as_json: JsonFlag = False) -> None:
    """List projects, newest first."""

    async def body(service: ConversationService) -> None:
        projects = await service.history()
        payload = {
            "projects": [
                {
                    "id": p.id,
                    "title": p.title,
                    "request": p.request,
                    "owner": p.owner,
                    "versions": p.latest_version,
                    "created_at": p.created_at.isoformat(),
                }
                for p in projects
            ]
        }

        def human() -> None:
            table = Table("id", "title", "versions", "created")
            for p in projects:
                table.add_row(p.id, p.title, str(p.latest_version), p.created_at.strftime("%Y-%m-%d %H:%M"))
            out.print(table)

        emit(as_json, payload, human)

    run(body)


@app.command()
def show(
    project_id: str,
    version: Annotated[int | None, typer.Option("--version", help="Version number (default: latest).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """A project's versions, its plan, output file and the content hash of each shot's clip."""

    async def body(service: ConversationService) -> None:
        project, record, render_record = await service.show(project_id, version)
        versions = await service.versions(project_id)
        payload = {
            "project_id": project.id,
            "title": project.title,
            "request": project.request,
            "versions": [{"version": v.number, "instruction": v.instruction, "diff": v.diff} for v in versions],
            **version_json(record),
            "render": None
            if render_record is None
            else {
                "render_id": render_record.id,
                "path": render_record.output_path,
                "sha256": render_record.output_sha256,
                "shots": render_record.shots,
                "created_at": render_record.created_at.isoformat(),
            },
        }

        def human() -> None:
            out.print(
                f"[bold]{escape(project.title)}[/bold] ({project.id}) — version {record.number} of {len(versions)}",
                highlight=False,
                markup=True,
            )
            for v in versions:
                out.print(f"  v{v.number}: {v.instruction[:70]}", highlight=False, markup=False)
            print_plan(record)
            if render_record:
                out.print(f"output: {render_record.output_path}", highlight=False)
                for shot in render_record.shots:
                    out.print(f"  shot {shot['shot']}: clip {str(shot['clip_hash'])[:16]}", highlight=False)
            else:
                out.print("not rendered yet", highlight=False)

        emit(as_json, payload, human)

    run(body)


@app.command()
def cancel(project_id: str, as_json: JsonFlag = False) -> None:
    """Stop a project's renders, wherever they run: queued, running, or stuck after a crash."""

    async def body(service: ConversationService) -> None:
        await service.project(project_id)  # an unknown id is a clear error, not "nothing to cancel"
        stopped = await service.cancel_project(project_id)
        emit(
            as_json,
            {"project_id": project_id, "cancelled": stopped},
            lambda: out.print(
                f"project {project_id}: {f'cancelled {stopped} render(s)' if stopped else 'nothing is rendering'}", highlight=False
            ),
        )

    run(body)


@app.command()
def verify(file: Path, as_json: JsonFlag = False) -> None:
    """Whether a video carries Reelwright's marks, and which project and version they point to."""

    async def body(service: ConversationService) -> Verification:
        result = await service.verify(file)
        payload = {
            "file": str(file),
            "marked": result.marked,
            "watermark": result.watermark.found,
            "mark_id": result.watermark.mark_id,
            "confidence": round(result.watermark.confidence, 2),
            "metadata_ai_generated": result.metadata.get("ai_generated") == "true",
            "project_id": result.render.project_id if result.render else result.metadata.get("reelwright_project"),
            "version": result.render.version if result.render else _int(result.metadata.get("reelwright_version")),
        }

        def human() -> None:
            if not result.marked:
                out.print(f"{file}: no Reelwright marks found.", highlight=False)
                return
            where = f"project {payload['project_id']} version {payload['version']}" if payload["project_id"] else "an unknown project"
            out.print(f"{file}: AI-generated by Reelwright — {where}.", highlight=False)
            out.print(
                f"  invisible watermark: {'found, mark ' + str(result.watermark.mark_id) if result.watermark.found else 'not found'}"
                f" (confidence {result.watermark.confidence:.1f})",
                highlight=False,
            )
            out.print(f"  metadata label: {'present' if payload['metadata_ai_generated'] else 'absent'}", highlight=False)

        emit(as_json, payload, human)
        return result

    run(body)


@app.command()
def bot(
    surface: Annotated[
        str, typer.Option("--surface", help="Which chat surface to run (a reelwright.chat_surfaces entry point).")
    ] = "discord",
) -> None:
    """Run the chat bot (Discord by default: DISCORD_TOKEN in the environment)."""
    run_main(lambda: plugins.load(plugins.CHAT_SURFACES, surface, kind="chat surface", error=BadRequest)(Settings()))


db = typer.Typer(help="The database: migrations for deployments.", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(models, name="models")


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the latest schema now (every command also does it on start, under a lock)."""

    async def body() -> str:
        settings = Settings()
        engine = make_engine(settings.resolved_database_url)
        open_database(settings.resolved_database_url)
        return f"{safe_url(settings.resolved_database_url)} is at revision {current_revision(engine)}"

    out.print(run_main(body), highlight=False)


@app.command()
def chat() -> None:
    """Talk to Reelwright: the first message makes a video, follow-ups edit it. /new, /history, /quit."""
    run(lambda service: chat_loop(service, cli_user(), err, out))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
