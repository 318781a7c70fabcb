"""Video files: reading frames by recipe (PyAV), and writing generated sound back into a video."""

from audio_omni.video.mux import is_video_path, mux_audio
from audio_omni.video.reader import FrameRecipe, SampledFrames, VideoInfo, probe_video, read_frames

__all__ = ["FrameRecipe", "SampledFrames", "VideoInfo", "is_video_path", "mux_audio", "probe_video", "read_frames"]
