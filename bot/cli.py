"""The ``reelwright`` command: the conversation service from a terminal.

Every command that reports a result takes ``--json`` and then prints exactly one JSON object on
stdout; progress bars and messages go to stderr. Errors are one line and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from reelwright import plugins
from reelwright.bot.cli_output import JsonFlag, emit, err, out, print_error
from reelwright.bot.jobs import JobHandle
from reelwright.bot.model_commands import models
from reelwright.bot.render_service import RenderOutcome
from reelwright.bot.service import ConversationService, Verification
from reelwright.bot.terminal_chat import chat_loop, track
from reelwright.bot.voice_commands import voices
from reelwright.errors import BadRequest, ReelwrightError
from reelwright.plan import Requirements
from reelwright.records import JobRecord, RefusalRecord, UserRef, VersionRecord
from reelwright.settings import Settings, load_settings
from reelwright.storage.db import current_revision, make_engine, open_database, safe_url

app = typer.Typer(
    help="Reelwright: describe a video in words, get a narrated, watermarked MP4.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
T = TypeVar("T")

ImageOption = Annotated[Path | None, typer.Option("--image", help="An image to animate (with --consent).")]
ConsentFlag = Annotated[
    bool,
    typer.Option(
        "--consent",
        help="Confirm, for --image: I am the person in this image, or I have the consent of everyone shown in it to be animated "
        "and made to speak, or it shows no real person; it is not a public figure.",
    ),
]
SayOption = Annotated[str | None, typer.Option("--say", help="Words the face in --image says, as written: a talking portrait, lip-synced.")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Where to write the MP4.")]
NoWaitFlag = Annotated[
    bool, typer.Option("--no-wait", help="Return once the job is queued (its id is printed); `reelwright job ID --wait` follows it.")
]
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


def cli_settings() -> Settings:
    """The settings, or the one line saying which is wrong, and exit code 2 (no traceback)."""
    try:
        return load_settings()
    except ReelwrightError as error:
        print_error(error)
        raise typer.Exit(error.exit_code) from None


def run(body: Callable[[ConversationService], Awaitable[T]], serve: bool = False) -> T:
    """Open the service, run ``body`` with it, and close it."""

    async def main() -> T:
        service = ConversationService(cli_settings(), serve=serve)
        try:
            return await body(service)
        finally:
            await service.close()

    return run_main(main)


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a service manager stopping it): a stop like Ctrl-C, so the command's job is
    cancelled and its files cleaned up instead of being left for a later process to take over."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def run_main(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main`` and turn errors into one line and an exit code."""
    try:
        setup_logging()
        signal.signal(signal.SIGTERM, _terminate)
        return asyncio.run(main())
    except ReelwrightError as error:
        print_error(error)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt as stop:
        err.print("stopped" if isinstance(stop, Terminated) else "cancelled")
        raise typer.Exit(128 + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT)) from None


def setup_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


async def follow(service: ConversationService, project_id: str, version: int | None, out_path: Path | None, quiet: bool) -> RenderOutcome:
    """Render a version with a progress bar on stderr."""
    return await watch(service, await service.render(cli_user(), project_id, version, out_path), quiet)


async def watch(service: ConversationService, handle: JobHandle, quiet: bool) -> RenderOutcome:
    """Follow a job to its end; Ctrl-C stops it (the person said stop), wherever it runs."""
    try:
        return await track(handle, err, quiet)
    except asyncio.CancelledError:
        await service.cancel(handle.job_id)
        raise


def job_json(job: JobRecord, position: int | None = None) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "project_id": job.project_id,
        "version": job.version,
        "status": job.status,
        "stage": job.stage,
        "progress": round(job.progress, 3),
        "attempts": job.attempts,
        "queue": job.queue,
        "queue_position": position,
        "error": job.error,
    }


def version_json(record: VersionRecord) -> dict[str, Any]:
    return {
        "project_id": record.project_id,
        "version": record.number,
        "plan": record.plan.model_dump(mode="json"),
        "diff": record.diff,
        "planner": record.planner.model_dump(mode="json"),
    }


