"""The render pipeline, top to bottom: render shots -> narrate -> compose (caption, label, mark) -> file.

A shot clip is a pure function of its ``ClipRequest`` (and the backend's name and version), so it is
cached under the hash of those: an edit that changes one shot re-renders only that shot.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from reelwright.generation.backends import ClipRequest, Speech, SpeechBackend, VideoBackend
from reelwright.generation.compose import NARRATION_LEAD_S, ComposedShot, Provenance, compose, frame_ranges
from reelwright.generation.video_io import read_wav, write_clip, write_wav
from reelwright.generation.watermark import Watermarker
from reelwright.plan import Shot, ShotPlan, Voice

#: Called with (stage, overall fraction 0..1, detail). May raise ``Cancelled``.
StageProgress = Callable[[str, float, str], None]

SHOTS_SHARE, NARRATION_SHARE = 0.6, 0.15
MAX_SPEEDUP = 2.0


class ClipStore(Protocol):
    """Where rendered clips and narration are kept, keyed by the hash of what made them."""

    def lookup(self, cache_key: str) -> Path | None: ...

    def store(self, cache_key: str, file: Path, kind: str, duration_s: float) -> Path: ...


@dataclass(frozen=True)
class ShotResult:
    shot_id: int
    clip_hash: str
    reused: bool


@dataclass(frozen=True)
class RenderResult:
    output: Path
    shots: list[ShotResult]


def backend_identity(backend: object) -> dict[str, object]:
    """What about a backend changes its output: name, version and, when it has them, its options."""
    identity: dict[str, object] = {"backend": getattr(backend, "name", ""), "version": getattr(backend, "version", "")}
    options = getattr(backend, "options", None)
    if options is not None:
        identity["options"] = options.model_dump(mode="json")
    return identity


def content_hash(parts: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class RenderPipeline:
    def __init__(
        self,
        text_to_video: VideoBackend,
        image_to_video: VideoBackend,
        speech: SpeechBackend,
        clips: ClipStore,
        watermarker: Watermarker,
        scratch: Path,
        tool_name: str = "Reelwright",
    ) -> None:
        """``scratch`` holds work files; the caller gives a folder that is cleaned even after a kill."""
        self.scratch = scratch
        self.text_to_video = text_to_video
        self.image_to_video = image_to_video
        self.speech = speech
        self.clips = clips
        self.watermarker = watermarker
        self.tool_name = tool_name

    def clip_request(self, plan: ShotPlan, shot: Shot, frame_count: int, images: dict[str, Path]) -> ClipRequest:
        return ClipRequest(
            prompt=shot.prompt,
            negative_prompt=shot.negative_prompt,
            width=plan.width,
            height=plan.height,
            fps=plan.fps,
            num_frames=frame_count,
            camera=shot.camera,
            seed=shot.seed,
            style=plan.style,
            grade=shot.grade,
            caption=f"Shot {shot.id}: {shot.prompt}",
            source_image=images[shot.source_image] if shot.source_image else None,
        )

    def backend_for(self, shot: Shot) -> VideoBackend:
        return self.image_to_video if shot.source_image else self.text_to_video

    def clip_key(self, request: ClipRequest, backend: VideoBackend, image_sha: str | None) -> str:
        fields = asdict(request) | {"source_image": image_sha, "grade": request.grade.model_dump()}
        return content_hash({**backend_identity(backend), **fields})

    def render(
        self,
        plan: ShotPlan,
        *,
        project_id: str,
        version: int,
        mark_id: int,
        out_path: Path,
        images: dict[str, Path],
        progress: StageProgress,
    ) -> RenderResult:
        ranges = frame_ranges([shot.duration_s for shot in plan.shots], plan.fps)
        clips: list[Path] = []
        results: list[ShotResult] = []
        for index, (shot, (_, frame_count)) in enumerate(zip(plan.shots, ranges, strict=True)):
            detail = f"shot {shot.id}/{len(plan.shots)}"
            base = SHOTS_SHARE * index / len(plan.shots)

            def shot_progress(fraction: float, base: float = base, detail: str = detail) -> None:
                progress("rendering", base + SHOTS_SHARE * fraction / len(plan.shots), detail)

            clip, result = self.render_shot(plan, shot, frame_count, images, shot_progress)
            clips.append(clip)
            results.append(result)

        narration: list[Speech | None] = [None] * len(plan.shots)
        if plan.narration:
            for index, shot in enumerate(plan.shots):
                progress("narrating", SHOTS_SHARE + NARRATION_SHARE * index / len(plan.shots), f"shot {shot.id}/{len(plan.shots)}")
                if shot.narration.strip():
                    narration[index] = self.narrate(shot.narration, plan.voice, shot.duration_s - NARRATION_LEAD_S - 0.1)

        composed = [
            ComposedShot(
                clip=clip, start_frame=start, frame_count=count, caption=shot.narration if plan.narration else "", narration=speech
            )
            for clip, shot, (start, count), speech in zip(clips, plan.shots, ranges, narration, strict=True)
        ]
        done = SHOTS_SHARE + NARRATION_SHARE
        compose(
            composed,
            out_path=out_path,
            width=plan.width,
            height=plan.height,
            fps=plan.fps,
            with_audio=plan.narration,
            captions=plan.narration,
            provenance=Provenance(self.tool_name, project_id, version, mark_id, plan.title),
            watermarker=self.watermarker,
            progress=lambda fraction: progress("composing", done + (1 - done) * fraction, "encode, label, watermark"),
        )
        progress("done", 1.0, "")
        return RenderResult(out_path, results)

    def render_shot(
        self, plan: ShotPlan, shot: Shot, frame_count: int, images: dict[str, Path], progress: Callable[[float], None]
    ) -> tuple[Path, ShotResult]:
        backend = self.backend_for(shot)
        request = self.clip_request(plan, shot, frame_count, images)
        key = self.clip_key(request, backend, shot.source_image)
        cached = self.clips.lookup(key)
        if cached is not None:
            progress(1.0)
            return cached, ShotResult(shot.id, key, reused=True)
        with tempfile.TemporaryDirectory(prefix="shot-", dir=self.scratch) as scratch:
            path = Path(scratch) / "clip.mp4"
            write_clip(backend.render(request, progress), path, plan.fps, plan.width, plan.height)
            stored = self.clips.store(key, path, "clip", frame_count / plan.fps)
        return stored, ShotResult(shot.id, key, reused=False)

    def narrate(self, text: str, voice: Voice, max_s: float) -> Speech:
        """Speak ``text`` so it fits in ``max_s``, speeding the voice up rather than cutting a line off."""
        key = content_hash(
            {
                **backend_identity(self.speech),
                "text": text,
                "voice": voice.model_dump(),
                "max_s": round(max_s, 2),
            }
        )
        cached = self.clips.lookup(key)
        if cached is not None:
            return read_wav(cached)
        speech = self.speech.speak(text, voice)
        if speech.duration_s > max_s > 0:
            factor = min(MAX_SPEEDUP / voice.speed, speech.duration_s / max_s * 1.05)
            speech = self.speech.speak(text, voice.model_copy(update={"speed": min(2.0, voice.speed * factor)}))
        with tempfile.TemporaryDirectory(prefix="voice-", dir=self.scratch) as scratch:
            path = Path(scratch) / "narration.wav"
            write_wav(speech, path)
            self.clips.store(key, path, "audio", speech.duration_s)
        return speech
