"""The conversation service: the one place every chat surface (CLI, terminal chat, Discord) talks to.

It is asyncio-native: database work and planning run in threads, rendering runs as a job on the job
runner, and callers follow a job through its events. Adapters only parse input and render answers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from reelwright.access import REFUSALS, Action, Viewer, permits
from reelwright.agent.edit_ops import diff_plans
from reelwright.agent.edits import edit_plan
from reelwright.agent.llm import ChatModel, build_llm
from reelwright.agent.planner import plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.bot.inputs import check_request, load_image
from reelwright.bot.jobs import InProcessJobRunner, JobHandle, ReportProgress
from reelwright.errors import BadRequest, GenerationError, LLMUnavailable, NotAllowed, NotFound, ReelwrightError
from reelwright.generation import model_hub
from reelwright.generation.backends import VideoBackend, build_image_to_video, build_speech, build_text_to_video, build_video_model
from reelwright.generation.compose import partial_path
from reelwright.generation.pipeline import RenderPipeline
from reelwright.generation.presets import PRESETS
from reelwright.generation.video_io import container_metadata, fit_for_upload, frame_size, sample_frames
from reelwright.generation.watermark import Detection, Watermarker
from reelwright.plan import PlannerInfo, PlanProgress, Requirements
from reelwright.records import JobRecord, Place, ProjectRecord, RenderRecord, UserRef, VersionRecord
from reelwright.settings import Settings
from reelwright.storage.artifacts import ArtifactStore
from reelwright.storage.db import open_database
from reelwright.storage.repository import Repository
from reelwright.storage.scratch import ScratchSpace

log = logging.getLogger(__name__)

VERIFY_SAMPLE_FRAMES = 96
#: Frames are decoded at most this wide for detection: the mark lives on a coarse grid, half-size copies decode.
VERIFY_WIDTH = 1280
#: Files read for marks at once; more wait, so /verify cannot exhaust memory.
CONCURRENT_VERIFICATIONS = 2
MAX_VERSION = 2**31 - 1


@dataclass(frozen=True)
class RenderOutcome:
    project_id: str
    version: int
    render_id: int
    path: Path
    seconds: float
    shots: list[dict[str, Any]]

    @property
    def rerendered(self) -> list[int]:
        return [int(shot["shot"]) for shot in self.shots if not shot["reused"]]


@dataclass(frozen=True)
class Verification:
    path: Path
    watermark: Detection
    metadata: dict[str, str]
    render: RenderRecord | None

    @property
    def marked(self) -> bool:
        return self.watermark.found or self.metadata.get("ai_generated") == "true"


@dataclass(frozen=True)
class Turn:
    """One stored turn of a conversation: the version it produced and the reply given."""

    conversation_id: int
    version: VersionRecord
    text: str


@dataclass(frozen=True)
class ChatReply:
    """One turn of conversation: the version the message produced and its render job."""

    text: str
    version: VersionRecord
    job: JobHandle


class ConversationService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        sessions = open_database(settings.resolved_database_url)
        self.repository = Repository(sessions)
        abandoned = self.repository.fail_abandoned_jobs()
        if abandoned:
            log.warning("failed %d job(s) whose worker had stopped", len(abandoned))
        self.scratch = ScratchSpace(settings.data_dir / "scratch")
        self.scratch.remove_abandoned()
        remove_abandoned_partials(self.repository)
        self.store = ArtifactStore(settings.artifacts_dir, sessions, self.scratch.path)
        self.runner = InProcessJobRunner(self.repository, settings.job_lease_s)
        self.watermarker = Watermarker(settings.watermark_key)
        self._verifying = threading.BoundedSemaphore(CONCURRENT_VERIFICATIONS)
        self._llm: ChatModel | None = None
        self._llm_error: LLMUnavailable | None = None
        self._llm_loaded = False
        self._llm_lock = threading.Lock()
        self._pipeline: RenderPipeline | None = None
        self._models: dict[str, VideoBackend] = {}
        self._models_lock = threading.Lock()

    # planning -----------------------------------------------------------------------------------
    def llm(self) -> ChatModel | None:
        """The configured model, built once per process; ``None`` for templates or when it cannot be had."""
        with self._llm_lock:
            if not self._llm_loaded:
                try:
                    self._llm = build_llm(self.settings)
                except LLMUnavailable as error:
                    log.info("planning without a language model: %s", error)
                    self._llm_error = error
                self._llm_loaded = True
            return self._llm

    def warm_up(self) -> None:
        """Start loading the embedded model now (in its own process), so the first plan does not wait for it."""
        model = self.llm()
        start = getattr(model, "start", None)
        if start is not None:
            try:
                start()
            except LLMUnavailable as error:
                log.warning("the embedded model could not start: %s", error)

    def _unavailable(self) -> PlannerInfo | None:
        """Who plans when the configured model could not even be built, with what to do about it."""
        if self._llm_error is None:
            return None
        return PlannerInfo(
            engine="template",
            fallback=True,
            fix=getattr(self._llm_error, "fix", None),
            note=f"{self._llm_error} This plan was written from templates instead.",
        )

    async def plan(
        self,
        user: UserRef,
        request: str,
        image: Path | None = None,
        overrides: Requirements | None = None,
        progress: PlanProgress | None = None,
        place: Place | None = None,
    ) -> VersionRecord:
        """Create a project and its first plan version, without rendering.

        ``overrides`` are facts chosen outside the text (slash-command options); the person's saved
        defaults apply where neither the text nor the options say otherwise. ``progress`` is called
        from a worker thread with short status lines ("writing shot 2/5"). ``place`` is the chat place
        the project is made in: who else may see and moderate it follows from it.
        """
        return await asyncio.to_thread(self._plan, user, request, image, overrides, progress, place)

    def _plan(
        self,
        user: UserRef,
        request: str,
        image: Path | None,
        overrides: Requirements | None,
        progress: PlanProgress | None,
        place: Place | None,
    ) -> VersionRecord:
        request = check_request(request, self.settings.max_request_chars)
        image_sha = None
        if image is not None:
            checked = load_image(image, self.settings.max_image_bytes, self.settings.max_image_pixels)
            image_sha = self.store.put(checked, "image").sha256
        defaults = Requirements.model_validate(self.repository.preferences(user))
        stated = extract_requirements(request)
        requirements = defaults.merged_with(stated).model_copy(update={"subject": stated.subject})
        if overrides is not None:
            requirements = requirements.merged_with(overrides)
        if requirements.video_model:
            self.video_model(requirements.video_model)
        planned = plan_video(
            request, requirements, self.llm(), image_sha=image_sha, max_total_s=self.settings.max_total_duration_s, progress=progress
        )
        return self.repository.create_project(user, request, requirements, planned.plan, self._unavailable() or planned.planner, place)

    async def edit(self, user: UserRef, project_id: str, instruction: str) -> VersionRecord:
        """A new version of a project from a conversational instruction."""
        return await asyncio.to_thread(self._edit, project_id, instruction)

    def _edit(self, project_id: str, instruction: str) -> VersionRecord:
        instruction = check_request(instruction, self.settings.max_request_chars)
        project = self.repository.project(project_id)
        current = self.repository.version(project_id)
        plan, requirements, planner = edit_plan(
            current.plan, instruction, project.requirements, self.llm(), max_total_s=self.settings.max_total_duration_s
        )
        diff = diff_plans(current.plan, plan)
        if not diff:
            raise BadRequest("That would not change anything in the current version.")
        return self.repository.add_version(project_id, plan, instruction, diff, requirements, planner)

    # rendering ----------------------------------------------------------------------------------
    def pipeline(self) -> RenderPipeline:
        if self._pipeline is None:
            self._pipeline = RenderPipeline(
                build_text_to_video(self.settings),
                build_image_to_video(self.settings),
                build_speech(self.settings),
                self.store,
                self.watermarker,
                self.scratch.path,
                models=self.video_model,
            )
        return self._pipeline

    async def downloaded_models(self) -> list[tuple[str, str]]:
        """(id, title) of the presets whose weights are on this machine: what chat may offer people."""
        found = await asyncio.to_thread(model_hub.downloaded, list(PRESETS))
        return [(preset.id, preset.title) for preset in PRESETS.values() if found[preset.id]]

    def video_model(self, reference: str) -> VideoBackend:
        """The backend of a video model (preset id, hub id or model folder), built once per process.

        Building resolves the model without reading weights, so an unknown or missing model is refused
        before a project is made; the weights load on the first render."""
        with self._models_lock:
            if reference not in self._models:
                try:
                    self._models[reference] = build_video_model(self.settings, reference)
                except GenerationError as error:
                    raise BadRequest(str(error)) from error
            return self._models[reference]

    async def render(self, user: UserRef | None, project_id: str, version: int | None = None, out: Path | None = None) -> JobHandle:
        """Queue a render of a version (the latest by default); follow it with ``handle.events()``."""
        check_version(version)
        record = await asyncio.to_thread(self.repository.version, project_id, version)
        if out is not None:
            check_output_path(out)
        job_id = await asyncio.to_thread(
            partial(
                self.repository.admit_job,
                project_id,
                record.number,
                user,
                per_user=self.settings.max_jobs_per_user,
                queue_limit=self.settings.max_queued_jobs,
                lease_s=self.settings.job_lease_s,
            )
        )
        return self.runner.submit(job_id, project_id, record.number, lambda report: self._render_job(job_id, record, out, report))

    async def check_can_render(self, user: UserRef | None, out: Path | None = None) -> None:
        """What would refuse a render, checked before anything is written (a plan that cannot render is
        not made). Advisory: ``render`` checks the limits again, atomically, when it queues the job."""
        if out is not None:
            check_output_path(out)
        await asyncio.to_thread(
            partial(
                self.repository.check_admission, user, per_user=self.settings.max_jobs_per_user, queue_limit=self.settings.max_queued_jobs
            )
        )

    def _render_job(self, job_id: int, record: VersionRecord, out: Path | None, report: ReportProgress) -> RenderOutcome:
        plan = record.plan
        images = {shot.source_image: self.store.path_of(shot.source_image) for shot in plan.shots if shot.source_image}
        output = out or self.settings.outputs_dir / f"{record.project_id}-v{record.number}.mp4"
        render_id = self.repository.begin_render(record.project_id, record.number, str(output.resolve()))
        self.repository.update_job(job_id, render_id=render_id)
        try:
            result = self.pipeline().render(
                plan,
                project_id=record.project_id,
                version=record.number,
                mark_id=render_id,
                out_path=output,
                images=images,
                progress=report,
            )
            artifact = self.store.put(result.output, "video", plan.total_duration_s)
            shots = [{"shot": s.shot_id, "clip_hash": s.clip_hash, "reused": s.reused} for s in result.shots]
            self.repository.complete_render(render_id, artifact.sha256, str(output.resolve()), shots, plan.total_duration_s)
        except BaseException:
            self.repository.fail_render(render_id)
            raise
        return RenderOutcome(record.project_id, record.number, render_id, output, plan.total_duration_s, shots)

    async def fit_for_upload(self, path: Path, limit_bytes: int, workdir: Path) -> tuple[Path | None, Path | None]:
        """A copy of a result within a chat's upload limit: ``(file that fits, None)`` or ``(None, shorter preview)``."""
        return await asyncio.to_thread(fit_for_upload, path, limit_bytes, workdir)

    async def cancel(self, job_id: int) -> bool:
        return self.runner.cancel(job_id)

    async def cancel_project(self, project_id: str) -> int:
        """End every queued or running job of a project, wherever it runs, stuck or not; how many.

        The rows end now, so their owner is never refused for jobs that will not finish; a worker
        still holding one stops at its next heartbeat (one of ours stops at once).
        """
        cancelled = await asyncio.to_thread(self.repository.cancel_jobs, project_id)
        for job_id in cancelled:
            self.runner.cancel(job_id)
        return len(cancelled)

    async def queue(self) -> list[tuple[JobRecord, int]]:
        """Active jobs with their queue position (0 = rendering now, n = n jobs ahead of it)."""
        await asyncio.to_thread(self.repository.fail_abandoned_jobs)
        jobs = await asyncio.to_thread(self.repository.active_jobs)
        return [(job, 0 if job.status == "running" else index) for index, job in enumerate(jobs)]

    async def sweep(self) -> list[JobRecord]:
        """Fail jobs whose worker stopped; a long-running surface calls this now and then."""
        return await asyncio.to_thread(self.repository.fail_abandoned_jobs)

    async def set_notice(self, job_id: int, ref: str | None) -> None:
        await asyncio.to_thread(self.repository.set_notice, job_id, ref)

    async def unsettled_notices(self, surface: str) -> list[tuple[JobRecord, str]]:
        return await asyncio.to_thread(self.repository.unsettled_notices, surface)

    # people -------------------------------------------------------------------------------------
    async def project(self, project_id: str) -> ProjectRecord:
        return await asyncio.to_thread(self.repository.project, project_id)

    async def authorize(
        self, project_id: str, viewer: Viewer, action: Action, moderates: Callable[[ProjectRecord], bool] | None = None
    ) -> ProjectRecord:
        """The project, if ``viewer`` may do ``action`` to it; otherwise ``NotAllowed``, or ``NotFound``
        for a project they may not even see (its existence is not confirmed). ``moderates`` tells from
        the project's own place whether the viewer moderates it (the surface knows its permissions)."""
        hidden = NotFound(f"No project {project_id!r} that you can see; `/history` lists yours.")
        try:
            project = await self.project(project_id)
        except NotFound:
            raise hidden from None
        if moderates is not None:
            viewer = replace(viewer, moderator=moderates(project))
        role = await asyncio.to_thread(self.repository.role, project_id, viewer.user)
        if not permits(Action.VIEW, project, role, viewer):
            raise hidden
        if not permits(action, project, role, viewer):
            raise NotAllowed(REFUSALS[action])
        return project

    async def share(self, project_id: str, user: UserRef) -> None:
        await asyncio.to_thread(self.repository.share, project_id, user)

    async def unshare(self, project_id: str, user: UserRef) -> bool:
        return await asyncio.to_thread(self.repository.unshare, project_id, user)

    async def preferences(self, user: UserRef) -> Requirements:
        return Requirements.model_validate(await asyncio.to_thread(self.repository.preferences, user))

    async def set_preferences(self, user: UserRef, preferences: Requirements) -> None:
        stated = preferences.model_dump(exclude_none=True, exclude={"subject"})
        await asyncio.to_thread(self.repository.set_preferences, user, stated)

    # conversation -------------------------------------------------------------------------------
    async def start_conversation(self, user: UserRef, surface: str, external_ref: str | None = None) -> int:
        return await asyncio.to_thread(self.repository.start_conversation, user, surface, external_ref)

    async def conversation_by_ref(self, surface: str, external_ref: str) -> tuple[int, str | None] | None:
        return await asyncio.to_thread(self.repository.conversation_by_ref, surface, external_ref)

    async def bind_conversation(self, conversation_id: int, project_id: str, external_ref: str | None = None) -> None:
        await asyncio.to_thread(self.repository.bind_conversation, conversation_id, project_id, external_ref)

    async def converse(
        self,
        user: UserRef,
        text: str,
        *,
        surface: str,
        conversation_id: int | None = None,
        project_id: str | None = None,
        image: Path | None = None,
        overrides: Requirements | None = None,
        progress: PlanProgress | None = None,
        place: Place | None = None,
    ) -> Turn:
        """One turn of a conversation on any surface: the first message plans a project, later ones edit it.

        ``project_id`` edits that project whatever the conversation is about (a /edit command). What
        was said and the reply are stored once the turn succeeded, so "history in a database" covers
        the conversation, and a refused request leaves nothing behind.
        """
        if project_id is None and conversation_id is not None:
            project_id = await asyncio.to_thread(self.repository.conversation_project, conversation_id)
        if project_id is None:
            version = await self.plan(user, text, image, overrides, progress, place)
            reply = f'Planned "{version.plan.title}": {len(version.plan.shots)} shots, {version.plan.total_duration_s:g}s.'
        else:
            version = await self.edit(user, project_id, text)
            reply = f"Version {version.number}: " + "; ".join(version.diff)
        if version.planner.fallback and version.planner.note:
            reply += f" (Note: {version.planner.note})"
        conversation_id = await asyncio.to_thread(
            self.repository.record_turn, conversation_id, user, surface, text, reply, version.project_id, version.number
        )
        return Turn(conversation_id, version, reply)

    async def transcript(self, conversation_id: int) -> list[tuple[str, str]]:
        return await asyncio.to_thread(self.repository.transcript, conversation_id)

    async def chat(
        self, conversation_id: int, user: UserRef, text: str, image: Path | None = None, progress: PlanProgress | None = None
    ) -> ChatReply:
        """A terminal turn: converse, then render the new version."""
        turn = await self.converse(user, text, surface="terminal", conversation_id=conversation_id, image=image, progress=progress)
        job = await self.render(user, turn.version.project_id, turn.version.number)
        return ChatReply(turn.text, turn.version, job)

    # reading ------------------------------------------------------------------------------------
    async def history(self, owner: UserRef | None = None, viewer: Viewer | None = None) -> list[ProjectRecord]:
        """Recent projects: all (the local operator, no viewer), or what the viewer may see — their own
        by default, ``owner``'s when given."""
        if viewer is None:
            return await asyncio.to_thread(self.repository.projects, owner)
        return await asyncio.to_thread(partial(self.repository.projects, owner, visible_to=viewer.user, guild=viewer.guild))

    async def show(self, project_id: str, version: int | None = None) -> tuple[ProjectRecord, VersionRecord, RenderRecord | None]:
        check_version(version)

        def read() -> tuple[ProjectRecord, VersionRecord, RenderRecord | None]:
            project = self.repository.project(project_id)
            record = self.repository.version(project_id, version)
            return project, record, self.repository.latest_render(project_id, record.number)

        return await asyncio.to_thread(read)

    async def versions(self, project_id: str) -> list[VersionRecord]:
        return await asyncio.to_thread(self.repository.versions, project_id)

    async def verify(self, path: Path) -> Verification:
        return await asyncio.to_thread(self._verify, path)

    def _verify(self, path: Path) -> Verification:
        """Marks in a file, read within bounds: size and frame size are checked before any decoding,
        frames are decoded at most ``VERIFY_WIDTH`` wide, and at most a few files are read at once."""
        if not path.is_file():
            raise NotFound(f"No such file: {path}")
        size = path.stat().st_size
        if size > self.settings.max_verify_bytes:
            raise BadRequest(
                f"{path.name} is {size / 2**20:.0f} MiB; videos up to {self.settings.max_verify_bytes / 2**20:.0f} MiB can be checked."
            )
        with self._verifying:
            try:
                width, height = frame_size(path)
            except Exception as error:
                raise BadRequest(f"{path.name} is not a video file I can read ({type(error).__name__}).") from error
            if width * height > self.settings.max_verify_pixels:
                raise BadRequest(
                    f"{path.name} is {width}x{height}; videos up to {self.settings.max_verify_pixels / 1e6:.1f} megapixels can be checked."
                )
            return self._read_marks(path)

    def _read_marks(self, path: Path) -> Verification:
        try:
            metadata = container_metadata(path)
            detection = self.watermarker.detect(sample_frames(path, VERIFY_SAMPLE_FRAMES, VERIFY_WIDTH))
        except ReelwrightError:
            raise
        except Exception as error:
            raise BadRequest(f"{path.name} is not a video file I can read ({type(error).__name__}).") from error
        render = self.repository.render(detection.mark_id) if detection.mark_id is not None else None
        return Verification(path, detection, metadata, render)

    async def close(self) -> None:
        await asyncio.to_thread(self.runner.shutdown)
        close = getattr(self._llm, "close", None)
        if close is not None:
            await asyncio.to_thread(close)
        self.scratch.close()


