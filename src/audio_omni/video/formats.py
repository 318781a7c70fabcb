"""The video containers the generated sound can be written back into. Light imports only: the CLI decides from
an output's suffix, before torch is imported, whether it writes a video or an audio file."""

from __future__ import annotations

import os
from pathlib import Path

#: Output suffix -> FFmpeg container format. Each holds common video codecs and AAC audio.
VIDEO_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}


def is_video_path(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_FORMATS
