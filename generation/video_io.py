"""Reading and writing video and audio files with PyAV (FFmpeg's libraries)."""

from __future__ import annotations

import wave
from collections.abc import Iterable, Iterator
from pathlib import Path

import av
import numpy as np

from generation.backends import Speech

CLIP_CRF = "14"


def write_clip(frames: Iterable[np.ndarray], path: Path, fps: int, width: int, height: int) -> int:
    """Encode one shot's frames near-losslessly (it is re-encoded at composition). Returns frame count."""
    count = 0
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": CLIP_CRF, "preset": "veryfast"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
            count += 1
        for packet in stream.encode():
            container.mux(packet)
    return count


def read_frames(path: Path) -> Iterator[np.ndarray]:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def sample_frames(path: Path, limit: int) -> Iterator[np.ndarray]:
    """Up to ``limit`` frames spread evenly over the video (for watermark detection)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        total = stream.frames or 0
        step = max(1, total // limit) if total else 1
        taken = 0
        for index, frame in enumerate(container.decode(stream)):
            if index % step == 0:
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
