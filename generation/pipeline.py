"""The render pipeline, top to bottom: render shots -> narrate -> sound bed -> mix -> compose (caption, label, mark) -> file.

A shot is fitted to its backend: rendered at a size and frame count the model supports (several calls
chained from the last frame when it is longer than one call), then resampled to the plan's size and
frame rate. The clip is a pure function of the model's identity, the settings that change pixels
and the shot's content, so it is cached under the hash of those: an edit that changes one shot
re-renders only that shot, new weights re-render everything, and a caption re-renders nothing.
Sound is made of stems cached the same way (each narration line, the music bed, each shot's ambience),
so "make the music quieter" only mixes again. The steps overlap on the machine's cores (``render``): the
soundtrack is made while the shots render, and a new shot is composed as its frames come.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image, ImageOps

from reelwright.errors import Cancelled, GenerationError
from reelwright.generation.backends import (
    ClipRequest,
    Progress,
    Sound,
    SoundBackend,
    SoundRequest,
    Speech,
    SpeechBackend,
    SpeechRequest,
    TalkingBackend,
    TalkingRequest,
    VideoBackend,
    capabilities_of,
)
from reelwright.generation.compose import ComposedShot, Composer, Provenance, frame_ranges, within_codec_peak
from reelwright.generation.mix import Cue, Levels, mix
from reelwright.generation.typography import credits_for
from reelwright.generation.video_io import FrameFeed, read_sound, read_wav, write_clip, write_sound, write_wav, yuv_planes
from reelwright.generation.voice_shift import shift_pitch
from reelwright.generation.voices import VoiceChoice, VoicePreset
from reelwright.generation.watermark import Watermarker
from reelwright.plan import MAX_SHOT_S, NARRATION_LEAD_S, TALKING_TAIL_S, Shot, ShotPlan, Voice

#: Called with (stage, overall fraction 0..1, detail). May raise ``Cancelled``.
StageProgress = Callable[[str, float, str], None]
#: The speech of a plan's talking shots by shot id, made before their pictures (``RenderPipeline.speech_first``).
Spoken = dict[int, Speech]
#: Makes every shot's clip of a plan: (plan, frame count per shot, images, spoken, progress) -> (clip, result) per shot.
ShotMaker = Callable[[ShotPlan, list[int], dict[str, Path], Spoken, StageProgress], list[tuple[Path, "ShotResult"]]]

#: Progress: the shots' share when other workers make them (composing them follows); when this process
#: renders and composes at once, the frames' share (the soundtrack and finishing the file follow).
SHOTS_SHARE, STREAMED_SHARE = 0.6, 0.95
PROGRESS_EVERY_S = 0.05
#: A bound on chained calls for one shot (a 120 s shot of a 49-frame, 8 fps model takes 20).
MAX_CALLS_PER_SHOT = 64
MAX_SPEEDUP = 2.0


class Voices(Protocol):
    """Which installed voice speaks a plan, and its engine (``generation.voices.VoiceBank``)."""

    def choose(self, voice: Voice, language: str, *, clone_sample: Path | None = None) -> VoiceChoice: ...

    def engine(self, voice: VoicePreset) -> SpeechBackend: ...


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
    #: The cut's length: the plan's, unless talking shots' speech needed more.
    duration_s: float


def backend_identity(backend: object) -> dict[str, object]:
    """What about a backend changes its output: name, version, its weights' identity and the options that change pixels.

    A backend whose options include settings that do not change pixels (memory policy, compile)
    lists the ones that do in ``pixel_options``.
    """
    identity: dict[str, object] = {"backend": getattr(backend, "name", ""), "version": getattr(backend, "version", "")}
    model = getattr(backend, "model_identity", None)
    if model is not None:
        identity["model"] = model
    options = getattr(backend, "options", None)
    if options is not None:
        chosen = getattr(backend, "pixel_options", None)
        identity["options"] = options.model_dump(mode="json", include=set(chosen) if chosen is not None else None)
    return identity


def content_hash(parts: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class RenderPipeline:
    def __init__(
        self,
        text_to_video: VideoBackend,
        image_to_video: VideoBackend,
        voices: Voices,
        sounds: SoundBackend,
        clips: ClipStore,
        watermarker: Watermarker,
        scratch: Path,
        models: Callable[[str], VideoBackend] | None = None,
        tool_name: str = "Reelwright",
        talking: TalkingBackend | None = None,
    ) -> None:
        """``scratch`` holds work files; the caller gives a folder that is cleaned even after a kill.
        ``models`` builds the backend of a plan's chosen video model (``ShotPlan.video_model``); ``talking``
        makes the faces of talking shots speak."""
        self.scratch = scratch
        self.talking = talking
        self.models = models
        self.text_to_video = text_to_video
        self.image_to_video = image_to_video
        self.voices = voices
        self.sounds = sounds
        self.clips = clips
        self.watermarker = watermarker
        self.tool_name = tool_name

    def backends(self, plan: ShotPlan) -> tuple[VideoBackend, VideoBackend]:
        """(text-to-video, image-to-video) for a plan: its chosen model in the roles it can fill, the
        configured backends in the others."""
        if not plan.video_model or self.models is None:
            return self.text_to_video, self.image_to_video
        chosen = self.models(plan.video_model)
        rules = capabilities_of(chosen)
        return (self.text_to_video if rules.needs_image else chosen), (chosen if rules.takes_image else self.image_to_video)

    def backend_for(self, plan: ShotPlan, shot: Shot) -> VideoBackend:
        """The video backend of a shot: what animates its image or renders its words (for a talking shot
        without an image, the clip whose face speaks)."""
        text_to_video, image_to_video = self.backends(plan)
        return image_to_video if shot.source_image else text_to_video

    def made_by(self, plan: ShotPlan, shot: Shot) -> VideoBackend | TalkingBackend:
        """What makes the shot's final pictures (its model in the credentials, whether it is a draft)."""
        return self.talking_backend() if shot.talking else self.backend_for(plan, shot)

    def talking_backend(self) -> TalkingBackend:
        if self.talking is None:
            raise GenerationError("This renderer has no backend for talking shots.")
        return self.talking

    def continuation_for(self, plan: ShotPlan, backend: VideoBackend) -> VideoBackend:
        """Who continues a shot longer than one call from its last frame: the backend itself when it takes
        an image, else the image-to-video backend (so a long shot keeps moving, never freezes or loops)."""
        return backend if capabilities_of(backend).takes_image else self.backends(plan)[1]

    def clip_key(self, plan: ShotPlan, shot: Shot, frame_count: int, backend: VideoBackend, speech: Speech | None = None) -> str:
        """The model's identity and pixel settings, and the shot's content at the plan's size, rate and length
        (not its grade or caption: composing adds those); for a talking shot also what speaks and what it says."""
        chained = len(capabilities_of(backend).calls_for(self.frames_at_model_rate(plan, frame_count, backend))) > 1
        talking = None
        if shot.talking:
            if speech is None:
                raise GenerationError(f"Shot {shot.id} is a talking shot: its speech is made before its pictures.")
            talking = {**backend_identity(self.talking_backend()), "speech": speech_identity(speech), "lead": NARRATION_LEAD_S}
        # A talking shot with a photo uses no video backend: a new video model re-renders none of them.
        pictures = {} if shot.talking and shot.source_image else backend_identity(backend)
        return content_hash(
            {
                **pictures,
                "talking": talking,
                "continued_by": backend_identity(self.continuation_for(plan, backend)) if chained and pictures else None,
                "prompt": shot.prompt,
                "negative_prompt": shot.negative_prompt,
                "camera": shot.camera,
                "seed": shot.seed,
                "style": plan.style,
                "source_image": shot.source_image,
                "size": [plan.width, plan.height],
                "fps": plan.fps,
                "frames": frame_count,
            }
        )

    @staticmethod
    def frames_at_model_rate(plan: ShotPlan, frame_count: int, backend: VideoBackend) -> int:
        fps = capabilities_of(backend).fps or plan.fps
        return max(1, round(frame_count * fps / plan.fps))

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
        shots: ShotMaker | None = None,
        voice_sample: Path | None = None,
    ) -> RenderResult:
        """Shots, narration, sound bed, mix, composition, with the work spread over the cores: the soundtrack
        (narration, music, ambience, mix) is made on a thread of its own while the shots render, and each new
        shot's frames are composed as they are rendered while its clip is encoded and cached on another
        thread (x264, swscale and the speech model release the GIL). ``shots``: who makes the clips instead
        (other workers, ``bot/fan_out.py``); their clips are composed once all are there. ``voice_sample``:
        the plan's cloned voice (``clone:NAME``), its owner's sample. Talking shots' speech is made first and
        their lengths come from it (``speech_first``)."""
        if any(shot.talking for shot in plan.shots):
            progress("narration", 0.0, "what the talking shots say")
        plan, spoken = self.speech_first(plan, voice_sample)
        ranges = frame_ranges([shot.duration_s for shot in plan.shots], plan.fps)
        composed = [
            ComposedShot(
                clip=None,
                start_frame=start,
                frame_count=count,
                caption=shot.narration if plan.narration else "",
                grade=shot.grade,
                tag=f"SHOT {index}/{len(plan.shots)}" if self.is_draft(plan, shot) else "",
            )
            for index, (shot, (start, count)) in enumerate(zip(plan.shots, ranges, strict=True), start=1)
        ]
        provenance = Provenance(self.tool_name, project_id, version, mark_id, plan.title, credits=self.credits_of(plan))

        def compose_progress(fraction: float) -> None:
            progress("composing", SHOTS_SHARE + (1 - SHOTS_SHARE) * fraction, "encode, label, watermark")

        with (
            ThreadPoolExecutor(1, thread_name_prefix="reelwright-sound") as sound,
            ThreadPoolExecutor(1, thread_name_prefix="reelwright-clip") as clip_encoder,
            Composer(
                out_path=out_path,
                width=plan.width,
                height=plan.height,
                fps=plan.fps,
                total_frames=sum(count for _, count in ranges),
                captions=plan.narration,
                provenance=provenance,
                watermarker=self.watermarker,
                language=plan.language,
            ) as composer,
        ):
            stopping = threading.Event()
            # Drafts render on the CPU, so the soundtrack is made meanwhile; beside a GPU model it waits for the
            # shots, so a voice or sound model never competes with the video model for GPU memory.
            shots_done = threading.Event()
            if all(self.is_draft(plan, shot) for shot in plan.shots):
                shots_done.set()
            soundtrack = sound.submit(self.soundtrack_of, plan, ranges, voice_sample, spoken, shots_done, stopping)
            try:
                if shots is not None:

                    def shots_progress(stage: str, fraction: float, detail: str) -> None:
                        progress(stage, SHOTS_SHARE * fraction, detail)

                    made = shots(plan, [count for _, count in ranges], images, spoken, shots_progress)
                    shots_done.set()
                    self.wait_for(soundtrack, composer, progress, SHOTS_SHARE)
                    for (clip, _), shot in zip(made, composed, strict=True):
                        composer.add_shot(replace(shot, clip=clip), progress=compose_progress)
                    results = [result for _, result in made]
                else:
                    results = self.render_and_compose(plan, composed, images, spoken, composer, soundtrack, clip_encoder, progress)
                    shots_done.set()
                    self.wait_for(soundtrack, composer, progress, STREAMED_SHARE)
            except BaseException:
                stopping.set()  # a cancel or failure does not wait for the rest of the narration
                raise
            progress("composing", 1.0 if shots is not None else STREAMED_SHARE, "encode, label, watermark")
            composer.finish()
        progress("done", 1.0, "")
        return RenderResult(out_path, results, plan.total_duration_s)

    def speech_first(self, plan: ShotPlan, voice_sample: Path | None = None) -> tuple[ShotPlan, Spoken]:
        """The plan timed by its talking shots' speech, and that speech: each talking shot lasts as long as its
        line takes to say, the other shots share the rest of the plan's length. Only a line longer than a shot
        can hold is sped up (as narration is), and one still too long is refused. Lines are cached stems, so
        every worker of a job (``bot/fan_out.py``) times the plan the same way."""
        talking = [shot for shot in plan.shots if shot.talking]
        if not talking:
            return plan, {}
        choice = self.voices.choose(plan.voice, plan.language, clone_sample=voice_sample)
        if choice.preset is None:
            raise GenerationError(
                f"Talking shots need a voice, and none that speaks {plan.language!r} is installed (`reelwright voices list`)."
            )
        longest = MAX_SHOT_S - NARRATION_LEAD_S - TALKING_TAIL_S
        spoken = {shot.id: self.narrate(shot.narration, plan, choice, longest) for shot in talking}
        for shot_id, speech in spoken.items():
            if speech.duration_s > longest + 0.05:
                raise GenerationError(
                    f"Shot {shot_id}'s words take {speech.duration_s:.0f} s to say, even spoken fast: more than a shot holds "
                    f'({MAX_SHOT_S:g} s). Split them over two shots ("shot {shot_id} says: …").'
                )
        return plan.with_talking_lengths({shot_id: speech.duration_s for shot_id, speech in spoken.items()}), spoken

    def credits_of(self, plan: ShotPlan) -> str:
        """Who the pictures ask to be named: the shots' backends' ``credits`` (a storyboard's pictograms) and
        the fonts of emoji in the captions."""
        owed = [str(getattr(self.made_by(plan, shot), "credits", "")) for shot in plan.shots]
        if plan.narration:
            owed += [credits_for(shot.narration, language=plan.language) for shot in plan.shots]
        return "; ".join(dict.fromkeys(credit for credit in owed if credit))

    def is_draft(self, plan: ShotPlan, shot: Shot) -> bool:
        """Whether the shot's backend makes drafts (storyboards): those carry their shot number."""
        return bool(getattr(self.made_by(plan, shot), "draft", False))

    def render_and_compose(
        self,
        plan: ShotPlan,
        composed: list[ComposedShot],
        images: dict[str, Path],
        spoken: Spoken,
        composer: Composer,
        soundtrack: Future[np.ndarray | None],
        clip_encoder: ThreadPoolExecutor,
        progress: StageProgress,
    ) -> list[ShotResult]:
        """Every shot into the composer, in order: a cached clip is decoded; a new shot's frames go to the
        composer as they are rendered, and to ``clip_encoder``, which encodes and caches its clip meanwhile."""
        total = composer.total_frames
        shown, shown_at, shown_detail = 0.0, 0.0, ""

        def report(fraction: float, detail: str) -> None:
            """At most every PROGRESS_EVERY_S (each report is an event to every follower; a cancel is heard
            at the next one), and never backwards: the renderer runs a frame or two ahead of the composer."""
            nonlocal shown, shown_at, shown_detail
            if soundtrack.done() and (failed := soundtrack.exception()) is not None:
                raise failed  # a narration that failed stops the render now, not after the last shot
            now = time.monotonic()
            if detail == shown_detail and now - shown_at < PROGRESS_EVERY_S:
                return
            shown, shown_at, shown_detail = max(shown, fraction), now, detail
            progress("rendering", STREAMED_SHARE * shown, detail)

        results, stored = [], []
        for shot, look in zip(plan.shots, composed, strict=True):
            detail = f"shot {shot.id}/{len(plan.shots)}"

            def composed_progress(fraction: float, detail: str = detail) -> None:
                report(fraction, detail)

            backend = self.backend_for(plan, shot)
            key = self.clip_key(plan, shot, look.frame_count, backend, spoken.get(shot.id))
            cached = self.clips.lookup(key)
            if cached is not None:
                composer.add_shot(replace(look, clip=cached), progress=composed_progress)
                results.append(ShotResult(shot.id, key, reused=True))
            else:

                def shot_progress(fraction: float, look: ComposedShot = look, detail: str = detail) -> None:
                    report((look.start_frame + fraction * look.frame_count) / total, detail)

                feed = FrameFeed()
                stored.append(clip_encoder.submit(self.store_clip, key, feed, plan, look.frame_count, draft=bool(look.tag)))
                try:
                    with tempfile.TemporaryDirectory(prefix="shot-", dir=self.scratch) as scratch:
                        frames = self.shot_frames(
                            plan, shot, look.frame_count, backend, images, Path(scratch), shot_progress, spoken.get(shot.id)
                        )
                        composer.add_shot(look, fed(frames, feed), composed_progress)
                except BaseException:
                    feed.abandon()
                    raise
                feed.close()
                results.append(ShotResult(shot.id, key, reused=False))
            if soundtrack.done() and composer.waiting is not None:
                composer.add_soundtrack(soundtrack.result())  # a failed narration stops the render here
        for clip in stored:
            clip.result()
        return results

    def wait_for(self, soundtrack: Future[np.ndarray | None], composer: Composer, progress: StageProgress, at: float) -> None:
        """Give the composer the soundtrack once it is made (reporting, so a cancel is heard while waiting)."""
        while composer.waiting is not None:
            try:
                composer.add_soundtrack(soundtrack.result(timeout=0.25))
            except FutureTimeout:
                progress("sound", at, "narration, music and ambience")

    def store_clip(self, key: str, frames: FrameFeed, plan: ShotPlan, frame_count: int, *, draft: bool) -> Path:
        """Encode the frames handed over and cache them as the shot's clip (on the clip encoder's thread)."""
        try:
            with tempfile.TemporaryDirectory(prefix="clip-", dir=self.scratch) as scratch:
                path = Path(scratch) / "clip.mp4"
                if write_clip(frames, path, plan.fps, plan.width, plan.height, draft=draft) != frame_count:
                    raise GenerationError(f"A shot's clip came out short of its {frame_count} frames.")
                return self.clips.store(key, path, "clip", frame_count / plan.fps)
        finally:
            frames.stop()

    def render_shot(
        self,
        plan: ShotPlan,
        shot: Shot,
        frame_count: int,
        images: dict[str, Path],
        progress: Callable[[float], None],
        speech: Speech | None = None,
    ) -> tuple[Path, ShotResult]:
        """One shot's clip, from the cache or rendered and cached (what a worker helping with a job makes);
        ``speech``: a talking shot's, from ``speech_first``."""
        backend = self.backend_for(plan, shot)
        key = self.clip_key(plan, shot, frame_count, backend, speech)
        cached = self.clips.lookup(key)
        if cached is not None:
            progress(1.0)
            return cached, ShotResult(shot.id, key, reused=True)
        with tempfile.TemporaryDirectory(prefix="shot-", dir=self.scratch) as scratch:
            path = Path(scratch) / "clip.mp4"
            frames = self.shot_frames(plan, shot, frame_count, backend, images, Path(scratch), progress, speech)
            write_clip(frames, path, plan.fps, plan.width, plan.height, draft=self.is_draft(plan, shot))
            stored = self.clips.store(key, path, "clip", frame_count / plan.fps)
        return stored, ShotResult(shot.id, key, reused=False)

    def shot_frames(
        self,
        plan: ShotPlan,
        shot: Shot,
        frame_count: int,
        backend: VideoBackend,
        images: dict[str, Path],
        scratch: Path,
        progress: Callable[[float], None],
        speech: Speech | None = None,
    ) -> Iterator[np.ndarray]:
        """The shot's ``frame_count`` frames at the plan's size and rate, each as soon as the backend made it.
        A talking shot's face (its image, or else its own clip from ``backend``) speaks ``speech``."""
        image = images.get(shot.source_image or "")
        if not shot.talking:
            timed = self.timed_frames(plan, shot, frame_count, backend, image, scratch, progress)
            return resample(timed, plan.fps, frame_count, (plan.width, plan.height))
        if speech is None:
            raise GenerationError(f"Shot {shot.id} is a talking shot: its speech is made before its pictures.")
        base = (
            None
            if image is not None
            else self.shot_frames(plan, shot.model_copy(update={"talking": False}), frame_count, backend, images, scratch, progress)
        )
        request = TalkingRequest(
            speech=speech,
            speech_start_s=NARRATION_LEAD_S,
            width=plan.width,
            height=plan.height,
            fps=plan.fps,
            num_frames=frame_count,
            prompt=shot.prompt,
            seed=shot.seed,
            style=plan.style,
            face_image=image,
            base_frames=base,
        )
        frames = self.talking_backend().render(request, progress)
        return resample(
            ((number / plan.fps, frame) for number, frame in enumerate(frames)), plan.fps, frame_count, (plan.width, plan.height)
        )

    def timed_frames(
        self,
        plan: ShotPlan,
        shot: Shot,
        frame_count: int,
        backend: VideoBackend,
        image: Path | None,
        scratch: Path,
        progress: Callable[[float], None],
    ) -> Iterator[tuple[float, np.ndarray]]:
        """The shot's frames with their times in seconds, made in as many calls as the model needs: each
        at a size and length it supports, each after the first continuing from the last frame so far."""
        capabilities = capabilities_of(backend)
        calls = capabilities.calls_for(self.frames_at_model_rate(plan, frame_count, backend))
        last: tuple[float, np.ndarray] | None = None
        for index in range(MAX_CALLS_PER_SHOT):
            caller = backend if index == 0 else self.continuation_for(plan, backend)
            rules = capabilities_of(caller)
            fps = rules.fps or plan.fps
            start = last[0] if last is not None else 0.0
            remaining = max(1, round((frame_count / plan.fps - start) * fps))
            count = rules.frames.at_least(remaining + (1 if last is not None else 0))
            if last is not None:
                image = scratch / f"continue-{index}.png"
                Image.fromarray(last[1]).save(image)
            width, height = rules.frame_size(plan.width, plan.height)
            request = ClipRequest(
                prompt=shot.prompt,
                negative_prompt=shot.negative_prompt,
                width=width,
                height=height,
                fps=fps,
                num_frames=count,
                camera=shot.camera,
                seed=shot.seed + index,
                style=plan.style,
                source_image=image,
            )

            def call_progress(fraction: float, index: int = index) -> None:
                progress(min(1.0, (index + fraction) / len(calls)))

            skip = 1 if last is not None else 0  # a continuation's first frame is the frame it continued from
            for number, frame in enumerate(caller.render(request, call_progress)):
                if number >= skip:
                    last = (start + number / fps, frame)
                    yield last
            if last is None:
                raise GenerationError(f"The video model {getattr(caller, 'name', '')} made no frames.")
            if last[0] >= (frame_count - 1) / plan.fps:
                break

    def soundtrack_of(
        self,
        plan: ShotPlan,
        ranges: list[tuple[int, int]],
        voice_sample: Path | None,
        spoken: Spoken,
        start: threading.Event,
        stopping: threading.Event,
    ) -> np.ndarray | None:
        """Narration spoken by the voice cast for the plan, then the music bed and ambience, mixed (on the
        sound thread, once ``start`` is set; ``stopping``: the render failed or was cancelled, so no more is
        made: it is heard between lines and at every step of a sound model)."""

        def heard(fraction: float) -> None:
            if stopping.is_set():
                raise Cancelled("The render stopped.")

        while not start.wait(0.25):
            heard(0.0)
        narration: list[Speech | None] = [spoken.get(shot.id) for shot in plan.shots]
        choice = self.voices.choose(plan.voice, plan.language, clone_sample=voice_sample)
        if plan.narration and choice.preset is not None:
            for index, shot in enumerate(plan.shots):
                heard(index / len(plan.shots))
                if shot.narration.strip() and narration[index] is None:
                    narration[index] = self.narrate(shot.narration, plan, choice, shot.duration_s - NARRATION_LEAD_S - 0.1)
        return self.soundtrack(plan, ranges, narration, heard)

    def narrate(self, text: str, plan: ShotPlan, choice: VoiceChoice, max_s: float) -> Speech:
        """Speak ``text`` with the chosen voice so it fits in ``max_s``, speeding the voice up rather than
        cutting a line off. A pitch (a gender no installed voice has, "a higher voice") is shifted here,
        formants kept, so every engine gets it the same way."""
        assert choice.preset is not None
        engine = self.voices.engine(choice.preset)
        voice = plan.voice.model_copy(update={"name": choice.preset.model, "pitch_semitones": 0.0})
        key = content_hash(
            {
                **backend_identity(engine),
                "voice": choice.name,
                "speaker": choice.preset.speaker,
                "speed": voice.speed,
                "pitch": choice.pitch_semitones,
                "language": plan.language,
                "sample": _file_identity(choice.reference_audio),
                "text": text,
                "max_s": round(max_s, 2),
            }
        )
        cached = self.clips.lookup(key)
        if cached is not None:
            return read_wav(cached)
        request = SpeechRequest(text, voice, plan.language, choice.reference_audio, speaker=choice.preset.speaker)
        speech = engine.speak(request)
        if speech.duration_s > max_s > 0:
            factor = min(MAX_SPEEDUP / voice.speed, speech.duration_s / max_s * 1.05)
            faster = voice.model_copy(update={"speed": min(2.0, voice.speed * factor)})
            speech = engine.speak(SpeechRequest(text, faster, plan.language, choice.reference_audio))
        if choice.pitch_semitones:
            speech = Speech(shift_pitch(speech.samples, speech.sample_rate, choice.pitch_semitones), speech.sample_rate)
        with tempfile.TemporaryDirectory(prefix="voice-", dir=self.scratch) as scratch:
            path = Path(scratch) / "narration.wav"
            write_wav(speech, path)
            self.clips.store(key, path, "audio", speech.duration_s)
            return read_wav(path)  # the stem as cached: a talking shot's clip is keyed by these samples

    def soundtrack(
        self, plan: ShotPlan, ranges: list[tuple[int, int]], narration: list[Speech | None], progress: Progress
    ) -> np.ndarray | None:
        """The mixed stereo track: narration over the music bed and each shot's ambience (None: a silent cut)."""
        ambient = ambience_runs(plan, ranges)
        if not any(speech is not None for speech in narration) and plan.music is None and not ambient:
            return None
        total_s = sum(count for _, count in ranges) / plan.fps
        music = None
        if plan.music is not None:
            prompt = plan.music.prompt or plan.style
            music = self.sound(SoundRequest(prompt, "music", total_s, _seed_of(prompt, plan.style), plan.style), progress)
        # Ambience ignores the style (only music takes a mood from it): a style edit re-makes no ambience.
        ambience = [
            Cue(self.sound(SoundRequest(prompt, "ambience", length_s, seed), progress), start_s, length_s)
            for prompt, start_s, length_s, seed in ambient
        ]
        spoken = [
            Cue(speech, start / plan.fps + NARRATION_LEAD_S)
            for speech, (start, _) in zip(narration, ranges, strict=True)
            if speech is not None and len(speech.samples)
        ]
        levels = Levels(music_db=plan.music.volume_db if plan.music else 0.0, ambience_db=plan.ambience_db)
        # Checked through the AAC codec here, on the sound thread, while the shots render.
        return within_codec_peak(mix(duration_s=total_s, narration=spoken, music=music, ambience=ambience, levels=levels))

    def sound(self, request: SoundRequest, progress: Progress) -> Sound:
        """A music bed or ambience stem, cached under the sound backend's identity and the request."""
        key = content_hash({**backend_identity(self.sounds), "request": {**request.__dict__, "duration_s": round(request.duration_s, 3)}})
        cached = self.clips.lookup(key)
        if cached is not None:
            return read_sound(cached)
        sound = self.sounds.generate(request, progress)
        with tempfile.TemporaryDirectory(prefix="sound-", dir=self.scratch) as scratch:
            path = Path(scratch) / f"{request.kind}.wav"
            write_sound(sound, path)
            self.clips.store(key, path, "audio", sound.duration_s)
        return sound