async def plan_with_status(
    service: ConversationService,
    request: str,
    image: Path | None,
    quiet: bool,
    model: str | None = None,
    consent: bool = False,
    say: str | None = None,
) -> VersionRecord:
    """Plan with a spinner that says what the planner is doing ("writing shot 2/5"), then say who planned."""
    service.warm_up()
    with err.status("planning…", spinner="dots") if not quiet else nullcontext() as status:

        def progress(line: str) -> None:
            if status is not None:
                status.update(f"planning: {line}")

        chosen = Requirements(video_model=model, talking=True if say else None, spoken_line=say) if model or say else None
        record = await service.plan(cli_user(), request, image, overrides=chosen, progress=progress, consent=consent)
    report_planner(record)
    return record


def report_planner(record: VersionRecord) -> None:
    """A line on stderr when the plan is not quite what was asked: the configured model could not write it (with
    the command that fixes it), the lines are not in the narration's language, or the voice is not as asked."""
    planner = record.planner
    if planner.note:
        err.print(f"[yellow]note:[/yellow] {escape(planner.note)}", highlight=False, markup=True, soft_wrap=True)
    if planner.fallback and planner.fix:
        err.print(f"  fix: {planner.fix}", highlight=False, soft_wrap=True)
    if planner.voice_note:
        err.print(f"[yellow]voice:[/yellow] {escape(planner.voice_note)}", highlight=False, markup=True, soft_wrap=True)


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
        said = f"(the face says) {shot.narration}" if shot.talking else shot.narration
        table.add_row(str(shot.id), f"~{shot.duration_s:g}" if shot.talking else f"{shot.duration_s:g}", shot.camera, shot.prompt, said)
    err.print(table)


