"""Reading and writing video and audio files with PyAV (FFmpeg's libraries)."""

from __future__ import annotations

import queue
import threading
import wave
from collections.abc import Iterable, Iterator
from pathlib import Path

import av
import numpy as np

from reelwright.generation.backends import Sound, Speech

#: A shot's clip is re-encoded at composition, so it is kept near-losslessly: CRF 14. For a draft ``ultrafast``
#: takes a third of ``veryfast``'s CPU for files under three times larger at the same quality (storyboard
#: frames at 720p, measured: 3.6 vs 11.5 ms and 11 vs 4 kB a frame, 42 dB PSNR against the rendered frames
#: either way): the clip cache spends disk rather than the render's time. A model's clip took seconds a frame
#: to make and may be noisy (bigger still): it gets ``veryfast``, small in the cache and the shared store.
CLIP_CRF = "14"
DRAFT_CLIP_PRESET = "ultrafast"
CLIP_PRESET = "veryfast"
#: Frames waiting for a clip's encoder (bounded memory: ~11 MB of yuv420p planes at 720p).
FEED_BACKLOG = 8


def h264_stream(container: av.container.OutputContainer, fps: int, width: int, height: int, *, crf: str, preset: str) -> av.VideoStream:
    """An H.264 yuv420p stream. x264 runs frame-parallel threads (PyAV's default, threads inside each frame,
    makes every frame wait for the one before it), so the encoder overlaps the caller's next frame."""
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.thread_type = "FRAME"
    stream.options = {"crf": crf, "preset": preset}
    return stream


def yuv_planes(frame: np.ndarray) -> np.ndarray:
    """An RGB uint8 frame (H, W, 3) as yuv420p planes in one (H * 3/2, W) array: Y, then U, then V (BT.601,
    limited range: swscale's default, what H.264 takes). Converted once per frame, on the calling thread,
    with one swscale thread: on two busy cores that takes half the time of swscale's own threads."""
    converted = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24").reformat(format="yuv420p", threads=1)
    return converted.to_ndarray()


