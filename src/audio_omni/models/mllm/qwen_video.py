"""Video frames -> the Qwen2.5-Omni thinker's video inputs, without transformers' video processor.

transformers' `Qwen2VLVideoProcessor` imports torchvision, which cannot be installed beside CPU torch here, so
this module computes what `Qwen2_5OmniProcessor(text=..., videos=[frames])` returns for a uint8 clip
[T, 3, H, W] (the official conditioner's call: no fps, no audio in the video):

1. size = smart_resize(H, W): both sides multiples of patch * merge (28), the area within
   [min_pixels, max_pixels], the aspect ratio kept as well as that allows; when it differs from H x W the clip
   is resized with antialiased bicubic on uint8 (torch's native kernel, which torchvision calls on CPU);
2. (x - 255 * mean) / (255 * std) in float32 with CLIP's mean and std (the processor's fused rescale+normalise);
3. T padded to a multiple of the temporal patch (2) by repeating the last frame;
4. patches [grid_t * grid_h * grid_w, 3 * 2 * 14 * 14], ordered so that each 2 x 2 merge window is contiguous;
5. the prompt's one `<|VIDEO|>` becomes grid_t * grid_h * grid_w / merge**2 copies;
6. `video_second_per_grid` = temporal_patch / fps with fps = 2.0, the processor's value when none is passed
   (the frames are really 5 fps; the official model was run, and trained, with this value).

For Audio-Omni's 50 frames of 224 x 224 with the Qwen2.5-Omni release's pixel limits this is grid 25 x 16 x 16:
6,400 patches and 1,600 video tokens in the prompt.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

VIDEO_PLACEHOLDER = "<|VIDEO|>"
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class VideoProcessorSettings:
    """The processor settings that change the result. Defaults: the Qwen2.5-Omni release's
    preprocessor_config.json (min/max pixels 3136 / 12845056), which transformers falls back to for videos."""

    min_pixels: int = 56 * 56
    max_pixels: int = 28 * 28 * 16384
    patch_size: int = 14
    temporal_patch_size: int = 2
    merge_size: int = 2
    image_mean: tuple[float, float, float] = CLIP_MEAN
    image_std: tuple[float, float, float] = CLIP_STD
    rescale_factor: float = 1 / 255
    fps: float = 2.0

    @classmethod
    def from_directory(cls, path: str | Path) -> VideoProcessorSettings:
        """Read the settings transformers would use for this model directory: the nested "video_processor" of
        processor_config.json, else video_preprocessor_config.json, else preprocessor_config.json."""
        path = Path(path)
        data = None
        nested = path / "processor_config.json"
        if nested.is_file():
            data = json.loads(nested.read_text(encoding="utf-8")).get("video_processor")
        for name in ("video_preprocessor_config.json", "preprocessor_config.json"):
            if data is None and (path / name).is_file():
                data = json.loads((path / name).read_text(encoding="utf-8"))
        if data is None:
            return cls()
        size = data.get("size") or {}
        defaults = cls()
        return cls(
            min_pixels=int(data.get("min_pixels") or size.get("shortest_edge") or defaults.min_pixels),
            max_pixels=int(data.get("max_pixels") or size.get("longest_edge") or defaults.max_pixels),
            patch_size=int(data.get("patch_size", defaults.patch_size)),
            temporal_patch_size=int(data.get("temporal_patch_size", defaults.temporal_patch_size)),
            merge_size=int(data.get("merge_size", defaults.merge_size)),
            image_mean=tuple(data.get("image_mean", defaults.image_mean)),
            image_std=tuple(data.get("image_std", defaults.image_std)),
            rescale_factor=float(data.get("rescale_factor", defaults.rescale_factor)),
        )


def smart_resize(height: int, width: int, factor: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """Qwen2-VL's rule: sides rounded to multiples of `factor`, then scaled into [min_pixels, max_pixels]."""
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"a {width}x{height} video is too elongated for the vision encoder (ratio > 200)")
    h = round(height / factor) * factor
    w = round(width / factor) * factor
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w


@dataclass
class VideoPatches:
    pixel_values: torch.Tensor  # float32 [grid_t * grid_h * grid_w, 3 * temporal * patch * patch]
    grid_thw: tuple[int, int, int]
    second_per_grid: float
    n_tokens: int  # <|VIDEO|> placeholders in the prompt


def video_patches(frames: torch.Tensor, settings: VideoProcessorSettings | None = None) -> VideoPatches:
    """uint8 frames [T, 3, H, W] -> the thinker's pixel values for one video."""
    s = settings or VideoProcessorSettings()
    if frames.dtype != torch.uint8 or frames.dim() != 4 or frames.shape[1] != 3:
        raise ValueError(f"expected uint8 video frames [T, 3, H, W], got {frames.dtype} {list(frames.shape)}")
    patch, merge, temporal = s.patch_size, s.merge_size, s.temporal_patch_size
    height, width = smart_resize(frames.shape[2], frames.shape[3], patch * merge, s.min_pixels, s.max_pixels)
    if (height, width) != tuple(frames.shape[2:]):
        frames = F.interpolate(frames, size=(height, width), mode="bicubic", antialias=True, align_corners=False)
    mean = torch.tensor(s.image_mean) * (1.0 / s.rescale_factor)
    std = torch.tensor(s.image_std) * (1.0 / s.rescale_factor)
    video = (frames.to(torch.float32) - mean[:, None, None]) / std[:, None, None]
    if pad := -video.shape[0] % temporal:
        video = torch.cat([video, video[-1:].expand(pad, -1, -1, -1)])
    grid_t, grid_h, grid_w = video.shape[0] // temporal, height // patch, width // patch
    patches = video.reshape(grid_t, temporal, 3, grid_h // merge, merge, patch, grid_w // merge, merge, patch)
    # -> [t, block row, block column, row in block, column in block, channel, frame, y, x]
    patches = patches.permute(0, 3, 6, 4, 7, 2, 1, 5, 8).reshape(grid_t * grid_h * grid_w, -1)
    return VideoPatches(
        pixel_values=patches.contiguous(),
        grid_thw=(grid_t, grid_h, grid_w),
        second_per_grid=temporal / s.fps,
        n_tokens=grid_t * grid_h * grid_w // merge**2,
    )


def expand_video_prompts(
    prompts: list[str], videos: list[torch.Tensor | None], settings: VideoProcessorSettings | None = None
) -> tuple[list[str], dict[str, torch.Tensor]]:
    """Prompts with one `<|VIDEO|>` per given video -> (expanded prompts, the thinker's video keyword inputs)."""
    if len(videos) != len(prompts):
        raise ValueError(f"{len(videos)} videos for {len(prompts)} prompts")
    expanded, pixels, grids, seconds = [], [], [], []
    for prompt, frames in zip(prompts, videos, strict=True):
        if frames is None:
            expanded.append(prompt)
            continue
        if prompt.count(VIDEO_PLACEHOLDER) != 1:
            raise ValueError(f"a prompt with a video needs exactly one {VIDEO_PLACEHOLDER} placeholder")
        video = video_patches(frames, settings)
        expanded.append(prompt.replace(VIDEO_PLACEHOLDER, VIDEO_PLACEHOLDER * video.n_tokens))
        pixels.append(video.pixel_values)
        grids.append(video.grid_thw)
        seconds.append(video.second_per_grid)
    if not pixels:
        return expanded, {}
    return expanded, {
        "pixel_values_videos": torch.cat(pixels),
        "video_grid_thw": torch.tensor(grids, dtype=torch.long),
        "video_second_per_grid": torch.tensor(seconds, dtype=torch.float32),
    }
