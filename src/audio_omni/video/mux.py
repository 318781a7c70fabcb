"""Writing generated audio back into a video with PyAV.

The output holds the source's first video stream copied packet for packet (never re-encoded, so its bytes and
timestamps are unchanged) and the new audio as its only audio stream (AAC); the source's own audio, subtitle
and data streams are left out. The file appears atomically: it is written to a temporary sibling and renamed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from audio_omni.errors import VideoInputError
from audio_omni.video.formats import VIDEO_FORMATS, is_video_path
from audio_omni.video.reader import probe_video

AUDIO_CODEC = "aac"
_FRAME = 1024  # samples per AAC frame


def _packet_time(packet) -> Fraction:
    stamp = packet.dts if packet.dts is not None else packet.pts
    return stamp * packet.time_base


def _encode_audio(stream, audio: np.ndarray, sample_rate: int) -> list:
    import av

    layout = "mono" if audio.shape[0] == 1 else "stereo"
    packets = []
    for start in range(0, audio.shape[1], _FRAME):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio[:, start : start + _FRAME]), "fltp", layout)
        frame.sample_rate, frame.pts, frame.time_base = sample_rate, start, Fraction(1, sample_rate)
        packets.extend(stream.encode(frame))
    packets.extend(stream.encode(None))
    return packets


def mux_audio(
    video: str | os.PathLike, audio: torch.Tensor | np.ndarray, sample_rate: int, out: str | os.PathLike
) -> Path:
    """Write `out` (.mp4, .m4v, .mov or .mkv): `video`'s picture with `audio` ([channels, samples] float, mono or
    stereo) as its sound. Audio peaking above full scale is scaled down, not clipped. Returns the path written."""
    import av

    out = Path(out).expanduser()
    if not is_video_path(out):
        raise VideoInputError(f"cannot write video to '{out}': use one of {', '.join(VIDEO_FORMATS)}")
    info = probe_video(video)  # clear errors for a missing, corrupt or video-less source
    if out.resolve() == info.path.resolve():
        raise VideoInputError("the output would overwrite the input video; choose another path")
    data = np.asarray(audio.detach().cpu() if isinstance(audio, torch.Tensor) else audio, dtype=np.float32)
    if data.ndim != 2 or data.shape[0] not in (1, 2) or data.shape[1] == 0:
        raise VideoInputError(f"audio to mux must be [1 or 2 channels, samples], got shape {list(data.shape)}")
    if not np.isfinite(data).all():
        raise VideoInputError("audio to mux contains NaN or Inf")
    peak = float(np.abs(data).max())
    if peak > 1.0:
        data = data * (0.99 / peak)

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with av.open(str(info.path), metadata_errors="ignore") as src, av.open(
            str(tmp), "w", format=VIDEO_FORMATS[out.suffix.lower()]
        ) as dst:
            video_in = src.streams.video[0]
            video_out = dst.add_stream_from_template(video_in)
            audio_out = dst.add_stream(AUDIO_CODEC, rate=sample_rate, layout="mono" if data.shape[0] == 1 else "stereo")
            pending = _encode_audio(audio_out, data, sample_rate)
            for packet in src.demux(video_in):
                if packet.dts is None and packet.pts is None:
                    continue  # the demuxer's final empty packet
                # Interleave by time: audio packets due before this video packet go first.
                while pending and _packet_time(pending[0]) <= _packet_time(packet):
                    dst.mux(pending.pop(0))
                packet.stream = video_out
                dst.mux(packet)
            for packet in pending:
                dst.mux(packet)
        os.replace(tmp, out)
    except av.FFmpegError as exc:
        raise VideoInputError(f"cannot write '{out}' from '{info.path}' ({info.codec} video): {exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return out