def split_planes(planes: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y (H, W), U and V (H/2, W/2) planes of a contiguous yuv420p array."""
    flat, luma, chroma = planes.reshape(-1), width * height, (width // 2) * (height // 2)
    return (
        flat[:luma].reshape(height, width),
        flat[luma : luma + chroma].reshape(height // 2, width // 2),
        flat[luma + chroma : luma + 2 * chroma].reshape(height // 2, width // 2),
    )


def yuv_frame(planes: np.ndarray, pts: int) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
    frame.pts = pts
    return frame


def rgb_of(planes: np.ndarray) -> np.ndarray:
    return av.VideoFrame.from_ndarray(planes, format="yuv420p").to_ndarray(format="rgb24")


def write_clip(frames: Iterable[np.ndarray], path: Path, fps: int, width: int, height: int, *, draft: bool = False) -> int:
    """Encode one shot's frames near-losslessly (it is re-encoded at composition). Returns frame count.

    ``frames``: RGB (H, W, 3) or already yuv420p planes (``yuv_planes``). ``draft``: a storyboard's, cheap to
    remake, encoded fastest."""
    count = 0
    with av.open(str(path), "w", format="mp4") as container:
        stream = h264_stream(container, fps, width, height, crf=CLIP_CRF, preset=DRAFT_CLIP_PRESET if draft else CLIP_PRESET)
        for frame in frames:
            for packet in stream.encode(yuv_frame(frame if frame.ndim == 2 else yuv_planes(frame), count)):
                container.mux(packet)
            count += 1
        for packet in stream.encode():
            container.mux(packet)
    return count


class FeedAbandoned(Exception):
    """The frames stopped coming before the last one (the render failed or was cancelled)."""


_END, _ABANDONED = object(), object()


class FrameFeed:
    """Frames handed from the thread that makes them to a thread that encodes them, a few at a time.

    The maker ``put``s each frame (blocking while FEED_BACKLOG wait), then ``close``s the feed, or
    ``abandon``s it when it fails: the reader's iteration then raises ``FeedAbandoned``, so a clip that
    lacks frames is never stored. The reader calls ``stop`` when it is done, so a maker never waits for a
    reader that failed.
    """

    def __init__(self, backlog: int = FEED_BACKLOG) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=backlog)
        self._stopped = threading.Event()

    def put(self, frame: np.ndarray) -> None:
        self._hand(frame)

    def close(self) -> None:
        self._hand(_END)

    def abandon(self) -> None:
        self._hand(_ABANDONED)

    def stop(self) -> None:
        self._stopped.set()

    def _hand(self, item: object) -> None:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[np.ndarray]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if item is _ABANDONED:
                raise FeedAbandoned
            assert isinstance(item, np.ndarray)
            yield item


def read_frames(path: Path) -> Iterator[np.ndarray]:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def read_planes(path: Path) -> Iterator[np.ndarray]:
    """The frames as yuv420p planes (``yuv_planes``): a clip's own pixels, with no conversion."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield (frame if frame.format.name == "yuv420p" else frame.reformat(format="yuv420p")).to_ndarray()


def frame_size(path: Path) -> tuple[int, int]:
    """(width, height) of the first video stream, read from the header without decoding a frame."""
    with av.open(str(path)) as container:
        context = container.streams.video[0].codec_context
        return context.width, context.height


def is_still_image(path: Path) -> bool:
    """Whether ffmpeg reads the file as a picture (PNG, JPEG, WebP …, whatever its name says), not a video."""
    with av.open(str(path)) as container:
        return container.format.name == "image2" or container.format.name.endswith("_pipe")


def sample_frames(path: Path, limit: int, max_width: int | None = None) -> Iterator[np.ndarray]:
    """Up to ``limit`` frames spread evenly over the video (for watermark detection), at most ``max_width`` wide."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        total = stream.frames or 0
        step = max(1, total // limit) if total else 1
        taken = 0
        for index, frame in enumerate(container.decode(stream)):
            if index % step == 0:
                if max_width is not None and frame.width > max_width:
                    height = max(2, round(frame.height * max_width / frame.width / 2) * 2)
                    yield frame.to_ndarray(format="rgb24", width=max_width, height=height)
                else:
                    yield frame.to_ndarray(format="rgb24")
                taken += 1
                if taken >= limit:
                    return


def container_metadata(path: Path) -> dict[str, str]:
    with av.open(str(path)) as container:
        return dict(container.metadata)


def write_wav(speech: Speech, path: Path) -> None:
    pcm = (np.clip(speech.samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(speech.sample_rate)
        handle.writeframes(pcm.tobytes())


def read_wav(path: Path) -> Speech:
    with wave.open(str(path), "rb") as handle:
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
        return Speech(pcm.astype(np.float32) / 32768.0, handle.getframerate())


def write_sound(sound: Sound, path: Path) -> None:
    """A music bed or ambience as 16-bit WAV (one or two channels): cached stems are heard, not edited."""
    samples = np.atleast_2d(sound.samples)
    pcm = (np.clip(samples.T, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(samples.shape[0])
        handle.setsampwidth(2)
        handle.setframerate(sound.sample_rate)
        handle.writeframes(pcm.tobytes())


def read_sound(path: Path) -> Sound:
    with wave.open(str(path), "rb") as handle:
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").reshape(-1, handle.getnchannels())
        return Sound(np.ascontiguousarray(pcm.T, dtype=np.float32) / 32768.0, handle.getframerate())


def reencode(
    source: Path, target: Path, *, video_bitrate: int, scale: float = 1.0, audio_bitrate: int = 48_000, max_seconds: float | None = None
) -> None:
    """Re-encode an MP4 at a target bitrate (and optionally smaller, or shorter), keeping its metadata.

    The invisible watermark survives this (it is built to survive H.264); the visible label is in the pixels.
    """
    with av.open(str(source)) as src, av.open(str(target), "w", format="mp4", options={"movflags": "+faststart+use_metadata_tags"}) as dst:
        dst.metadata.update(src.metadata)
        in_video = src.streams.video[0]
        video = dst.add_stream("libx264", rate=in_video.average_rate)
        video.width = max(16, int(in_video.codec_context.width * scale) // 2 * 2)
        video.height = max(16, int(in_video.codec_context.height * scale) // 2 * 2)
        video.pix_fmt = "yuv420p"
        video.bit_rate = video_bitrate
        video.options = {"preset": "veryfast", "maxrate": str(video_bitrate), "bufsize": str(video_bitrate * 2)}
        audio = None
        if src.streams.audio:
            in_audio = src.streams.audio[0]
            audio = dst.add_stream("aac", rate=in_audio.codec_context.sample_rate)
            audio.layout = in_audio.codec_context.layout.name
            audio.bit_rate = audio_bitrate
        for frame in src.decode(*([in_video] + ([src.streams.audio[0]] if audio else []))):
            if not isinstance(frame, av.VideoFrame | av.AudioFrame):
                continue  # only video and audio streams were asked for
            if max_seconds is not None and frame.time is not None and frame.time >= max_seconds:
                continue
            if isinstance(frame, av.VideoFrame):
                scaled = frame.reformat(width=video.width, height=video.height, format="yuv420p")
                scaled.pts, scaled.time_base = frame.pts, frame.time_base
                for packet in video.encode(scaled):
                    dst.mux(packet)
            elif audio is not None:
                frame.pts = None
                for packet in audio.encode(frame):
                    dst.mux(packet)
        for packet in video.encode():
            dst.mux(packet)
        if audio is not None:
            for packet in audio.encode():
                dst.mux(packet)


def duration_of(path: Path) -> float:
    with av.open(str(path)) as container:
        return float(container.duration or 0) / av.time_base


PREVIEW_MAX_S = 6.0
PREVIEW_AUDIO_BPS = 32_000
PREVIEW_MIN_VIDEO_BPS = 80_000


def fit_for_upload(source: Path, limit_bytes: int, workdir: Path) -> tuple[Path | None, Path | None]:
    """``(file that fits, None)`` or, when even a re-encode cannot fit, ``(None, shorter preview)``."""
    if source.stat().st_size <= limit_bytes:
        return source, None
    seconds = max(0.1, duration_of(source))
    budget = int(limit_bytes * 8 * 0.9 / seconds)
    for scale in (1.0, 0.5):
        video_bitrate = budget - 48_000
        if video_bitrate < 150_000 * scale:
            continue
        candidate = workdir / f"fit-{int(scale * 100)}.mp4"
        reencode(source, candidate, video_bitrate=video_bitrate, scale=scale)
        if candidate.stat().st_size <= limit_bytes:
            return candidate, None
    # The preview: the opening seconds at half size, short enough for a watchable bitrate.
    bits = limit_bytes * 8 * 0.75
    preview_seconds = min(seconds, PREVIEW_MAX_S)
    if bits / preview_seconds - PREVIEW_AUDIO_BPS < PREVIEW_MIN_VIDEO_BPS:
        preview_seconds = max(1.0, bits / (PREVIEW_MIN_VIDEO_BPS + PREVIEW_AUDIO_BPS))
    video_bitrate = int(min(400_000, bits / preview_seconds - PREVIEW_AUDIO_BPS))
    preview = workdir / "preview.mp4"
    reencode(source, preview, video_bitrate=video_bitrate, scale=0.5, audio_bitrate=PREVIEW_AUDIO_BPS, max_seconds=preview_seconds)
    return None, preview if preview.stat().st_size <= limit_bytes else None
