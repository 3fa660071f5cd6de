"""The conversation service: the one place every chat surface (CLI, terminal chat, Discord) talks to.

It is asyncio-native: database work and planning run in threads, rendering runs as a job on the job
runner, and callers follow a job through its events. Adapters only parse input and render answers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Protocol

from reelwright.access import REFUSALS, Action, Role, Viewer, permits
from reelwright.agent.edit_ops import diff_plans
from reelwright.agent.edits import edit_plan
from reelwright.agent.intent import Intent, read_intent
from reelwright.agent.llm import ChatModel, build_llm
from reelwright.agent.moderation import Policy
from reelwright.agent.planner import check_total, plan_video
from reelwright.agent.requirements import extract_requirements
from reelwright.agent.revert import GoBack, going_back, target_version
from reelwright.bot.inputs import check_request, load_image
from reelwright.bot.jobs import InProcessJobRunner, JobExecutor, JobHandle, LocalBus, ProgressBus, follow
from reelwright.bot.moderation import Moderator, categories
from reelwright.bot.render_service import RenderOutcome, RenderService
from reelwright.errors import (
    BadRequest,
    Cancelled,
    Conflict,
    ConsentNeeded,
    LLMUnavailable,
    NotAllowed,
    NotFound,
    ReelwrightError,
    StorageError,
)
from reelwright.generation import model_hub
from reelwright.generation.backends import VideoBackend
from reelwright.generation.compose import partial_path
from reelwright.generation.credentials import DerivedAction, sign_derivative
from reelwright.generation.faces import read_photo, speaking_face
from reelwright.generation.keys import watermark_key
from reelwright.generation.presets import PRESETS
from reelwright.generation.verification import Marks, Verdict, read_marks
from reelwright.generation.video_io import fit_for_upload, frame_size, is_still_image
from reelwright.generation.voice_sample import MAX_BYTES, prepare_sample
from reelwright.generation.voices import CLONE_PREFIX, VoiceInfo
from reelwright.generation.watermark import VERSION_BITS, Watermarker
from reelwright.plan import PlannerInfo, PlanProgress, Requirements, ShotPlan, with_request
from reelwright.records import (
    ClonedVoiceRecord,
    ConsentRecord,
    JobRecord,
    Place,
    ProjectRecord,
    RefusalRecord,
    RenderRecord,
    UserRef,
    VersionRecord,
)
from reelwright.settings import Settings
from reelwright.storage.artifacts import ArtifactStore, sweep_private
from reelwright.storage.db import open_database
from reelwright.storage.repository import DeliveryClaim, Repository
from reelwright.storage.scratch import ScratchSpace

log = logging.getLogger(__name__)

#: What the uploader of a photo confirms before it is animated (a button in Discord, ``--consent`` on the CLI).
CONSENT_STATEMENT = (
    "I am the person in this image, or I have the consent of everyone shown in it to be animated and made to speak, "
    "or it shows no real person; it is not a public figure."
)
VOICE_CONSENT_STATEMENT = "This is my own voice, or I have the speaker's permission to clone it for my videos."
#: The largest voice recording accepted: chat surfaces refuse bigger files before downloading them.
VOICE_SAMPLE_MAX_BYTES = MAX_BYTES
#: Bytes kept free under an upload limit for the content credentials a re-encoded copy is signed with.
CREDENTIALS_ROOM_BYTES = 8 * 1024
#: Fits of one upload: a second one keeps as much room as the credentials of the first really took.
FIT_ATTEMPTS = 2
VERIFY_SAMPLE_FRAMES = 96
#: Frames are decoded at most this wide for detection: the mark lives on a coarse grid, half-size copies decode.
VERIFY_WIDTH = 1280
#: Files read for marks at once; more wait, so /verify cannot exhaust memory.
CONCURRENT_VERIFICATIONS = 2
MAX_VERSION = 2**31 - 1
#: What project ids look like (``uuid4().hex[:8]``); anything else names no project and is not echoed.
PROJECT_ID = re.compile(r"[0-9a-f]{8}")
#: A request that says only how the video should be ("42 seconds", "a vertical video"), not what it shows.
NO_SUBJECT = 'What should the video show? Say it with the rest, e.g. "a 10 second vertical video of a fox running through snow".'
#: The newest version the invisible watermark can name.
MAX_MARKED_VERSION = 2**VERSION_BITS - 1
#: Tries of an edit whose project another edit changed meanwhile (each re-applies it to the newer version).
EDIT_ATTEMPTS = 5


@dataclass(frozen=True)
class Verification:
    """A file's three marks, what they add up to, and the project and version they name."""

    path: Path
    marks: Marks
    verdict: Verdict
    notes: list[str]
    #: The project and version the marks name (the watermark's, checked against our key, first).
    project: tuple[str, int] | None
    #: That version's render in this database; ``None`` when its records are gone (the marks still name it).
    render: RenderRecord | None

    @property
    def ours(self) -> bool:
        return self.verdict != Verdict.NOT_OURS

    def lines(self, where: str) -> list[str]:
        """What to tell a person, ``where`` naming the project as they may see it."""
        headline = {
            Verdict.INTACT: f"✅ Made by Reelwright — {where} — and unchanged since.",
            Verdict.PARTIAL: f"✅ Made by Reelwright — {where}; some marks are missing.",
            Verdict.STRIPPED: f"⚠️ Made by Reelwright — {where} — but its content credentials were stripped.",
            Verdict.UNTRUSTED: f"⚠️ Content credentials name {where}, from a signer this Reelwright does not trust.",
            Verdict.TAMPERED: f"❌ Made by Reelwright — {where} — but tampered with since.",
            Verdict.NOT_OURS: "Not made by Reelwright.",
        }[self.verdict]
        marks = self.marks
        watermark = marks.watermark
        credentials = marks.credentials
        state = {"valid": "valid", "untrusted": "intact, untrusted signer", "invalid": "INVALID", "missing": "none"}[credentials.state]
        signer = f", signed by {credentials.signer}" if credentials.signer and credentials.state != "missing" else ""
        return [
            headline,
            f"Visible label: {'found' if marks.label.found else 'not found'}.",
            f"Invisible watermark: {'found' if watermark.found else 'not found'} (confidence {watermark.confidence:.1f}).",
            f"Content credentials (C2PA): {state}{signer}.",
            *self.notes,
        ]

    def report(self) -> dict[str, object]:
        """Everything, for ``--json``."""
        marks = self.marks
        return {
            "file": str(self.path),
            "verdict": self.verdict.value,
            "project_id": self.project[0] if self.project else None,
            "version": self.project[1] if self.project else None,
            "in_database": self.render is not None,
            "label": {"found": marks.label.found, "score": round(marks.label.score, 3)},
            "watermark": {"found": marks.watermark.found, "confidence": round(marks.watermark.confidence, 2)},
            "credentials": {
                "state": marks.credentials.state,
                "issues": list(marks.credentials.issues),
                "signer": marks.credentials.signer,
                "ai_generated": marks.credentials.ai_generated,
                "project_id": marks.credentials.project_id,
                "version": marks.credentials.version,
                "models": [list(model) for model in marks.credentials.models],
                "instruction": marks.credentials.instruction,
                "ingredients": list(marks.credentials.ingredient_titles),
            },
            "metadata_ai_generated": marks.metadata.get("ai_generated") == "true",
            "notes": self.notes,
        }


