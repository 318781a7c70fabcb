"""What every conditioner returns, and the pieces they share."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class CondTokens:
    """Tokens [B, N, cond_dim] and their mask [B, N] (bool or 0/1 float, as the official conditioners give)."""

    tokens: torch.Tensor
    mask: torch.Tensor


def rms_normalize(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Parameter-free RMSNorm over the last axis, in the input's dtype."""
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)


class Conditioner(nn.Module):
    """Turns one kind of raw input (a prompt, a transcript, audio, video features) into tokens.

    `forward(inputs, device)` takes one entry per batch item; None means "this input is absent".
    """

    output_dim: int

    def forward(self, inputs: list, device: torch.device | str) -> CondTokens:
        raise NotImplementedError