def ambience_runs(plan: ShotPlan, ranges: list[tuple[int, int]]) -> list[tuple[str, float, float, int]]:
    """(prompt, start s, length s, seed) of each run of neighbouring shots with the same ambience: one sound
    across the cut, not a fade to silence at every shot."""
    runs: list[tuple[str, float, float, int]] = []
    for shot, (start, count) in zip(plan.shots, ranges, strict=True):
        prompt = shot.ambience.strip()
        if not prompt:
            continue
        start_s, length_s = start / plan.fps, count / plan.fps
        if runs and runs[-1][0] == prompt and abs(runs[-1][1] + runs[-1][2] - start_s) < 1e-6:
            previous = runs[-1]
            runs[-1] = (prompt, previous[1], previous[2] + length_s, previous[3])
        else:
            runs.append((prompt, start_s, length_s, shot.seed))
    return runs


def speech_identity(speech: Speech) -> str:
    """A line's content hash: a talking shot's clip is keyed by exactly what its face says."""
    return hashlib.sha256(np.ascontiguousarray(speech.samples, dtype=np.float32).tobytes() + str(speech.sample_rate).encode()).hexdigest()


def _seed_of(*words: str) -> int:
    """A stable seed for a music bed: the same prompt and style give the same music."""
    return int(content_hash({"words": words})[:8], 16) % 2**31