@dataclass(frozen=True)
class QueueEntry:
    job: JobRecord
    #: 0 while rendering, n when n jobs go first.
    position: int
    #: While waiting: about how many seconds until it starts.
    starts_in_s: float | None


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


class Dispatcher(Protocol):
    """How queued jobs reach a runner: threads of this process, or Celery workers anywhere."""

    @property
    def bus(self) -> ProgressBus:
        """Where the runners' progress is heard."""
        ...

    def submit(self, job_id: int, queue: str) -> None: ...

    def cancel(self, job_id: int) -> bool:
        """Stop the job at once if this process runs it (others stop at their next heartbeat)."""
        ...

    def top_up(self, waiting: dict[str, int]) -> None:
        """Make sure every waiting job (counted per queue) will reach a runner."""
        ...

    def shutdown(self) -> None: ...


class LocalDispatcher:
    """The embedded default: an in-process runner on this process's threads."""

    def __init__(self, runner: InProcessJobRunner, bus: LocalBus) -> None:
        self.runner = runner
        self.bus = bus

    def submit(self, job_id: int, queue: str) -> None:
        self.runner.submit(job_id)

    def cancel(self, job_id: int) -> bool:
        return self.runner.cancel(job_id)

    def top_up(self, waiting: dict[str, int]) -> None:
        pass  # serving runners read waiting jobs from the database themselves

    def shutdown(self) -> None:
        self.runner.shutdown()


