"""Turning decoded batches into playable audio."""

from __future__ import annotations

import torch


def flatten_batch(audio: torch.Tensor) -> torch.Tensor:
    """[B, C, T] -> [C, B * T]: batch items played one after another."""
    b, c, t = audio.shape
    return audio.permute(1, 0, 2).reshape(c, b * t)


def peak_normalize_int16(audio: torch.Tensor) -> torch.Tensor:
    """The official demo's output: flatten the batch, scale to peak 1, int16. Silence stays silence."""
    flat = flatten_batch(audio.float())
    peak = flat.abs().max()
    if peak > 0:
        flat = flat / peak
    return (flat.clamp(-1, 1) * 32767).to(torch.int16)
