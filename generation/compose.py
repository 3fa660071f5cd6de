"""Composition: shot frames + the mixed soundtrack -> one H.264/AAC MP4, captioned, labelled and watermarked.

Each frame goes grade -> caption, shot tag, visible label -> invisible mark -> encode in one pass, so
marking adds milliseconds per frame rather than a second encode. A shot's frames come straight from the
renderer when it was just made (its clip is stored beside them, never decoded again) or from its cached
clip. Frames travel as the yuv420p planes the encoder takes (converted once from the renderer's RGB for
the clip and the composed file alike; a cached clip decodes straight into them), and overlays and the
mark are added in those planes. The soundtrack may arrive while frames are already being encoded (it is
made on the other core meanwhile): the encoded video waits for it in memory, so the file's audio and
video are interleaved. The file is written beside its destination and renamed into place only when
complete: a failure never leaves a partial file where the output goes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from reelwright.generation.frames import Overlay, apply_grade, font, premultiply, text_panel
from reelwright.generation.mix import MIX_RATE
from reelwright.generation.video_io import h264_stream, read_planes, rgb_of, split_planes, yuv_frame, yuv_planes
from reelwright.generation.watermark import Mark, Watermarker
from reelwright.plan import Grade

AUDIO_CHUNK = 1024
AUDIO_BITRATE = 160_000
#: The decoded AAC's sample peak stays under this (-0.5 dBFS). The master's true peak is at -1 dBTP, but the
#: encoder's quantisation rings on transients and can put a decoded sample a dB or two higher, over full scale
#: on some mixes, so the track is checked through the codec itself and lowered by what it overshoots.
DECODED_PEAK_CEILING = 10 ** (-0.5 / 20)
FINAL_CRF = "20"
FINAL_PRESET = "veryfast"
LABEL_TEXT = "AI-generated"
#: BT.601 limited range (swscale's default, ``video_io.yuv_planes``): Y, U, V = offset + matrix @ RGB.
YUV_OFFSET = np.array([16.0, 128.0, 128.0], dtype=np.float32)
YUV_MATRIX = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]], dtype=np.float32) / np.float32(255)
#: The watermark adds equal offsets to R, G and B: that is this much luma and no chroma.
LUMA_PER_RGB = float(YUV_MATRIX[0].sum())


@dataclass(frozen=True)
class ComposedShot:
    """A shot as composing sees it: its clip as generated, and what composing adds (grade, caption, tag).

    The grade is applied here, not by the backend, so "make shot 2 darker" reuses the generated clip; so
    is ``tag`` (a draft's "SHOT 2/3"), so reordering shots re-renders none. ``clip`` is None when the
    shot's frames are handed to the composer as they are rendered.
    """

    clip: Path | None
    start_frame: int
    frame_count: int
    caption: str
    grade: Grade = field(default_factory=Grade)
    tag: str = ""


@dataclass(frozen=True)
class Provenance:
    """What the file says about itself: in its MP4 metadata, and in its pixels (``mark``).

    ``mark_id`` is the render's id (in file names and the metadata); the invisible mark carries the project
    and version instead, so a file can be attributed even where the render's row is gone. ``credits``: what
    the pictures use that others made and ask to be named for (a draft's pictograms).
    """

    tool: str
    project_id: str
    version: int
    mark_id: int
    title: str
    credits: str = ""

    @property
    def mark(self) -> Mark:
        return Mark(self.project_id, self.version)

    def tags(self) -> dict[str, str]:
        comment = f"AI-generated video made with {self.tool}. Project {self.project_id} version {self.version}."
        tags = {
            "title": self.title,
            "comment": f"{comment} Uses {self.credits}." if self.credits else comment,
            "encoder": self.tool,
            "ai_generated": "true",
            "reelwright_project": self.project_id,
            "reelwright_version": str(self.version),
            "reelwright_mark": str(self.mark_id),
            "digital_source_type": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
        }
        if self.credits:
            tags["credits"] = self.credits
        return tags


def frame_ranges(durations: list[float], fps: int) -> list[tuple[int, int]]:
    """(start, count) per shot from cumulative boundaries, so the total is exact to one frame."""
    ranges, elapsed = [], 0.0
    for duration in durations:
        start = round(elapsed * fps)
        elapsed += duration
        ranges.append((start, round(elapsed * fps) - start))
    return ranges


def label_layer(size: tuple[int, int]) -> Overlay | None:
    """The visible disclosure, bottom-right, sized for a phone screen. Always in Pillow's bundled font: these
    exact pixels are what ``label_check`` looks for in every video ever published, so the label never changes."""
    width, height = size
    font_px = max(14, min(width, height) // 30)
    face = ImageFont.load_default(size=font_px)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    pad = font_px // 2
    text_w = int(draw.textlength(LABEL_TEXT, font=face))
    box = (width - text_w - 3 * pad, height - font_px - 3 * pad, width - pad, height - pad)
    draw.rounded_rectangle(box, radius=pad // 2, fill=(0, 0, 0, 170))
    draw.text((box[0] + pad, box[1] + pad // 2), LABEL_TEXT, font=face, fill=(255, 255, 255, 255))
    return premultiply(layer)


def tag_layer(size: tuple[int, int], text: str) -> Overlay | None:
    """A draft's shot tag ("SHOT 2/3"), small in the top-left corner: a storyboard's annotation, drawn
    when composing so that reordering shots re-renders no clip."""
    width, height = size
    font_px = max(12, min(width, height) // 45)
    face = font(font_px)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    pad = font_px // 2
    text_w = int(draw.textlength(text, font=face))
    box = (pad, pad, pad + text_w + 2 * pad, pad + font_px + pad)
    draw.rounded_rectangle(box, radius=pad // 2, fill=(0, 0, 0, 170))
    draw.text((box[0] + pad, box[1] + pad // 4), text, font=face, fill=(255, 255, 255, 255))
    return premultiply(layer)


@dataclass(frozen=True)
class Stamp:
    """An overlay on one yuv420p plane in integers, blended in place over its box:
    (colour + plane x transparency) / 255, rounded.

    An RGB overlay blends the same in Y, U and V (they are affine in RGB and the weights sum to one), so
    it is blended where the frame already is, in the encoder's planes; integer arithmetic on uint16 (at
    most 255 x 255) instead of float32 blends a 720p caption panel in a sixth of the time.
    """

    plane: int  # 0 Y, 1 U, 2 V
    rows: slice
    cols: slice
    colour: np.ndarray  # uint16 (h, w): premultiplied value x 255
    transparency: np.ndarray  # uint16 (h, w): 255 - alpha

    def apply(self, planes: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        region = planes[self.plane][self.rows, self.cols]
        mixed = region * self.transparency
        mixed += self.colour
        mixed += 128  # round(x / 255) for x <= 255 * 255 is ((x + 128) + ((x + 128) >> 8)) >> 8
        mixed += mixed >> 8
        mixed >>= 8
        region[...] = mixed


def stamps_of(overlay: Overlay | None) -> list[Stamp]:
    """An RGB overlay as stamps on the Y plane and on the half-size U and V planes (its box widened to even
    rows and columns, colour and opacity averaged over each 2 x 2 block, as chroma is subsampled)."""
    if overlay is None:
        return []
    rows = slice(overlay.rows.start // 2 * 2, -(-overlay.rows.stop // 2) * 2)
    cols = slice(overlay.cols.start // 2 * 2, -(-overlay.cols.stop // 2) * 2)
    height, width = rows.stop - rows.start, cols.stop - cols.start
    colour = np.zeros((height, width, 3), dtype=np.float32)
    transparency = np.ones((height, width), dtype=np.float32)
    inner = (
        slice(overlay.rows.start - rows.start, overlay.rows.stop - rows.start),
        slice(overlay.cols.start - cols.start, overlay.cols.stop - cols.start),
    )
    colour[inner] = overlay.colour
    transparency[inner] = overlay.transparency[..., 0]
    # Blending premultiplied colour c (= alpha x rgb) over a frame f gives offset x alpha + matrix @ c + f x (1 - alpha).
    values = (1 - transparency)[..., None] * YUV_OFFSET + colour @ YUV_MATRIX.T
    half = (slice(rows.start // 2, rows.stop // 2), slice(cols.start // 2, cols.stop // 2))
    chroma = values[..., 1:].reshape(height // 2, 2, width // 2, 2, 2).mean(axis=(1, 3))
    chroma_transparency = transparency.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    def stamp(plane: int, box: tuple[slice, slice], value: np.ndarray, see_through: np.ndarray) -> Stamp:
        return Stamp(plane, box[0], box[1], np.rint(value * 255).astype(np.uint16), np.rint(see_through * 255).astype(np.uint16))

    return [
        stamp(0, (rows, cols), values[..., 0], transparency),
        stamp(1, half, chroma[..., 0], chroma_transparency),
        stamp(2, half, chroma[..., 1], chroma_transparency),
    ]


class LumaMark:
    """The invisible mark added to the Y plane: the watermark's offsets, equal in R, G and B, are luma
    only. Saturating uint8 arithmetic on planes computed once per render, as ``Watermarker.embed`` does."""

    def __init__(self, watermarker: Watermarker, mark: Mark, width: int, height: int) -> None:
        offsets = np.rint(watermarker.pattern(mark, width, height)[..., 0] * LUMA_PER_RGB).astype(np.int16)
        self.raise_by = np.clip(offsets, 0, None).astype(np.uint8)
        self.lower_by = np.clip(-offsets, 0, None).astype(np.uint8)
        self.ceiling = 255 - self.raise_by

    def apply(self, luma: np.ndarray) -> None:
        np.minimum(luma, self.ceiling, out=luma)
        luma += self.raise_by
        np.maximum(luma, self.lower_by, out=luma)
        luma -= self.lower_by


def shot_planes(shot: ComposedShot) -> Iterator[np.ndarray]:
    """Exactly ``frame_count`` frames from the clip as yuv420p planes (repeating its last frame if it is short)."""
    if shot.clip is None:
        raise ValueError("this shot has no clip: its frames are handed to the composer")
    last = None
    emitted = 0
    for planes in read_planes(shot.clip):
        if emitted == shot.frame_count:
            return
        last = planes
        emitted += 1
        yield planes
    while last is not None and emitted < shot.frame_count:
        emitted += 1
        yield last


def partial_path(out_path: Path, mark_id: int) -> Path:
    """Where the render with ``mark_id`` writes ``out_path`` until it is complete (a hidden file beside it)."""
    return out_path.with_name(f".{out_path.name}.{mark_id}.partial")


class Composer:
    """One output file, written shot by shot as the frames come: ``add_shot`` for each shot in order,
    ``add_soundtrack`` once (before, between or after the shots), then ``finish``. Used as a context
    manager, so a failure removes the partial file."""

    def __init__(
        self,
        *,
        out_path: Path,
        width: int,
        height: int,
        fps: int,
        total_frames: int,
        captions: bool,
        provenance: Provenance,
        watermarker: Watermarker,
        language: str | None = None,
    ) -> None:
        """``language``: the narration's (ISO 639-1), so captions use its faces (Japanese kanji, not Chinese)."""
        self.out_path = out_path
        self.width, self.height, self.fps = width, height, fps
        self.total_frames = total_frames
        self.captions = captions
        self.language = language
        self.label = stamps_of(label_layer((width, height)))
        self.luma_mark = LumaMark(watermarker, provenance.mark, width, height)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        # Each render writes its own partial file (its render id is unique), and the finished file replaces
        # the output atomically: two renders of one version at once both leave a readable file there.
        self.partial = partial_path(out_path, provenance.mark_id)
        self.container = av.open(str(self.partial), "w", format="mp4", options={"movflags": "+faststart+use_metadata_tags"})
        self.container.metadata.update(provenance.tags())
        self.video = h264_stream(self.container, fps, width, height, crf=FINAL_CRF, preset=FINAL_PRESET)
        self.frames_done = 0
        #: Encoded video waiting for the soundtrack (None once it came): the container's header, written at
        #: the first packet, must already name the audio stream.
        self.waiting: list[av.Packet] | None = []
        self.audio: np.ndarray | None = None
        self.audio_stream: av.AudioStream | None = None
        self.audio_sent = 0

    def __enter__(self) -> Composer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if error is not None:
            try:
                self.container.close()
            except av.FFmpegError:
                pass  # the file is being thrown away
        self.partial.unlink(missing_ok=True)

    def add_shot(
        self, shot: ComposedShot, frames: Iterable[np.ndarray] | None = None, progress: Callable[[float], None] | None = None
    ) -> None:
        """``frames``: the shot's frames as yuv420p planes (``video_io.yuv_planes``) as they are rendered; by
        default they are decoded from its clip.
        ``progress``: called after each frame with the fraction of all frames composed so far."""
        width, height = self.width, self.height
        caption = (
            premultiply(
                text_panel(
                    (width, height),
                    shot.caption,
                    font_px=max(16, round(min(height * 0.045, width * 0.06))),
                    anchor="bottom",
                    opacity=120,
                    width_fraction=0.8 if width < height else 0.9,
                    language=self.language,
                )
            )
            if self.captions and shot.caption
            else None
        )
        tag = tag_layer((width, height), shot.tag) if shot.tag else None
        stamps = [*stamps_of(caption), *stamps_of(tag), *self.label]
        for frame in frames if frames is not None else shot_planes(shot):
            # A copy: the frame as rendered also goes to the shot's clip.
            canvas = frame.copy() if shot.grade.is_neutral else yuv_planes(apply_grade(rgb_of(frame), shot.grade))
            planes = split_planes(canvas, width, height)
            for stamp in stamps:
                stamp.apply(planes)
            self.luma_mark.apply(planes[0])
            for packet in self.video.encode(yuv_frame(canvas, self.frames_done)):
                self._mux_video(packet)
            self.frames_done += 1
            if progress is not None:
                progress(self.frames_done / self.total_frames)

    def add_soundtrack(self, audio: np.ndarray | None) -> None:
        """The mixed stereo track (2, n) at ``MIX_RATE`` (``generation.mix``), or None for a silent cut."""
        if self.waiting is None:
            raise ValueError("the soundtrack was added already")
        if audio is not None:
            self.audio_stream = self.container.add_stream("aac", rate=MIX_RATE)
            self.audio_stream.layout = "stereo"
            self.audio_stream.bit_rate = AUDIO_BITRATE
        self.audio = audio
        waiting, self.waiting = self.waiting, None
        for packet in waiting:
            self._mux_video(packet)

    def finish(self) -> None:
        """Flush the encoders, move the index to the front (faststart) and put the file in place."""
        if self.waiting is not None:
            raise ValueError("add the soundtrack before finishing")
        for packet in self.video.encode():
            self._mux_video(packet)
        if self.audio is not None:
            self._send_audio(self.audio.shape[1])
            assert self.audio_stream is not None
            for packet in self.audio_stream.encode():
                self.container.mux(packet)
        self.container.close()
        os.replace(self.partial, self.out_path)

    def _mux_video(self, packet: av.Packet) -> None:
        if self.waiting is not None:
            self.waiting.append(packet)
            return
        self.container.mux(packet)
        if self.audio is not None and packet.dts is not None and packet.time_base is not None:
            self._send_audio(round((float(packet.dts * packet.time_base) + 1 / self.fps) * MIX_RATE))

    def _send_audio(self, until: int) -> None:
        """Feed the track up to sample ``until`` (within its length), in chunks, interleaved with the video."""
        assert self.audio is not None and self.audio_stream is not None
        track, end = self.audio, self.audio.shape[1]
        until = min(until, end)
        while self.audio_sent + AUDIO_CHUNK <= until or (until == end and self.audio_sent < until):
            chunk = np.ascontiguousarray(track[:, self.audio_sent : min(self.audio_sent + AUDIO_CHUNK, until)], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = MIX_RATE
            frame.pts = self.audio_sent
            frame.time_base = Fraction(1, MIX_RATE)
            for packet in self.audio_stream.encode(frame):
                self.container.mux(packet)
            self.audio_sent += chunk.shape[1]


def within_codec_peak(track: np.ndarray) -> np.ndarray:
    """``track`` (2, n), lowered just enough that its AAC encode decodes under DECODED_PEAK_CEILING (a second
    pass catches the rare mix whose overshoot moves with the gain)."""
    for _ in range(2):
        peak = decoded_peak(track)
        if peak <= DECODED_PEAK_CEILING:
            break
        track = track * np.float32(DECODED_PEAK_CEILING / peak * 0.99)
    return track


def decoded_peak(track: np.ndarray) -> float:
    """The largest sample of ``track`` (2, n) after an AAC encode at the file's settings and a decode."""
    encoder = av.CodecContext.create("aac", "w")
    encoder.sample_rate, encoder.layout, encoder.format, encoder.bit_rate = MIX_RATE, "stereo", "fltp", AUDIO_BITRATE
    encoder.time_base = Fraction(1, MIX_RATE)
    encoder.open()
    decoder = av.CodecContext.create("aac", "r")
    decoder.extradata = encoder.extradata
    decoder.sample_rate, decoder.layout = MIX_RATE, "stereo"
    peak = 0.0
    for start in [*range(0, track.shape[1], AUDIO_CHUNK), None]:
        frame = None
        if start is not None:
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(track[:, start : start + AUDIO_CHUNK], dtype=np.float32), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts, frame.time_base = MIX_RATE, start, Fraction(1, MIX_RATE)
        for packet in encoder.encode(frame):
            for decoded in decoder.decode(packet):
                peak = max(peak, float(np.abs(decoded.to_ndarray()).max(initial=0.0)))
    return peak


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
    """Compose shots from their clips. ``audio``: the mixed stereo track (2, n) at ``MIX_RATE``
    (``generation.mix``), or None for a silent cut."""
    with Composer(
        out_path=out_path,
        width=width,
        height=height,
        fps=fps,
        total_frames=sum(shot.frame_count for shot in shots),
        captions=captions,
        provenance=provenance,
        watermarker=watermarker,
    ) as composer:
        composer.add_soundtrack(audio)
        for shot in shots:
            composer.add_shot(shot, progress=progress)
        composer.finish()