class ConversationService:
    def __init__(self, settings: Settings, serve: bool = False, queues: set[str] | None = None) -> None:
        """``serve``: this process is a long-running server (the bot, the terminal chat, an embedded
        worker): its runner also takes jobs (of ``queues``, all by default) that other processes
        queued or left behind."""
        self.settings = settings
        sessions = open_database(settings.resolved_database_url)
        self.repository = Repository(sessions, max_attempts=settings.job_max_attempts)
        abandoned = self.repository.settle_abandoned_jobs()
        if abandoned:
            log.warning("took back %d job(s) whose worker had stopped", len(abandoned))
        self.scratch = ScratchSpace(settings.data_dir / "scratch")
        self.scratch.remove_abandoned()
        remove_abandoned_partials(self.repository)
        self.store = ArtifactStore(settings.artifacts_dir, sessions, self.scratch.path, settings.artifact_url)
        sweep_private(self.store)
        self.watermarker = Watermarker(watermark_key(settings))
        self.moderator = Moderator(settings, self.repository)
        self.renders = RenderService(settings, self.repository, self.store, self.scratch.path, self.watermarker)
        self.dispatcher = build_dispatcher(settings, self.repository, self.renders, serve, queues)
        self._verifying = threading.BoundedSemaphore(CONCURRENT_VERIFICATIONS)
        self._llm: ChatModel | None = None
        self._llm_error: LLMUnavailable | None = None
        self._llm_loaded = False
        self._llm_lock = threading.Lock()

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
        consent: bool = False,
    ) -> VersionRecord:
        """Create a project and its first plan version, without rendering.

        ``overrides`` are facts chosen outside the text (slash-command options); the person's saved
        defaults apply where neither the text nor the options say otherwise. ``progress`` is called
        from a worker thread with short status lines ("writing shot 2/5"). ``place`` is the chat place
        the project is made in: who else may see and moderate it follows from it. ``consent``: the
        person confirmed ``CONSENT_STATEMENT`` for ``image`` (required to animate one; recorded with
        the project). The request is moderated before planning and the plan after it.
        """
        return await asyncio.to_thread(self._plan, user, request, image, overrides, progress, place, consent)

    def _plan(
        self,
        user: UserRef,
        request: str,
        image: Path | None,
        overrides: Requirements | None,
        progress: PlanProgress | None,
        place: Place | None,
        consent: bool,
    ) -> VersionRecord:
        request = check_request(request, self.settings.max_request_chars)
        guild = place.guild if place else None
        self.moderator.check_request(user, guild, request, "request")
        if overrides is not None and overrides.spoken_line:
            self.moderator.check_request(user, guild, check_request(overrides.spoken_line, self.settings.max_request_chars), "request")
        defaults = Requirements.model_validate(self.repository.preferences(user))
        stated = extract_requirements(request)
        if stated.total_duration_s is not None:  # a length that cannot be made is said first: it is wrong either way
            check_total(stated.total_duration_s, self.settings.max_total_duration_s)
        if image is None and not stated.subject and not stated.shots and not stated.talking:
            raise BadRequest(NO_SUBJECT)
        requirements = with_request(defaults, stated)
        if overrides is not None:
            requirements = requirements.merged_with(overrides)
            if overrides.talking:  # words given with an option (/animate say:, --say) are said as written
                requirements = requirements.model_copy(
                    update={"talking": True, "spoken_line": overrides.spoken_line or requirements.spoken_line}
                )
        image_sha, speaker = None, None
        if image is not None:
            checked = load_image(image, self.settings.max_image_bytes, self.settings.max_image_pixels)
            if not consent:
                raise ConsentNeeded(
                    f"Animating an image needs your confirmation first (`--consent` on the command line): {CONSENT_STATEMENT}"
                )
            if requirements.talking:  # a photo with no face that can speak is refused before anything is kept
                speaker = speaking_face(read_photo(checked))
            image_sha = self.store.put(checked, "image").sha256
        if requirements.video_model:
            self.video_model(requirements.video_model)
        planned = plan_video(
            request, requirements, self.llm(), image_sha=image_sha, max_total_s=self.settings.max_total_duration_s, progress=progress
        )
        self.moderator.check_plan(user, guild, planned.plan, "plan")
        plan, planner, requirements = self._voiced(user, planned.plan, self._unavailable() or planned.planner, requirements)
        if speaker is not None and speaker.note:
            planner = planner.model_copy(update={"note": f"{planner.note} {speaker.note}" if planner.note else speaker.note})
        return self.repository.create_project(
            user,
            request,
            requirements,
            plan,
            planner,
            place,
            consent=(image_sha, CONSENT_STATEMENT) if image_sha is not None else None,
        )

    def _voiced(
        self,
        user: UserRef,
        plan: ShotPlan,
        planner: PlannerInfo,
        requirements: Requirements,
        *,
        current: ShotPlan | None = None,
        project_id: str | None = None,
    ) -> tuple[ShotPlan, PlannerInfo, Requirements]:
        """The plan with "my voice" made the person's cloned voice (and the stated fact with it, so later
        edits keep that voice), and the planner's note saying how it will be narrated on this machine when
        that is not what was asked (no voice of that gender or language here). A cloned voice is checked
        only when this version chooses it: anyone who may edit a project can still change other things."""
        owner = self.repository.role(project_id, user) is Role.OWNER if project_id is not None else True
        chosen = plan.voice.name.startswith(CLONE_PREFIX) and (current is None or plan.voice.name != current.voice.name)
        if chosen:
            if not owner:
                raise NotAllowed("A cloned voice narrates only its owner's projects; ask the project's owner.")
            name = CLONE_PREFIX + self._own_voice(user, plan.voice.name)
            plan = plan.model_copy(update={"voice": plan.voice.model_copy(update={"name": name})})
            requirements = requirements.model_copy(update={"voice_name": name})
        talking = any(shot.talking for shot in plan.shots)
        if not plan.narration and not talking:
            return plan, planner, requirements
        sample = None
        if plan.voice.name.startswith(CLONE_PREFIX) and owner:
            clone = self.repository.cloned_voice(user, plan.voice.name.removeprefix(CLONE_PREFIX))
            sample = self.store.path_of(clone.sample_sha256) if clone is not None else None
        choice = self.renders.voices.choose(plan.voice, plan.language, clone_sample=sample)
        if talking and choice.preset is None:  # a face cannot speak in captions
            raise BadRequest(
                f"A face can only speak with a voice. {choice.note or 'No voice is installed here (`reelwright voices list`).'}"
            )
        return plan, planner.model_copy(update={"voice_note": choice.note}), requirements

    def _own_voice(self, user: UserRef, said: str) -> str:
        """Which of the person's cloned voices "clone:NAME" (or just "my voice") means."""
        name = said.removeprefix(CLONE_PREFIX)
        mine = [voice.name for voice in self.repository.cloned_voices(user)]
        if not mine:
            raise BadRequest("You have no cloned voice yet: `reelwright voices clone NAME SAMPLE.wav`, or /voice clone in Discord.")
        if not name:
            if len(mine) > 1:
                raise BadRequest(f'Which of your voices? You have {", ".join(mine)}: say e.g. "use the voice clone:{mine[0]}".')
            return mine[0]
        if name not in mine:
            raise BadRequest(f"You have no voice named {name!r}; yours: {', '.join(mine)}.")
        return name

    # voices ---------------------------------------------------------------------------------------
    async def voices(self) -> list[VoiceInfo]:
        """Every voice preset (installed or not) and the Piper voices installed by hand."""
        return await asyncio.to_thread(self.renders.voices.catalog)

    async def pull_voice(self, name: str, *, agree_to_licence: bool = False) -> Path:
        return await asyncio.to_thread(partial(self.renders.voices.pull, name, agree_to_licence=agree_to_licence))

    async def remove_voice(self, name: str) -> bool:
        return await asyncio.to_thread(self.renders.voices.remove, name)

    async def clone_voice(self, user: UserRef, name: str, sample: Path, *, confirmed: bool) -> ClonedVoiceRecord:
        """Store a person's voice sample as ``clone:NAME`` for their own projects, once they confirm
        ``VOICE_CONSENT_STATEMENT``; nothing is kept before that or when the sample is unusable."""
        if not confirmed:
            raise ConsentNeeded(
                f"Cloning a voice needs your confirmation first (`--confirm` on the command line): {VOICE_CONSENT_STATEMENT}"
            )
        return await asyncio.to_thread(self._clone_voice, user, name, sample)

    def _clone_voice(self, user: UserRef, name: str, sample: Path) -> ClonedVoiceRecord:
        with self.scratch.folder("voice-") as folder:
            prepared = Path(folder) / "sample.wav"
            seconds = prepare_sample(sample, prepared)
            artifact = self.store.put(prepared, "voice", seconds)
        try:
            return self.repository.add_cloned_voice(user, name, artifact.sha256, seconds, VOICE_CONSENT_STATEMENT)
        except ReelwrightError:
            self.store.forget(artifact.sha256)  # refused (a name taken, too many voices): keep nothing of it
            raise

    async def cloned_voices(self, user: UserRef) -> list[ClonedVoiceRecord]:
        return await asyncio.to_thread(self.repository.cloned_voices, user)

    async def delete_voice(self, user: UserRef, name: str) -> ClonedVoiceRecord:
        """Delete the person's cloned voice and its sample file (the file stays only while another row needs it).
        The voice is gone once its row is: a file that cannot be erased now is erased by a later sweep, as are the
        copies other machines fetched (``ArtifactStore.sweep_private``)."""

        def delete() -> ClonedVoiceRecord:
            record = self.repository.delete_cloned_voice(user, name.removeprefix(CLONE_PREFIX))
            try:
                self.store.forget(record.sample_sha256)
            except StorageError as error:
                log.warning("the sample of a deleted voice is erased at the next sweep: %s", error)
            return record

        return await asyncio.to_thread(delete)

    async def check_image(self, path: Path) -> None:
        """Refuse a file that is not an image we can animate, before anyone is asked anything about it."""
        await asyncio.to_thread(load_image, path, self.settings.max_image_bytes, self.settings.max_image_pixels)

    async def edit(self, user: UserRef, project_id: str, instruction: str) -> VersionRecord:
        """A new version of a project from a conversational instruction."""
        return await asyncio.to_thread(self._edit, user, project_id, instruction)

    def _edit(self, user: UserRef, project_id: str, instruction: str) -> VersionRecord:
        """Apply the instruction to the latest version; if someone stored another version meanwhile, apply
        it again to theirs, so concurrent edits of one project all land and none undoes another."""
        instruction = check_request(instruction, self.settings.max_request_chars)
        self.moderator.check_request(user, self.repository.project(project_id).guild, instruction, "edit", project_id)
        for _ in range(EDIT_ATTEMPTS - 1):
            try:
                return self._edit_latest(user, project_id, instruction)
            except Conflict:
                log.info("project %s changed during an edit; applying it to the new latest version", project_id)
        try:
            return self._edit_latest(user, project_id, instruction)
        except Conflict as error:
            raise Conflict("Several people are editing this project at once; say it again in a moment.") from error

    def _edit_latest(self, user: UserRef, project_id: str, instruction: str) -> VersionRecord:
        project = self.repository.project(project_id)
        current = self.repository.version(project_id)
        if current.number >= MAX_MARKED_VERSION:
            raise BadRequest(
                f"Project {project_id} has {current.number} versions, as many as a video can be marked with; start a new project."
            )
        ask = going_back(instruction)
        if ask is not None:
            return self._go_back(user, project, current, ask, instruction)
        plan, requirements, planner = edit_plan(
            current.plan, instruction, project.requirements, self.llm(), max_total_s=self.settings.max_total_duration_s
        )
        plan, planner, requirements = self._voiced(user, plan, planner, requirements, current=current.plan, project_id=project_id)
        diff = diff_plans(current.plan, plan)
        if not diff:
            raise BadRequest("That would not change anything in the current version.")
        self.moderator.check_plan(user, project.guild, plan, "edit", project_id)
        newly_talking = {shot.source_image for shot in plan.shots if shot.talking and shot.source_image is not None} - {
            shot.source_image for shot in current.plan.shots if shot.talking
        }
        if newly_talking:
            self._may_speak(project_id, newly_talking)
        return self.repository.add_version(project_id, plan, instruction, diff, requirements, planner, based_on=current.number)

    def _go_back(self, user: UserRef, project: ProjectRecord, current: VersionRecord, ask: GoBack, instruction: str) -> VersionRecord:
        """A new version with an earlier version's plan ("undo", "go back to version 2"): the history only
        grows, and the earlier shots' clips are reused from the cache, so it renders at once."""
        versions = {version.number: version for version in self.repository.versions(project.id)}
        number = target_version(ask, [versions[n].instruction for n in sorted(versions)])
        if number < 1:
            raise BadRequest("There is nothing to undo: this is the first version.")
        if number not in versions:
            raise NotFound(f"There is no version {number}; the latest is version {current.number}.")
        earlier = versions[number].plan
        diff = diff_plans(current.plan, earlier)
        if not diff:
            raise BadRequest(f"Version {current.number} already is what version {number} was.")
        self.moderator.check_plan(user, project.guild, earlier, "edit", project.id)
        planner = PlannerInfo(engine="rules")
        return self.repository.add_version(
            project.id, earlier, instruction, [f"back to version {number}", *diff], project.requirements, planner, based_on=current.number
        )

    def _may_speak(self, project_id: str, images: set[str]) -> None:
        """A face an edit makes speak is checked like one planned to: its uploader's confirmation must cover
        speech (confirmations before talking portraits covered animation only) and the photo needs a face."""
        confirmed = {consent.image_sha256 for consent in self.repository.consents(project_id) if consent.statement == CONSENT_STATEMENT}
        for image_sha in sorted(images):
            if image_sha not in confirmed:
                raise ConsentNeeded(
                    "This photo was confirmed for animation, not for making the person in it speak: start a new project "
                    f"with it and the words to say (/animate … say:, or --say with --consent), confirming: {CONSENT_STATEMENT}"
                )
            speaking_face(read_photo(self.store.path_of(image_sha)))

    # rendering ----------------------------------------------------------------------------------
    async def downloaded_models(self) -> list[tuple[str, str]]:
        """(id, title) of the presets whose weights are on this machine: what chat may offer people."""
        found = await asyncio.to_thread(model_hub.downloaded, list(PRESETS))
        return [(preset.id, preset.title) for preset in PRESETS.values() if found[preset.id]]

    def video_model(self, reference: str) -> VideoBackend:
        return self.renders.video_model(reference)

    async def render(
        self,
        user: UserRef | None,
        project_id: str,
        version: int | None = None,
        out: Path | None = None,
        *,
        reply_ref: str | None = None,
        upload_limit: int | None = None,
        run_here: bool = True,
    ) -> JobHandle:
        """Queue a render of a version (the latest by default); follow it with ``handle.events()``.

        The job row holds everything needed to run it and answer it: the output file, and for chat
        surfaces where to post the result (``reply_ref``) and the largest file that place accepts.
        Embedded, ``run_here=False`` only queues it, for a serving process (``reelwright worker``, the
        bot) or a later ``reelwright job ID --wait``.
        """
        check_version(version)
        record = await asyncio.to_thread(self.repository.version, project_id, version)
        project = await asyncio.to_thread(self.repository.project, project_id)
        # Versions stored before a policy changed (or by an older release) are checked again before any frame is made.
        await asyncio.to_thread(self.moderator.check_plan, user, project.guild, record.plan, "render", project_id)
        if out is not None:
            check_output_path(out)
        queue = queue_for(self.settings, record.plan.video_model)
        job_id = await asyncio.to_thread(
            partial(
                self.repository.admit_job,
                project_id,
                record.number,
                user,
                per_user=self.settings.max_jobs_per_user,
                queue_limit=self.settings.max_queued_jobs,
                per_guild=self.settings.max_jobs_per_guild,
                output_path=str(out.resolve()) if out is not None else None,
                upload_limit=upload_limit,
                reply_ref=reply_ref,
                queue=queue,
            )
        )
        if run_here or not isinstance(self.dispatcher, LocalDispatcher):
            try:
                await asyncio.to_thread(self.dispatcher.submit, job_id, queue)  # a broker may take seconds to answer
            except ReelwrightError:  # no runner will ever hear of it: end it (the caller tells the person) rather than leave it queued
                await asyncio.to_thread(partial(self.repository.cancel_jobs, job_ids=[job_id]))
                await asyncio.to_thread(self.repository.mark_delivered, job_id)
                raise
        return self.handle(job_id, project_id, record.number)

    def handle(self, job_id: int, project_id: str, version: int) -> JobHandle:
        return JobHandle(
            job_id,
            project_id,
            version,
            lambda: follow(job_id, self.dispatcher.bus, self.repository),
            lambda: self.outcome(job_id),
        )

    async def job(self, job_id: int) -> JobRecord:
        return await asyncio.to_thread(self.repository.job, job_id)

    async def follow_job(self, job_id: int, run_here: bool = False) -> JobHandle:
        """A handle on a job queued earlier (by this process or any other). ``run_here``: embedded, this
        process renders it unless another runner takes it first (a Celery deployment sends it again)."""
        job = await self.job(job_id)
        if run_here and job.status == "queued":
            await asyncio.to_thread(self.dispatcher.submit, job.id, job.queue)
        return self.handle(job.id, job.project_id, job.version)

    async def queue_position(self, job_id: int) -> int | None:
        return await asyncio.to_thread(self.repository.queue_position, job_id)

    async def outcome(self, job_id: int) -> RenderOutcome:
        """What a finished job made, or the error it ended with (as the person should hear it)."""
        job = await self.job(job_id)
        if job.status == "succeeded" and job.render_id is not None:
            render = await asyncio.to_thread(self.repository.render, job.render_id)
            if render is not None:
                outcome = RenderOutcome.of_render(render)
                if outcome.path.is_file():
                    return outcome
                # Written on another machine: this one reads the video from the shared artifact store.
                return replace(outcome, path=await asyncio.to_thread(self.store.path_of, render.output_sha256))
        if not job.finished:
            raise ReelwrightError(f"Job {job_id} has not finished ({job.status}).")
        raise job_error(job)

    async def check_can_render(self, user: UserRef | None, out: Path | None = None, guild: str | None = None) -> None:
        """What would refuse a render, checked before anything is written (a plan that cannot render is
        not made). Advisory: ``render`` checks the limits again, atomically, when it queues the job."""
        if out is not None:
            check_output_path(out)
        if not self.settings.broker_url:  # rendered here: backends named wrongly fail now, not after planning
            await asyncio.to_thread(self.renders.pipeline)
        await asyncio.to_thread(
            partial(
                self.repository.check_admission,
                user,
                per_user=self.settings.max_jobs_per_user,
                queue_limit=self.settings.max_queued_jobs,
                guild=guild,
                per_guild=self.settings.max_jobs_per_guild,
            )
        )

    async def fit_for_upload(self, path: Path, limit_bytes: int, workdir: Path) -> tuple[Path | None, Path | None]:
        """A copy of a result within a chat's upload limit: ``(file that fits, None)`` or ``(None, shorter preview)``.

        A re-encoded copy is signed again, with the result as its ingredient, so what is posted always
        carries content credentials (room for them is kept under the limit)."""
        return await asyncio.to_thread(self._fit_for_upload, path, limit_bytes, workdir)

    def _fit_for_upload(self, path: Path, limit_bytes: int, workdir: Path) -> tuple[Path | None, Path | None]:
        if path.stat().st_size <= limit_bytes:
            return path, None
        room = CREDENTIALS_ROOM_BYTES
        for _ in range(FIT_ATTEMPTS):
            fitted, preview = fit_for_upload(path, max(1, limit_bytes - room), workdir)
            made = fitted or preview
            if made is None:
                return None, None
            unsigned = made.stat().st_size
            if fitted is not None:
                action: DerivedAction = "c2pa.resized" if frame_size(fitted) != frame_size(path) else "c2pa.transcoded"
                sign_derivative(path, fitted, fitted, action, self.renders.identity(), "re-encoded to fit the chat's upload limit")
            else:
                sign_derivative(
                    path, made, made, "c2pa.trimmed", self.renders.identity(), "the opening seconds at half size, to fit the upload limit"
                )
            if made.stat().st_size <= limit_bytes:
                return fitted, preview
            room += made.stat().st_size - unsigned  # the credentials took more room than kept: fit again with that much more
        return None, None

    async def cancel(self, job_id: int) -> bool:
        """End one job, wherever it runs; whether it was still going."""
        cancelled = await asyncio.to_thread(partial(self.repository.cancel_jobs, job_ids=[job_id]))
        self.dispatcher.cancel(job_id)
        return bool(cancelled)

    async def cancel_project(self, project_id: str) -> int:
        """End every queued or running job of a project, wherever it runs, stuck or not; how many.

        The rows end now, so their owner is never refused for jobs that will not finish; a worker
        still holding one stops at its next heartbeat (one of ours stops at once).
        """
        cancelled = await asyncio.to_thread(self.repository.cancel_jobs, project_id)
        for job_id in cancelled:
            self.dispatcher.cancel(job_id)
        return len(cancelled)

    async def queue(self) -> list[QueueEntry]:
        """Active jobs, in the order they run, with their queue position (0 = rendering now, n = n jobs
        ahead of it) and about when they start."""
        await self.sweep()
        jobs = await asyncio.to_thread(self.repository.active_jobs)
        pace = await asyncio.to_thread(self.repository.seconds_per_place)
        positions = [0 if job.status == "running" else index for index, job in enumerate(jobs)]
        return [QueueEntry(job, position, position * pace if position else None) for job, position in zip(jobs, positions, strict=True)]

    async def sweep(self) -> list[JobRecord]:
        """Take jobs back from workers that stopped (queued again, or failed after too many tries) and
        hand the queued ones to a runner; a long-running surface calls this now and then."""
        settled = await asyncio.to_thread(self.repository.settle_abandoned_jobs)
        await asyncio.to_thread(lambda: self.dispatcher.top_up(self.repository.waiting_by_queue()))
        await asyncio.to_thread(sweep_private, self.store)
        return settled

    async def set_notice(self, job_id: int, ref: str | None) -> None:
        await asyncio.to_thread(self.repository.set_notice, job_id, ref)

    async def outbox(self, surface: str, skip: set[int]) -> list[JobRecord]:
        """Finished jobs whose result is still to be posted on ``surface`` (``skip``: posting them already)."""
        return await asyncio.to_thread(self.repository.outbox, surface, skip)

    async def unfollowed_jobs(self, surface: str, skip: set[int]) -> list[JobRecord]:
        """Active jobs to be answered on ``surface`` that nobody here follows (their follower died with a process)."""
        jobs = await asyncio.to_thread(self.repository.active_jobs)
        return [job for job in jobs if (job.reply_ref or "").startswith(f"{surface}:") and job.id not in skip]

    async def claim_delivery(self, job_id: int, lease_s: float) -> DeliveryClaim | None:
        return await asyncio.to_thread(self.repository.claim_delivery, job_id, lease_s)

    async def mark_delivered(self, job_id: int) -> None:
        await asyncio.to_thread(self.repository.mark_delivered, job_id)

    # people -------------------------------------------------------------------------------------
    async def project(self, project_id: str) -> ProjectRecord:
        return await asyncio.to_thread(self.repository.project, project_id)

    async def authorize(
        self, project_id: str, viewer: Viewer, action: Action, moderates: Callable[[ProjectRecord], bool] | None = None
    ) -> ProjectRecord:
        """The project, if ``viewer`` may do ``action`` to it; otherwise ``NotAllowed``, or ``NotFound``
        for a project they may not even see (its existence is not confirmed). ``moderates`` tells from
        the project's own place whether the viewer moderates it (the surface knows its permissions)."""
        named = project_id if PROJECT_ID.fullmatch(project_id) else "with that id"  # typed text is never echoed
        hidden = NotFound(f"No project {named} that you can see; /history lists yours.")
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
        consent: bool = False,
    ) -> Turn:
        """One turn of a conversation on any surface: the first message plans a project, later ones edit it.

        ``project_id`` edits that project whatever the conversation is about (a /edit command). What
        was said and the reply are stored once the turn succeeded, so "history in a database" covers
        the conversation, and a refused request leaves nothing behind.
        """
        if project_id is None and conversation_id is not None:
            project_id = await asyncio.to_thread(self.repository.conversation_project, conversation_id)
        if project_id is None:
            version = await self.plan(user, text, image, overrides, progress, place, consent)
            count = len(version.plan.shots)
            reply = f'Planned "{version.plan.title}": {count} shot{"s" if count != 1 else ""}, {version.plan.total_duration_s:g}s.'
        else:
            version = await self.edit(user, project_id, text)
            reply = f"Version {version.number}: " + "; ".join(version.diff)
        if version.planner.note:
            reply += f" (Note: {version.planner.note})"
        if version.planner.voice_note:
            reply += f" (Voice: {version.planner.voice_note})"
        conversation_id = await asyncio.to_thread(
            self.repository.record_turn, conversation_id, user, surface, text, reply, version.project_id, version.number
        )
        return Turn(conversation_id, version, reply)

    @staticmethod
    def intent(text: str, ongoing: bool = False) -> Intent:
        """What a message not tied to a project by its place asks for: a new video, a change to the
        person's latest one, or neither (answer it, render nothing). ``ongoing``: said in a conversation
        about one video, where only an explicit request for another video starts one."""
        return read_intent(text, ongoing)

    async def transcript(self, conversation_id: int) -> list[tuple[str, str]]:
        return await asyncio.to_thread(self.repository.transcript, conversation_id)

    async def chat(
        self,
        conversation_id: int,
        user: UserRef,
        text: str,
        image: Path | None = None,
        progress: PlanProgress | None = None,
        consent: bool = False,
    ) -> ChatReply:
        """A terminal turn: converse, then render the new version."""
        turn = await self.converse(
            user, text, surface="terminal", conversation_id=conversation_id, image=image, progress=progress, consent=consent
        )
        job = await self.render(user, turn.version.project_id, turn.version.number)
        return ChatReply(turn.text, turn.version, job)

    # responsible use ----------------------------------------------------------------------------
    async def refusals(self, guild: str | None, everywhere: bool = False, limit: int = 20) -> list[RefusalRecord]:
        """What the policy refused in a guild (``None``: outside any guild; ``everywhere``: all), newest first."""
        return await asyncio.to_thread(self.moderator.audit, guild, everywhere, limit)

    async def appeal(self, refusal_id: int, user: UserRef, text: str) -> RefusalRecord:
        return await asyncio.to_thread(self.moderator.appeal, refusal_id, user, text)

    async def review(self, refusal_id: int, guild: str | None, admin: UserRef, decision: str, note: str | None = None) -> RefusalRecord:
        return await asyncio.to_thread(self.moderator.review, refusal_id, guild, admin, decision, note)

    async def policy(self, guild: str | None) -> Policy:
        return await asyncio.to_thread(self.moderator.policy, guild)

    async def update_policy(
        self,
        guild: str,
        admin: UserRef,
        *,
        block: Sequence[str] = (),
        unblock: Sequence[str] = (),
        disable: Sequence[str] = (),
        enable: Sequence[str] = (),
    ) -> Policy:
        """A guild admin's change to the guild's policy (the caller checked they are one)."""
        return await asyncio.to_thread(
            partial(self.moderator.update_policy, guild, admin, block=block, unblock=unblock, disable=disable, enable=enable)
        )

    @staticmethod
    def moderation_categories() -> tuple[list[str], list[str]]:
        """(always refused, refused unless a guild turns it off)."""
        return categories()

    async def consents(self, project_id: str) -> list[ConsentRecord]:
        return await asyncio.to_thread(self.repository.consents, project_id)

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
        if path.is_dir():
            raise BadRequest(f"{path} is a folder; name the video file to check.")
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
                still = is_still_image(path)
            except Exception as error:
                raise BadRequest(f"{path.name} is not a video file I can read ({type(error).__name__}).") from error
            if still:
                raise BadRequest(f"{path.name} is a still image, not a video: Reelwright marks the videos it makes.")
            if width * height > self.settings.max_verify_pixels:
                raise BadRequest(
                    f"{path.name} is {width}x{height}; videos up to {self.settings.max_verify_pixels / 1e6:.1f} megapixels can be checked."
                )
            return self._read_marks(path)

    def _read_marks(self, path: Path) -> Verification:
        anchors = self.renders.identity().trust_anchors_pem
        try:
            marks = read_marks(path, self.watermarker, anchors, VERIFY_SAMPLE_FRAMES, VERIFY_WIDTH)
        except ReelwrightError:
            raise
        except Exception as error:
            raise BadRequest(f"{path.name} is not a video file I can read ({type(error).__name__}).") from error
        verdict, notes = marks.findings()
        project = marks.project
        render = self.repository.latest_render(*project) if project is not None else None
        return Verification(path, marks, verdict, notes, project, render)

    async def close(self) -> None:
        await asyncio.to_thread(self.dispatcher.shutdown)
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
    """Fail before rendering, not after, if the output cannot be written: by trying, since permissions
    do not tell (root may write anywhere yet not into /proc, a read-only mount refuses everyone)."""
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
    if parent.is_dir():
        try:
            with tempfile.NamedTemporaryFile(dir=parent, prefix=".reelwright-", suffix=".probe"):
                pass
        except OSError as error:
            raise BadRequest(f"Cannot write to {parent}: {error.strerror or error}.") from None