@app.command()
def make(
    request: Annotated[str, typer.Argument(help="What the video should show.")],
    image: ImageOption = None,
    consent: ConsentFlag = False,
    say: SayOption = None,
    out_file: OutOption = None,
    model: ModelOption = None,
    no_wait: NoWaitFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Turn a one-line request into a finished MP4."""

    async def body(service: ConversationService) -> None:
        await service.check_can_render(cli_user(), out_file)
        record = await plan_with_status(service, request, image, as_json, model, consent, say)
        if not as_json:
            print_plan(record)
        if no_wait:
            handle = await service.render(cli_user(), record.project_id, record.number, out_file, run_here=False)
            queued = await service.job(handle.job_id)
            emit(
                as_json,
                version_json(record) | job_json(queued, await service.queue_position(handle.job_id)),
                lambda: out.print(
                    f"project {record.project_id} version {record.number}: queued as job {handle.job_id}; "
                    f"`reelwright job {handle.job_id} --wait` follows it (and renders it here if no worker is running).",
                    highlight=False,
                    soft_wrap=True,
                ),
            )
            return
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
    consent: ConsentFlag = False,
    say: SayOption = None,
    model: ModelOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a project and its first plan without rendering (review before spending compute)."""

    async def body(service: ConversationService) -> None:
        record = await plan_with_status(service, request, image, as_json, model, consent, say)

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
def job(
    job_id: int,
    wait: Annotated[bool, typer.Option("--wait", help="Follow it to its end (rendering it here if no worker takes it).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Where a render job stands (queued, running, done, failed), from any machine."""

    async def body(service: ConversationService) -> None:
        found = await service.job(job_id)
        if wait and not found.finished:
            handle = await service.follow_job(job_id, run_here=True)
            try:
                await watch(service, handle, as_json)
            except ReelwrightError:
                pass  # the job's row says how it ended, printed below
        found = await service.job(job_id)
        position = await service.queue_position(job_id)
        outcome = await service.outcome(job_id) if found.status == "succeeded" else None
        payload = job_json(found, position) | ({"path": str(outcome.path)} if outcome else {})

        def human() -> None:
            where = f", {position} ahead of it" if position else ""
            out.print(f"job {job_id} (project {found.project_id} v{found.version}): {found.status} — {found.stage}{where}", highlight=False)
            if outcome:
                out.print(f"  {outcome.path}", highlight=False, soft_wrap=True)
            if found.error and found.status != "succeeded":
                out.print(f"  {found.error}", highlight=False, markup=False)

        emit(as_json, payload, human)
        if wait and found.status != "succeeded":
            raise typer.Exit(service_exit_code(found))

    run(body)


@app.command()
def queue(as_json: JsonFlag = False) -> None:
    """Jobs queued and rendering, on every machine, in the order they will run."""

    async def body(service: ConversationService) -> None:
        entries = await service.queue()
        payload = {
            "jobs": [
                job_json(entry.job, entry.position)
                | {"title": entry.job.title, "worker": entry.job.worker, "starts_in_s": entry.starts_in_s}
                for entry in entries
            ]
        }

        def human() -> None:
            if not entries:
                out.print("nothing is queued or rendering", highlight=False)
                return
            table = Table("job", "project", "title", "status", "position", "starts in", "worker")
            for entry in entries:
                job = entry.job
                starts = f"~{max(1, round(entry.starts_in_s / 60))} min" if entry.starts_in_s else ""
                table.add_row(
                    str(job.id), job.project_id, job.title, f"{job.status} {job.stage}", str(entry.position), starts, job.worker or ""
                )
            out.print(table)

        emit(as_json, payload, human)

    run(body)


@app.command()
def worker(
    queues: Annotated[str, typer.Option("--queues", help="Comma-separated queues to take jobs from: gpu, cpu.")] = "gpu,cpu",
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Jobs rendered at once.")] = 1,
) -> None:
    """Render jobs queued from anywhere: a Celery worker with REELWRIGHT_BROKER_URL, else this machine's queue."""
    chosen = [name.strip() for name in queues.split(",") if name.strip()]
    unknown = sorted(set(chosen) - {"gpu", "cpu"})
    settings = cli_settings()
    if not chosen or unknown:
        print_error(BadRequest(f"Unknown queue(s) {', '.join(unknown) or '(none)'}: use gpu, cpu or both."))
        raise typer.Exit(BadRequest.exit_code)
    if settings.broker_url:
        from reelwright.bot.celery_app import run_worker

        setup_logging()
        run_worker(settings, chosen, concurrency)
        return
    embedded = settings.model_copy(update={"render_workers": concurrency})

    async def main() -> None:
        service = ConversationService(embedded, serve=True, queues=set(chosen))
        err.print(f"rendering queued jobs ({', '.join(chosen)}), {concurrency} at once; Ctrl-C stops", highlight=False)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)  # a service manager's stop: jobs go back to the queue
        try:
            await stop.wait()
        finally:
            await service.close()

    run_main(main)


@app.command()
def verify(file: Path, as_json: JsonFlag = False) -> None:
    """Whether a video was made by Reelwright, and whether it was changed since: its visible label,
    invisible watermark and signed content credentials, and the project and version they name."""

    async def body(service: ConversationService) -> Verification:
        result = await service.verify(file)
        where = f"project {result.project[0]} version {result.project[1]}" if result.project else "an unknown project"
        if result.project and result.render is None:
            where += " (no longer in this database)"

        def human() -> None:
            out.print(f"{file}:", highlight=False, markup=False)
            for line in result.lines(where):
                out.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)

        emit(as_json, result.report(), human)
        return result

    run(body)


@app.command()
def bot(
    surface: Annotated[
        str, typer.Option("--surface", help="Which chat surface to run (a reelwright.chat_surfaces entry point).")
    ] = "discord",
) -> None:
    """Run the chat bot (Discord by default: DISCORD_TOKEN in the environment)."""
    run_main(lambda: plugins.load(plugins.CHAT_SURFACES, surface, kind="chat surface", error=BadRequest)(cli_settings()))


audit = typer.Typer(help="What the moderation policy refused, for review.", no_args_is_help=True)
app.add_typer(audit, name="audit")
GuildOption = Annotated[str | None, typer.Option("--guild", help="A Discord server id.")]


def refusal_json(record: RefusalRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.created_at.isoformat(),
        "user": f"{record.user.platform}:{record.user.external_id}" if record.user else None,
        "guild": record.guild,
        "project_id": record.project_id,
        "stage": record.stage,
        "category": record.category,
        "where": record.location,
        "matched": record.matched,
        "appeal": record.appeal,
        "decision": record.decision,
        "decision_note": record.decision_note,
    }


@audit.command("list")
def audit_list(
    guild: GuildOption = None,
    local: Annotated[bool, typer.Option("--local", help="Only refusals outside any server (the CLI, the terminal chat).")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Recent refusals everywhere (or one server's, or the local ones), newest first: category, where it
    was found and the matched term, never the request."""

    async def body(service: ConversationService) -> None:
        records = await service.refusals(guild, everywhere=guild is None and not local, limit=limit)

        def human() -> None:
            if not records:
                out.print("Nothing was refused.", highlight=False)
            for record in records:
                who = f"{record.user.platform}:{record.user.external_id}" if record.user else "-"
                state = record.decision or ("appealed" if record.appeal else "")
                out.print(
                    f"#{record.id} {record.created_at:%Y-%m-%d %H:%M} {record.guild or 'local'} {who} {record.stage} "
                    f"{record.category} in {record.location}: {record.matched!r} {state}".rstrip(),
                    highlight=False,
                    markup=False,
                    soft_wrap=True,
                )
                if record.appeal:
                    out.print(f"    appeal: {record.appeal}", highlight=False, markup=False, soft_wrap=True)

        emit(as_json, {"refusals": [refusal_json(record) for record in records]}, human)

    run(body)


@audit.command("review")
def audit_review(
    refusal: Annotated[int, typer.Argument(help="The refusal's number.")],
    decision: Annotated[str, typer.Argument(help="upheld or overturned")],
    note: Annotated[str | None, typer.Option("--note", help="Why, for the record.")] = None,
    guild: GuildOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a decision on a refusal: one made outside any server, or in --guild."""

    async def body(service: ConversationService) -> None:
        record = await service.review(refusal, guild, cli_user(), decision, note)
        emit(as_json, refusal_json(record), lambda: out.print(f"refusal #{record.id} {record.decision}", highlight=False))

    run(body)


db = typer.Typer(help="The database: migrations for deployments.", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(models, name="models")
app.add_typer(voices, name="voices")


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the latest schema now (every command also does it on start, under a lock)."""

    async def body() -> str:
        settings = cli_settings()
        engine = make_engine(settings.resolved_database_url)
        open_database(settings.resolved_database_url)
        return f"{safe_url(settings.resolved_database_url)} is at revision {current_revision(engine)}"

    out.print(run_main(body), highlight=False)


@app.command()
def health(as_json: JsonFlag = False) -> None:
    """Whether this machine reaches the database (and the broker, when one is set): for health checks."""
    settings = cli_settings()
    checks: dict[str, str] = {}
    try:
        open_database(settings.resolved_database_url)
        checks["database"] = "ok"
    except ReelwrightError as error:
        checks["database"] = str(error)
    if settings.broker_url:
        import redis

        try:
            redis.Redis.from_url(settings.broker_url, socket_timeout=5).ping()
            checks["broker"] = "ok"
        except redis.RedisError as error:
            checks["broker"] = f"cannot reach the broker ({type(error).__name__})"
    healthy = all(value == "ok" for value in checks.values())
    emit(as_json, {"healthy": healthy, **checks}, lambda: out.print(", ".join(f"{k}: {v}" for k, v in checks.items()), highlight=False))
    if not healthy:
        raise typer.Exit(4)


@app.command()
def chat() -> None:
    """Talk to Reelwright: the first message makes a video, follow-ups edit it. /new, /history, /quit."""
    run(lambda service: chat_loop(service, cli_user(), err, out))


def service_exit_code(job: JobRecord) -> int:
    return 6 if job.status == "cancelled" else (job.error_code or 1)