def remove_abandoned_partials(repository: Repository) -> None:
    """Remove what failed renders left half-written beside their output, wherever it was (``--out``
    included): a render killed mid-write is failed by the time this runs (its lease ran out)."""
    failed = repository.unwritten_outputs()
    for render_id, path in failed:
        partial_path(Path(path), render_id).unlink(missing_ok=True)
    repository.forget_outputs([render_id for render_id, _ in failed])


def check_output_path(out: Path) -> None:
    """Fail before rendering, not after, if the output cannot be written."""
    if out.suffix.lower() != ".mp4":
        raise BadRequest(f"The output file must end in .mp4 (got {out.name}).")
    if out.is_dir():
        raise BadRequest(f"{out} is a directory.")
    parent = out.resolve().parent
    blocking = next((folder for folder in (parent, *parent.parents) if folder.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise BadRequest(f"Cannot write {out.name} there: {blocking} is a file, not a folder.")
    if blocking is not None and not os.access(blocking, os.W_OK):
        raise BadRequest(f"Cannot write to {parent}: no permission.")


def check_version(version: int | None) -> None:
    """Versions are numbered from 1; anything else is a clear message, not "latest" or a database error."""
    if version is not None and not 1 <= version <= MAX_VERSION:
        raise BadRequest(f"Versions are numbered from 1 (you asked for version {version}).")