def check_version(version: int | None) -> None:
    """Versions are numbered from 1; anything else is a clear message, not "latest" or a database error."""
    if version is not None and version < 1:
        raise BadRequest(f"Versions are numbered from 1 (you asked for version {version}).")
    if version is not None and version > MAX_VERSION:
        raise NotFound(f"There is no version {version} of that project.")


def job_error(job: JobRecord) -> ReelwrightError:
    """The error a finished job ended with, rebuilt from its row: the details, the exit code, and what chat may show."""
    if job.status == "cancelled":
        return Cancelled(job.error or "Cancelled.")
    error = ReelwrightError(job.error or "Rendering stopped.")
    error.exit_code = job.error_code or ReelwrightError.exit_code
    if job.error_chat and job.error_chat != job.error:
        error.chat_message = job.error_chat
    return error


def queue_for(settings: Settings, video_model: str | None) -> str:
    """The worker queue a render goes to: ``gpu`` when it uses a diffusion model, else ``cpu``."""
    return "gpu" if video_model or settings.text_to_video_model or settings.image_to_video_model else "cpu"


def build_dispatcher(
    settings: Settings, repository: Repository, renders: RenderService, serve: bool, queues: set[str] | None
) -> Dispatcher:
    """Celery workers when a broker is configured, else threads of this process."""
    if settings.broker_url:
        from reelwright.bot.celery_app import CeleryDispatcher

        return CeleryDispatcher(settings)
    bus = LocalBus()
    executor = JobExecutor(repository, bus, renders.run, settings.job_lease_s)
    runner = InProcessJobRunner(executor, workers=settings.render_workers, serve_all=serve, queues=queues)
    if serve:
        runner.start()
    return LocalDispatcher(runner, bus)
