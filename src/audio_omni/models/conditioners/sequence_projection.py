"""A Linear applied over the sequence axis: maps a fixed number of positions to a fixed number of tokens."""

from __future__ import annotations

import torch
from torch import nn


def project_sequence(linear: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """x [B, N_in, D] -> [B, N_out, D] with linear: N_in -> N_out."""
    return linear(x.transpose(1, 2)).transpose(1, 2)
