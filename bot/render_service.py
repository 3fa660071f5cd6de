"""The render service: what a worker runs. It loads everything it needs from a job's row.

Chat surfaces talk to the conversation service (``bot/service.py``); workers (the in-process runner,
Celery workers on GPU machines) run only this: the version's plan, its images from the artifact
store, the output path, the video models, the pipeline. Every step is keyed by content (shot clips
and narration are cached under the hash of what makes them), so a job taken over after its worker
died reuses every shot and line already made.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any, Protocol

from reelwright.bot.fan_out import ShotLocks, make_shots
from reelwright.errors import BadRequest, Cancelled, GenerationError, ReelwrightError
from reelwright.generation.backends import (
    VideoBackend,
    build_image_to_video,
    build_sounds,
    build_talking,
    build_text_to_video,
    build_video_model,
)
from reelwright.generation.compose import frame_ranges
from reelwright.generation.credentials import CredentialClaim, SigningIdentity, sign_video
from reelwright.generation.keys import signing_identity
from reelwright.generation.pipeline import RenderPipeline, ShotResult, Spoken, StageProgress
from reelwright.generation.voices import CLONE_PREFIX, VoiceBank
from reelwright.generation.watermark import Watermarker
from reelwright.plan import ShotPlan
from reelwright.records import JobRecord, RenderRecord, VersionRecord
from reelwright.settings import Settings
from reelwright.storage.artifacts import ArtifactStore
from reelwright.storage.repository import Repository

log = logging.getLogger(__name__)
#: What signs every video's content credentials.
TOOL = "Reelwright"
#: How often a helper checks that the job it helps is still going (a cancel, a takeover).
HELPER_CHECK_S = 1.0


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

    @classmethod
    def of_render(cls, render: RenderRecord) -> RenderOutcome:
        return cls(render.project_id, render.version, render.id, Path(render.output_path), render.seconds, render.shots)


class Helpers(Protocol):
    """Other workers that can render shots of a job this worker holds (Celery workers; none embedded)."""

    locks: ShotLocks

    def ask(self, job: JobRecord, count: int) -> None:
        """Ask up to ``count`` other workers to help with ``job``'s shots."""
        ...


