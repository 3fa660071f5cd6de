"""The render service: what a worker runs. It loads everything it needs from a job's row.

Chat surfaces talk to the conversation service (``bot/service.py``); workers (the in-process runner,
Celery workers on GPU machines) run only this: the version's plan, its images from the artifact
store, the output path, the video models, the pipeline. Every step is keyed by content (shot clips
and narration are cached under the hash of what makes them), so a job taken over after its worker
died reuses every shot and line already made.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelwright.errors import BadRequest, GenerationError
from reelwright.generation.backends import VideoBackend, build_image_to_video, build_speech, build_text_to_video, build_video_model
from reelwright.generation.pipeline import RenderPipeline, StageProgress
from reelwright.generation.watermark import Watermarker
from reelwright.records import JobRecord, RenderRecord
from reelwright.settings import Settings
from reelwright.storage.artifacts import ArtifactStore
from reelwright.storage.repository import Repository


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


class RenderService:
    def __init__(self, settings: Settings, repository: Repository, store: ArtifactStore, scratch: Path, watermarker: Watermarker) -> None:
        self.settings = settings
        self.repository = repository
        self.store = store
        self.scratch = scratch
        self.watermarker = watermarker
        self._pipeline: RenderPipeline | None = None
        self._models: dict[str, VideoBackend] = {}
        self._lock = threading.Lock()

    def pipeline(self) -> RenderPipeline:
        with self._lock:
            if self._pipeline is None:
                self._pipeline = RenderPipeline(
                    build_text_to_video(self.settings),
                    build_image_to_video(self.settings),
                    build_speech(self.settings),
                    self.store,
                    self.watermarker,
                    self.scratch,
                    models=self.video_model,
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

    def output_of(self, job: JobRecord) -> Path:
        return Path(job.output_path) if job.output_path else self.settings.outputs_dir / f"{job.project_id}-v{job.version}.mp4"

    def run(self, job: JobRecord, report: StageProgress) -> RenderOutcome:
        """Render a job's version to its output. Each attempt reserves its own render id (the watermark
        payload); an attempt that died leaves a failed render row, never a reused id."""
        record = self.repository.version(job.project_id, job.version)
        plan = record.plan
        images = {shot.source_image: self.store.path_of(shot.source_image) for shot in plan.shots if shot.source_image}
        output = self.output_of(job)
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
            )
            artifact = self.store.put(result.output, "video", plan.total_duration_s)
            shots = [{"shot": s.shot_id, "clip_hash": s.clip_hash, "reused": s.reused} for s in result.shots]
            self.repository.complete_render(render_id, artifact.sha256, str(output.resolve()), shots, plan.total_duration_s)
        except BaseException:
            self.repository.fail_render(render_id)
            raise
        return RenderOutcome(job.project_id, job.version, render_id, output, plan.total_duration_s, shots)
