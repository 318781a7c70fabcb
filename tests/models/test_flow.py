"""Rectified flow: the training target, timestep distributions and the samplers' accuracy."""

from __future__ import annotations

import math

import pytest
import torch

from audio_omni.models.flow import flow_loss, interpolate, sample_ode, sample_timesteps, velocity_target


def test_exact_velocity_gives_zero_loss_and_straight_paths():
    data, noise = torch.randn(4, 3, 5), torch.randn(4, 3, 5)
    target = velocity_target(data, noise)
    assert flow_loss(target, data, noise).item() == 0.0
    # Along the straight path, Euler with the true (constant) velocity lands exactly on the data.
    out = sample_ode(lambda x, t: target, noise, steps=3)
    assert torch.allclose(out, data, atol=1e-6)
    assert torch.allclose(interpolate(data, noise, torch.ones(4)), noise)
    assert torch.allclose(interpolate(data, noise, torch.zeros(4)), data)


def test_masked_loss_ignores_padding():
    data, noise = torch.zeros(1, 2, 4), torch.ones(1, 2, 4)
    pred = velocity_target(data, noise).clone()
    pred[..., 2:] += 10.0
    mask = torch.tensor([[True, True, False, False]])
    assert flow_loss(pred, data, noise, mask).item() == 0.0
    assert flow_loss(pred, data, noise).item() > 0


def test_second_order_samplers_are_more_accurate_on_a_curved_flow():
    # dx/dt = x  from t = 1 to t = 0: x(0) = x(1) * e^-1.
    x1 = torch.ones(1, 1, 1)
    exact = math.exp(-1.0)
    errors = {s: abs(sample_ode(lambda x, t: x, x1, 8, s).item() - exact) for s in ("euler", "heun", "midpoint")}
    assert errors["midpoint"] < errors["euler"] / 5
    assert errors["heun"] < errors["euler"] / 2


def test_timestep_distributions_and_bad_arguments():
    gen = torch.Generator().manual_seed(0)
    uniform = sample_timesteps(10000, "uniform", gen)
    logit = sample_timesteps(10000, "logit_normal", gen)
    assert uniform.min() > 0 and uniform.max() < 1 and abs(uniform.mean().item() - 0.5) < 0.02
    assert logit.std() < uniform.std()  # concentrated in the middle
    with pytest.raises(ValueError):
        sample_timesteps(2, "cosine")
    with pytest.raises(ValueError):
        sample_ode(lambda x, t: x, x1 := torch.ones(1), 0)
    with pytest.raises(ValueError):
        sample_ode(lambda x, t: x, x1, 2, "rk45")