class RenderService:
    def __init__(
        self,
        settings: Settings,
        repository: Repository,
        store: ArtifactStore,
        scratch: Path,
        watermarker: Watermarker,
        helpers: Helpers | None = None,
    ) -> None:
        """``helpers``: the shots of a job fan out to other workers (each shot taken once, under a lock)."""
        self.settings = settings
        self.helpers = helpers
        self.repository = repository
        self.store = store
        self.scratch = scratch
        self.watermarker = watermarker
        self._pipeline: RenderPipeline | None = None
        self._identity: SigningIdentity | None = None
        self._models: dict[str, VideoBackend] = {}
        self._lock = threading.Lock()
        self.voices = VoiceBank(settings)

    def pipeline(self) -> RenderPipeline:
        with self._lock:
            if self._pipeline is None:
                self._pipeline = RenderPipeline(
                    build_text_to_video(self.settings),
                    build_image_to_video(self.settings),
                    self.voices,
                    build_sounds(self.settings),
                    self.store,
                    self.watermarker,
                    self.scratch,
                    models=self.video_model,
                    talking=build_talking(self.settings),
                )
            return self._pipeline

    def video_model(self, reference: str) -> VideoBackend:
        """The backend of a video model (preset id, hub id or model folder), built once per process.

        Building resolves the model without reading weights, so an unknown or missing model is refused
        before a project is made; the weights load on the first render."""
        with self._lock:
            if reference not in self._models:
                try:
                    self._models[reference] = build_video_model(self.settings, reference)
                except GenerationError as error:
                    raise BadRequest(str(error)) from error
            return self._models[reference]

    def identity(self) -> SigningIdentity:
        """The content-credentials signer, loaded (and checked with c2pa) once per process."""
        with self._lock:
            if self._identity is None:
                self._identity = signing_identity(self.settings)
            return self._identity

    def credentials_for(self, job: JobRecord, record: VersionRecord) -> CredentialClaim:
        """What the video's signed manifest says: the models of each shot and, for an edit, the version it
        was made from (its file as the parent ingredient, when this machine can still get it) and the instruction."""
        pipeline = self.pipeline()
        models = [(shot.id, model_name(pipeline.made_by(record.plan, shot))) for shot in record.plan.shots]
        parent = None
        if job.version > 1:
            previous = self.repository.latest_render(job.project_id, job.version - 1)
            if previous is not None and previous.output_sha256:
                try:
                    parent = self.store.path_of(previous.output_sha256)
                except (ReelwrightError, KeyError) as error:
                    log.info("version %d of %s is not here to be the parent ingredient: %s", job.version - 1, job.project_id, error)
        return CredentialClaim(
            title=record.plan.title,
            tool=TOOL,
            tool_version=installed_version("reelwright"),
            project_id=job.project_id,
            version=job.version,
            models=models,
            parent=parent,
            instruction=record.instruction if job.version > 1 else None,
        )

    def voice_sample(self, project_id: str, plan: ShotPlan) -> Path | None:
        """The sample of a plan's cloned voice, if its owner (the project's owner) still has it: a voice
        is only ever used in its owner's projects."""
        if not plan.voice.name.startswith(CLONE_PREFIX):
            return None
        clone = self.repository.owners_cloned_voice(project_id, plan.voice.name.removeprefix(CLONE_PREFIX))
        return self.store.path_of(clone.sample_sha256) if clone is not None else None

    def images_of(self, plan: ShotPlan) -> dict[str, Path]:
        """The plan's source images on this machine (fetched from the shared store when made elsewhere)."""
        return {shot.source_image: self.store.path_of(shot.source_image) for shot in plan.shots if shot.source_image}

    def output_of(self, job: JobRecord) -> Path:
        """Where a job writes its video: where it was asked for, unless a file was written there after
        the job was queued (a job left by a killed command, run again later, never overwrites the
        newer video someone made since); then the outputs folder, which the render's row records."""
        default = self.settings.outputs_dir / f"{job.project_id}-v{job.version}.mp4"
        if not job.output_path:
            return default
        asked = Path(job.output_path)
        if job.queued_at is not None and written_after(asked, job.queued_at):
            log.warning("job %s: %s was written after the job was queued; writing %s instead", job.id, asked, default)
            return default
        return asked

    def run(self, job: JobRecord, report: StageProgress) -> RenderOutcome:
        """Render a job's version to its output. Each attempt reserves its own render id (the watermark
        payload); an attempt that died leaves a failed render row, never a reused id."""
        record = self.repository.version(job.project_id, job.version)
        plan = record.plan
        images = self.images_of(plan)
        output = self.output_of(job)
        claim = self.credentials_for(job, record)
        identity = self.identity()  # a signer that cannot sign fails the job before any frame is made
        render_id = self.repository.begin_render(job.project_id, job.version, str(output.resolve()))
        self.repository.update_job(job.id, render_id=render_id)
        try:
            result = self.pipeline().render(
                plan,
                project_id=job.project_id,
                version=job.version,
                mark_id=render_id,
                out_path=output,
                images=images,
                progress=report,
                shots=partial(self.coordinate, job) if self.helpers is not None else None,
                voice_sample=self.voice_sample(job.project_id, plan),
            )
            report("signing", 1.0, "content credentials")
            sign_video(result.output, result.output, claim, identity)
            artifact = self.store.put(result.output, "video", result.duration_s)
            shots = [{"shot": s.shot_id, "clip_hash": s.clip_hash, "reused": s.reused} for s in result.shots]
            self.repository.complete_render(render_id, artifact.sha256, str(output.resolve()), shots, result.duration_s)
        except BaseException:
            self.repository.fail_render(render_id)
            raise
        return RenderOutcome(job.project_id, job.version, render_id, output, result.duration_s, shots)

    def coordinate(
        self, job: JobRecord, plan: ShotPlan, counts: list[int], images: dict[str, Path], spoken: Spoken, progress: StageProgress
    ) -> list[tuple[Path, ShotResult]]:
        """The held job's shots: other workers are asked to help with those still to make, this one works
        through them too and waits for the rest, so it never depends on help arriving."""
        assert self.helpers is not None
        pipeline = self.pipeline()
        missing = sum(
            1
            for shot, count in zip(plan.shots, counts, strict=True)
            if pipeline.clips.lookup(pipeline.clip_key(plan, shot, count, pipeline.backend_for(plan, shot), spoken.get(shot.id))) is None
        )
        if missing > 1:
            self.helpers.ask(job, missing - 1)
        made, _ = make_shots(pipeline, plan, counts, images, self.helpers.locks, progress, spoken=spoken)
        return [made[index] for index in range(len(plan.shots))]

    def help(self, job_id: int, attempt: int, start: int) -> int:
        """Render shots of a job another worker holds, starting from shot ``start`` (helpers spread out);
        stops when its shots are all taken, or the job ended or changed hands. Returns how many it made."""
        assert self.helpers is not None
        job = self.repository.job(job_id)
        if job.status != "running" or job.attempts != attempt:
            return 0
        plan = self.repository.version(job.project_id, job.version).plan
        # Timed by the talking shots' speech as the job's worker timed it (the lines are cached stems by now).
        plan, spoken = self.pipeline().speech_first(plan, self.voice_sample(job.project_id, plan))
        counts = [count for _, count in frame_ranges([shot.duration_s for shot in plan.shots], plan.fps)]
        images = self.images_of(plan)
        checked = [time.monotonic()]

        def still_wanted(stage: str, fraction: float, detail: str) -> None:
            if time.monotonic() - checked[0] > HELPER_CHECK_S:
                checked[0] = time.monotonic()
                now = self.repository.job(job_id)
                if now.status != "running" or now.attempts != attempt:
                    raise Cancelled("The job ended or changed hands.")

        order = [(start + offset) % len(plan.shots) for offset in range(len(plan.shots))]
        _, rendered = make_shots(self.pipeline(), plan, counts, images, self.helpers.locks, still_wanted, order, wait=False, spoken=spoken)
        return len(rendered)


def written_after(path: Path, moment: datetime) -> bool:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC) > moment
    except OSError:  # not there (or unreadable): nothing to protect
        return False


def model_name(backend: object) -> str:
    """How content credentials name the model of a shot: the backend, and the weights it loads if any."""
    name = str(getattr(backend, "name", type(backend).__name__))
    model = getattr(backend, "model_identity", None)
    return f"{name} {model}" if model else name
