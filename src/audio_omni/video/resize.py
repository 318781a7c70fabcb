"""Turning one decoded RGB frame into a square model input, the two ways the reference pipelines do it.

Both take a uint8 frame [H, W, 3] and return uint8 [3, size, size]:

* `squash_resize` (Audio-Omni's frames, for Synchformer and for the MLLM): stretch to size x size, aspect ratio
  not kept, no crop. Antialiased bilinear computed in float32, then rounded half to even.
* `short_side_crop_resize` (MMAudio's sync frames): shorter side to `size`, the longer one to
  floor(size * long / short), antialiased bicubic with torch's native uint8 kernel (two separable passes, each
  rounded and clamped to 0..255: that intermediate rounding is part of the result), then a centre crop whose
  offsets are rounded half to even.

`to_unit_range` is the common float step: uint8 -> [-1, 1] in float32.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _channels_first(rgb: torch.Tensor) -> torch.Tensor:
    if rgb.dtype != torch.uint8 or rgb.dim() != 3 or rgb.shape[-1] != 3:
        raise ValueError(f"expected a uint8 frame [H, W, 3], got {rgb.dtype} {list(rgb.shape)}")
    return rgb.permute(2, 0, 1)


def squash_resize(rgb: torch.Tensor, size: int) -> torch.Tensor:
    image = _channels_first(rgb)
    if image.shape[1:] == (size, size):
        return image.contiguous()
    resized = F.interpolate(
        image[None].float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False
    )
    # torch.round rounds half to even, like the reference's float -> uint8 cast step.
    return resized[0].round().clamp_(0, 255).to(torch.uint8)


def short_side_size(height: int, width: int, size: int) -> tuple[int, int]:
    """(height, width) after scaling the shorter side to `size`; the longer side is truncated, not rounded."""
    if height <= width:
        return size, int(size * width / height)
    return int(size * height / width), size


def short_side_resize(rgb: torch.Tensor, size: int) -> torch.Tensor:
    image = _channels_first(rgb)
    height, width = short_side_size(image.shape[1], image.shape[2], size)
    if (height, width) == tuple(image.shape[1:]):
        return image.contiguous()
    # A uint8 input selects torch's native uint8 antialiased kernel, which is what the reference ran.
    return F.interpolate(
        image[None].contiguous(), size=(height, width), mode="bicubic", antialias=True, align_corners=False
    )[0]


def centre_crop(image: torch.Tensor, size: int) -> torch.Tensor:
    height, width = image.shape[-2:]
    if height < size or width < size:
        raise ValueError(f"cannot crop {size}x{size} from {height}x{width}")
    top, left = round((height - size) / 2), round((width - size) / 2)  # Python round: half to even
    return image[..., top : top + size, left : left + size].contiguous()


def short_side_crop_resize(rgb: torch.Tensor, size: int) -> torch.Tensor:
    return centre_crop(short_side_resize(rgb, size), size)


def to_unit_range(frames: torch.Tensor) -> torch.Tensor:
    """uint8 -> float32 in [-1, 1]: x / 255 (as a float32 product), then (x - 0.5) / 0.5."""
    return frames.to(torch.float32).mul(1.0 / 255).sub(0.5).div(0.5)