def _file_identity(path: Path | None) -> str | None:
    """A voice sample's content hash: a re-recorded sample of the same name is a new voice."""
    if path is None:
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def resample(timed: Iterable[tuple[float, np.ndarray]], fps: int, count: int, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """``count`` frames at ``fps`` and ``size`` from frames made at their own times and size, as they come:
    each output frame is the latest source frame at its time, scaled and centre-cropped to fill the frame."""
    source = iter(timed)
    current = next(source, None)
    if current is None:
        return
    upcoming = next(source, None)
    for number in range(count):
        moment = number / fps + 1e-6
        while upcoming is not None and upcoming[0] <= moment:
            current, upcoming = upcoming, next(source, None)
        frame = current[1]
        if (frame.shape[1], frame.shape[0]) != size:
            frame = np.asarray(ImageOps.fit(Image.fromarray(frame), size, Image.Resampling.LANCZOS))
        yield frame


def fed(frames: Iterable[np.ndarray], feed: FrameFeed) -> Iterator[np.ndarray]:
    """``frames`` as yuv420p planes, converted once for both encoders: each is handed to ``feed`` (the thread
    encoding the shot's clip) and yielded (to the composer)."""
    for frame in frames:
        planes = yuv_planes(frame)
        feed.put(planes)
        yield planes
