"""Rectified flow: the training target, timestep distributions and ODE samplers.

Convention (the official one): x_t = (1 - t) * data + t * noise, t = 1 is pure noise, and the network
predicts the velocity v = noise - data. Sampling integrates dx/dt = v from t = 1 down to t = 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch

VelocityFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
SamplerName = Literal["euler", "heun", "midpoint"]
SAMPLERS: tuple[str, ...] = ("euler", "heun", "midpoint")


def interpolate(data: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    t = t.view(-1, *([1] * (data.dim() - 1)))
    return (1 - t) * data + t * noise


def velocity_target(data: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    return noise - data


def flow_loss(
    predicted: torch.Tensor,
    data: torch.Tensor,
    noise: torch.Tensor,
    mask: torch.Tensor | None = None,
    sample_weights: torch.Tensor | None = None,
    absolute: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean squared velocity error; `mask` [B, L] (True = counts) restricts it to valid latent frames and
    `sample_weights` [B] scales each item's squared error.

    `absolute` [B] (True = this item's error counts as its absolute value, scaled by the square root of its
    weight): an L1 item's prediction tends to the conditional median instead of the mean. Where a cell either
    changes or stays (a sound removed or kept), the median takes the likelier of the two, while the mean of an
    unsure model changes the cell part of the way."""
    diff = predicted - velocity_target(data, noise)
    shape = (-1, *([1] * (diff.dim() - 1)))
    err = diff.pow(2)
    if sample_weights is not None:
        err = err * sample_weights.to(err.dtype).view(shape)
    if absolute is not None and bool(absolute.any()):
        l1 = diff.abs()
        if sample_weights is not None:
            l1 = l1 * sample_weights.to(err.dtype).sqrt().view(shape)
        err = torch.where(absolute.to(err.device).view(shape), l1, err)
    if mask is None:
        return err.mean()
    weights = mask[:, None, :].to(err.dtype).expand_as(err)
    return (err * weights).sum() / weights.sum().clamp(min=1)


def data_prediction_weights(t: torch.Tensor, floor: float = 0.2) -> torch.Tensor:
    """Per-item weights that turn the velocity loss of a data-predicting model into a data loss weighted by
    1 / max(t, floor)^2 instead of 1 / t^2. The velocity error of such a model is its data error over t, so near
    t = 0 the plain velocity loss is dominated by a few items (weights in the thousands); above the floor nothing
    changes."""
    return (t / t.clamp(min=floor)).pow(2)


def sample_timesteps(
    batch: int,
    kind: Literal["uniform", "logit_normal"] = "uniform",
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
    mean: float = 0.0,
    std: float = 1.0,
) -> torch.Tensor:
    """Training timesteps in (0, 1). Logit-normal concentrates on the middle, where the task is hardest."""
    if kind == "uniform":
        return torch.rand(batch, generator=generator).to(device)
    if kind == "logit_normal":
        return torch.sigmoid(torch.randn(batch, generator=generator) * std + mean).to(device)
    raise ValueError(f"unknown timestep distribution {kind!r}; use 'uniform' or 'logit_normal'")


def time_grid(steps: int, device: torch.device | str = "cpu") -> torch.Tensor:
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    return torch.linspace(1, 0, steps + 1, device=device)


@torch.no_grad()
def sample_ode(
    velocity: VelocityFn,
    noise: torch.Tensor,
    steps: int,
    sampler: SamplerName = "euler",
    on_step: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Integrate from noise (t = 1) to data (t = 0).

    euler: the official sampler, one velocity call per step. heun and midpoint are second order (two calls
    per step, Heun's last step falls back to Euler because the corrector would evaluate at t = 0).
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
    grid = time_grid(steps, noise.device)
    x = noise
    batch = noise.shape[0]
    for i in range(steps):
        t, t_next = grid[i], grid[i + 1]
        dt = t_next - t
        v = velocity(x, t.expand(batch))
        if sampler == "euler" or (sampler == "heun" and i == steps - 1):
            x = x + dt * v
        elif sampler == "heun":
            x_pred = x + dt * v
            v_next = velocity(x_pred, t_next.expand(batch))
            x = x + dt * 0.5 * (v + v_next)
        else:  # midpoint
            x_mid = x + 0.5 * dt * v
            x = x + dt * velocity(x_mid, (t + 0.5 * dt).expand(batch))
        if on_step is not None:
            on_step(i + 1, steps)
    return x
