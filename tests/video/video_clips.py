"""Small real video files for the video tests, encoded with PyAV (the FFmpeg that ships in its wheel)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def frame_image(index: int, width: int, height: int) -> np.ndarray:
    """A frame whose content tells its index: a grey level and a bar that moves with it."""
    image = np.full((height, width, 3), (index * 37) % 256, np.uint8)
    x = (index * 3) % max(width - 4, 1)
    image[:, x : x + 4] = (255, 0, 0)
    return image


def write_video(
    path: Path,
    frames: int,
    fps: int = 25,
    size: tuple[int, int] = (64, 48),
    codec: str = "mpeg4",
    times: list[float] | None = None,
    tone_seconds: float | None = None,
) -> Path:
    """`frames` frames at `fps`, or at explicit `times` (seconds: a variable frame rate), optionally with a
    440 Hz AAC track of `tone_seconds`."""
    width, height = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if times is not None:
            stream.time_base = Fraction(1, 1000)
            stream.codec_context.time_base = Fraction(1, 1000)
        audio = container.add_stream("aac", rate=16000, layout="mono") if tone_seconds else None
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(frame_image(i, width, height), format="rgb24")
            if times is not None:
                frame.pts, frame.time_base = round(times[i] * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if audio is not None:
            t = np.arange(int(tone_seconds * 16000)) / 16000
            wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            for start in range(0, wave.shape[1], 1024):
                chunk = av.AudioFrame.from_ndarray(np.ascontiguousarray(wave[:, start : start + 1024]), "fltp", "mono")
                chunk.sample_rate, chunk.pts = 16000, start
                for packet in audio.encode(chunk):
                    container.mux(packet)
            for packet in audio.encode(None):
                container.mux(packet)
    return path


def write_video_without_frames(path: Path, source: Path) -> Path:
    """A file that declares `source`'s video stream but holds no video packets (only `source`'s audio)."""
    with av.open(str(source)) as src, av.open(str(path), "w") as dst:
        dst.add_stream_from_template(src.streams.video[0])
        audio = dst.add_stream_from_template(src.streams.audio[0])
        for packet in src.demux(src.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = audio
                dst.mux(packet)
    return path


def video_packets(path: Path) -> list[tuple[bytes, float]]:
    """The first video stream's packets as (bytes, presentation time in seconds)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [(bytes(p), float(p.pts * p.time_base)) for p in container.demux(stream) if p.size]


def audio_codecs(path: Path) -> list[str]:
    with av.open(str(path)) as container:
        return [s.codec_context.name for s in container.streams.audio]
