"""Learning-rate schedules as multipliers of the base rate (for torch's LambdaLR)."""

from __future__ import annotations

import math

from audio_omni.training.config import OptimSpec


def lr_multiplier(step: int, spec: OptimSpec, max_steps: int) -> float:
    """Linear warm-up, then inverse decay (the official experiments' schedule), cosine or constant."""
    warm = min(1.0, (step + 1) / spec.warmup_steps) if spec.warmup_steps else 1.0
    if spec.schedule == "inverse":
        return warm * (1.0 + step / spec.inverse_gamma) ** (-spec.inverse_power)
    if spec.schedule == "cosine":
        progress = min(1.0, max(0, step - spec.warmup_steps) / max(1, max_steps - spec.warmup_steps))
        floor = spec.min_lr_ratio
        return warm * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))
    return warm
