"""Video files: reading frames by recipe (PyAV), and writing generated sound back into a video.

The readers and the muxer import torch; they load on first use, so `audio_omni.video.formats` stays light."""

from importlib import import_module

from audio_omni.video.formats import VIDEO_FORMATS, is_video_path

_LAZY = {
    "mux_audio": "audio_omni.video.mux",
    "FrameRecipe": "audio_omni.video.reader",
    "SampledFrames": "audio_omni.video.reader",
    "VideoInfo": "audio_omni.video.reader",
    "probe_video": "audio_omni.video.reader",
    "read_frames": "audio_omni.video.reader",
}

__all__ = ["VIDEO_FORMATS", "is_video_path", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'audio_omni.video' has no attribute {name!r}")
