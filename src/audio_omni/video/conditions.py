"""A video file -> what V2A / V2M conditioning needs: Synchformer sync features and the frames the MLLM sees.

This follows the official inference (Audio-Omni's api.py), which reads the first 10 s of the video twice:

* sync frames: 25 fps by frame index, squashed to 224 x 224, padded with the last frame to exactly 250
  -> Synchformer -> [240, 768] (`SYNC_FRAMES`);
* MLLM frames: `video_fps` of the model config (5) by frame index, squashed to 224 x 224, padded to 50
  -> the Qwen2.5-Omni thinker's video input, in the official V2A/V2M prompt layout.

Both come from one decoding pass. What happens to other lengths:

* shorter than 10 s: the last frame is repeated (features always [240, D]); the audio has the video's length;
* shorter than 16 source frames at 25 fps works too (padding); a single frame gives a still image;
* longer than the model's audio window (10.96 s for the paper model): the first window is used and the audio
  covers only that part (a warning says so); frames after 10 s are never decoded, so a long or 4K file costs
  only its first seconds.

The index rule is the official one and is kept for fidelity even though it ignores timestamps (a 30 fps video
is read at 15 fps as if it were 25 fps). `MMAUDIO_SYNC_FRAMES` is MMAudio's timestamp-exact recipe, for
callers who compute features the MMAudio way.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from audio_omni.errors import AudioOmniError, CheckpointError
from audio_omni.models.audio_omni_model import AudioOmniModel
from audio_omni.models.video.synchformer import SyncFeatureEncoder, load_synchformer
from audio_omni.video.reader import FrameRecipe, SampledFrames, VideoInfo, probe_video, read_frames

log = logging.getLogger(__name__)

#: Seconds of video the official pipeline reads (its `seconds_total`), for the sync and the MLLM frames alike.
VIDEO_WINDOW_SECONDS = 10
SYNC_FRAMES = FrameRecipe(rate=25, seconds=VIDEO_WINDOW_SECONDS, selection="index", resize="squash")
MMAUDIO_SYNC_FRAMES = FrameRecipe(
    rate=25, seconds=8, selection="timestamp", resize="crop", pad=False, companion_rate=8
)
DEFAULT_MLLM_FPS = 5  # the official default when a config has no video_fps


def mllm_frames(rate: int = DEFAULT_MLLM_FPS) -> FrameRecipe:
    return FrameRecipe(rate=rate, seconds=VIDEO_WINDOW_SECONDS, selection="index", resize="squash")


_loaded: dict[tuple, SyncFeatureEncoder] = {}


def cached_synchformer(path: str | Path, device: torch.device) -> SyncFeatureEncoder:
    """Load the Synchformer once per (file, device); later calls reuse it (only the latest one is kept)."""
    path = Path(path).expanduser().resolve()
    key = (str(path), os.stat(path).st_mtime_ns if path.is_file() else None, str(device))
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = load_synchformer(path, device)
    return _loaded[key]


def sync_features(encoder: SyncFeatureEncoder, frames: SampledFrames) -> torch.Tensor:
    """Sampled frames -> [S * 8, D] float32 on the CPU."""
    return encoder.features(frames.slot_frames()[None])[0].float().cpu()


@dataclass
class VideoConditions:
    info: VideoInfo
    mllm_frames: torch.Tensor  # uint8 [frames, 3, 224, 224]
    sync_features: torch.Tensor | None  # [240, D]; None when the caller supplied its own
    seconds: float  # the length of video the generated audio should cover


def _check_model(model: AudioOmniModel) -> tuple[int, int]:
    """Refuse models that cannot take a video; return the (frames, width) of sync features they expect."""
    roles = model.conditioner.role_ids()
    backbone = model.conditioner.conditioners[roles["mllm"]].model
    if backbone is not None and not backbone.accepts_video:
        raise AudioOmniError(
            f"{model.config.name or 'this model'} has no video encoder (its language model, "
            f"{type(backbone).__name__}, reads text only); V2A/V2M from a video need the paper preset 'audio-omni'"
        )
    if backbone is None:
        raise AudioOmniError("this model was loaded without its MLLM; pass mllm_path (CLI: --mllm) to read video")
    if "sync" not in roles:
        raise AudioOmniError("this model has no video-sync conditioner; it cannot generate from video")
    sync = model.conditioner.conditioners[roles["sync"]]
    return sync.n_frames_in, sync.feature_dim


def read_video_conditions(
    model: AudioOmniModel,
    video: str | os.PathLike,
    synchformer: str | os.PathLike | SyncFeatureEncoder | None,
    *,
    device: torch.device,
    max_seconds: float,
    need_sync: bool = True,
) -> VideoConditions:
    """Read `video` once and compute what `model` needs from it: the MLLM frames at the config's video_fps and,
    when `need_sync`, the sync features from the Synchformer at `synchformer` (a path, or a loaded encoder).

    `max_seconds` is the model's audio window: `seconds` is the video's length, cut to that window."""
    frames_in, width = _check_model(model)
    if need_sync and synchformer is None:
        raise AudioOmniError(
            "V2A/V2M from a video needs the Synchformer weights: pass synchformer= (CLI: --synchformer) with the "
            "path of synchformer_state_dict.pth; it is never downloaded"
        )
    probe_video(video)  # a missing or unreadable video fails here, before a large encoder is loaded
    encoder = None
    if need_sync:
        encoder = synchformer
        if not isinstance(encoder, SyncFeatureEncoder):
            encoder = cached_synchformer(encoder, device)
        if encoder.dim != width:
            raise CheckpointError(
                f"the Synchformer gives {encoder.dim}-wide features; this model's sync conditioner expects {width}"
            )
    recipes = [mllm_frames(model.config.video_fps or DEFAULT_MLLM_FPS)] + ([SYNC_FRAMES] if need_sync else [])
    info, sampled = read_frames(video, recipes)
    features = None
    if encoder is not None:
        features = sync_features(encoder, sampled[1])
        if features.shape[0] != frames_in:  # the official recipe always gives 240: a guard, not a user path
            raise AudioOmniError(f"sync features have {features.shape[0]} steps; the model expects {frames_in}")
    length = info.duration if info.duration else max_seconds
    if length > max_seconds + 1e-6:
        log.warning(
            "%s is %.2f s long; the model's window is %.2f s, so the audio covers only its first %.2f s",
            info.path, length, max_seconds, max_seconds,
        )
    return VideoConditions(info, sampled[0].slot_frames(), features, min(length, max_seconds))
