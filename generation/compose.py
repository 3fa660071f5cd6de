"""Composition: shot clips + the mixed soundtrack -> one H.264/AAC MP4, captioned, labelled and watermarked.

Each frame goes decode -> caption -> visible label -> invisible mark -> encode in one pass, so marking
adds milliseconds per frame rather than a second encode. The file is written beside its destination
and renamed into place only when complete: a failure never leaves a partial file where the output goes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

from reelwright.generation.frames import Overlay, apply_grade, blend, font, premultiply, text_panel
from reelwright.generation.mix import MIX_RATE
from reelwright.generation.video_io import read_frames
from reelwright.generation.watermark import Mark, Watermarker
from reelwright.plan import Grade

AUDIO_CHUNK = 1024
AUDIO_BITRATE = 160_000
FINAL_CRF = "20"
LABEL_TEXT = "AI-generated"
#: Narration starts this long after its shot begins, so a cut never clips its first syllable.
NARRATION_LEAD_S = 0.15


@dataclass(frozen=True)
class ComposedShot:
    """A shot's clip as generated, and what composing adds: its grade and caption.

    The grade is applied here, not by the backend, so "make shot 2 darker" reuses the generated clip.
    """

    clip: Path
    start_frame: int
    frame_count: int
    caption: str
    grade: Grade = field(default_factory=Grade)


@dataclass(frozen=True)
class Provenance:
    """What the file says about itself: in its MP4 metadata, and in its pixels (``mark``).

    ``mark_id`` is the render's id (in file names and the metadata); the invisible mark carries the project
    and version instead, so a file can be attributed even where the render's row is gone.
    """

    tool: str
    project_id: str
    version: int
    mark_id: int
    title: str

    @property
    def mark(self) -> Mark:
        return Mark(self.project_id, self.version)

    def tags(self) -> dict[str, str]:
        return {
            "title": self.title,
            "comment": f"AI-generated video made with {self.tool}. Project {self.project_id} version {self.version}.",
            "encoder": self.tool,
            "ai_generated": "true",
            "reelwright_project": self.project_id,
            "reelwright_version": str(self.version),
            "reelwright_mark": str(self.mark_id),
            "digital_source_type": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
        }


def frame_ranges(durations: list[float], fps: int) -> list[tuple[int, int]]:
    """(start, count) per shot from cumulative boundaries, so the total is exact to one frame."""
    ranges, elapsed = [], 0.0
    for duration in durations:
        start = round(elapsed * fps)
        elapsed += duration
        ranges.append((start, round(elapsed * fps) - start))
    return ranges


def label_layer(size: tuple[int, int]) -> Overlay | None:
    """The visible disclosure, bottom-right, sized for a phone screen."""
    width, height = size
    font_px = max(14, min(width, height) // 30)
    face = font(font_px)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    pad = font_px // 2
    text_w = int(draw.textlength(LABEL_TEXT, font=face))
    box = (width - text_w - 3 * pad, height - font_px - 3 * pad, width - pad, height - pad)
    draw.rounded_rectangle(box, radius=pad // 2, fill=(0, 0, 0, 170))
    draw.text((box[0] + pad, box[1] + pad // 2), LABEL_TEXT, font=face, fill=(255, 255, 255, 255))
    return premultiply(layer)


def shot_frames(shot: ComposedShot) -> Iterator[np.ndarray]:
    """Exactly ``frame_count`` frames from the clip (repeating its last frame if it is short)."""
    last = None
    emitted = 0
    for frame in read_frames(shot.clip):
        if emitted == shot.frame_count:
            return
        last = frame
        emitted += 1
        yield frame
    while last is not None and emitted < shot.frame_count:
        emitted += 1
        yield last


def partial_path(out_path: Path, mark_id: int) -> Path:
    """Where the render with ``mark_id`` writes ``out_path`` until it is complete (a hidden file beside it)."""
    return out_path.with_name(f".{out_path.name}.{mark_id}.partial")


def compose(
    shots: list[ComposedShot],
    *,
    out_path: Path,
    width: int,
    height: int,
    fps: int,
    audio: np.ndarray | None,
    captions: bool,
    provenance: Provenance,
    watermarker: Watermarker,
    progress: Callable[[float], None],
) -> None:
    """``audio``: the mixed stereo track (2, n) at ``MIX_RATE`` (``generation.mix``), or None for a silent cut."""
    total_frames = sum(shot.frame_count for shot in shots)
    label = label_layer((width, height))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Each render writes its own partial file (its render id is unique), and the finished file replaces
    # the output atomically: two renders of one version at once both leave a readable file there.
    partial = partial_path(out_path, provenance.mark_id)
    try:
        with av.open(str(partial), "w", format="mp4", options={"movflags": "+faststart+use_metadata_tags"}) as container:
            container.metadata.update(provenance.tags())
            video = container.add_stream("libx264", rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.options = {"crf": FINAL_CRF, "preset": "veryfast"}
            stream = None
            if audio is not None:
                stream = container.add_stream("aac", rate=MIX_RATE)
                stream.layout = "stereo"
                stream.bit_rate = AUDIO_BITRATE
            audio_sent = 0
            frame_index = 0
            for shot in shots:
                caption = (
                    premultiply(
                        text_panel(
                            (width, height),
                            shot.caption,
                            font_px=max(16, min(width, height) // 22),
                            anchor="bottom",
                            max_chars=28 if width < height else 48,
                            opacity=120,
                        )
                    )
                    if captions and shot.caption
                    else None
                )
                for frame in shot_frames(shot):
                    frame = apply_grade(frame, shot.grade)
                    if caption is not None:
                        frame = blend(frame, caption)
                    frame = watermarker.embed(blend(frame, label), provenance.mark)
                    for packet in video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                        container.mux(packet)
                    frame_index += 1
                    if stream is not None and audio is not None:
                        audio_sent = _send_audio(container, stream, audio, audio_sent, round(frame_index / fps * MIX_RATE))
                    progress(frame_index / total_frames)
            for packet in video.encode():
                container.mux(packet)
            if stream is not None and audio is not None:
                _send_audio(container, stream, audio, audio_sent, audio.shape[1])
                for packet in stream.encode():
                    container.mux(packet)
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)


def _send_audio(container: av.container.OutputContainer, stream: av.AudioStream, track: np.ndarray, sent: int, until: int) -> int:
    """Feed the stereo ``track`` (2, n) up to sample ``until``, in chunks, interleaved with the video."""
    end = track.shape[1]
    while sent + AUDIO_CHUNK <= until or (until == end and sent < until):
        chunk = np.ascontiguousarray(track[:, sent : min(sent + AUDIO_CHUNK, until)], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate = MIX_RATE
        frame.pts = sent
        frame.time_base = Fraction(1, MIX_RATE)
        for packet in stream.encode(frame):
            container.mux(packet)
        sent += chunk.shape[1]
    return sent
