"""Rectified flow: the training target, timestep distributions and the samplers' accuracy."""

from __future__ import annotations

import math

import pytest
import torch

from audio_omni.models.flow import flow_loss, interpolate, sample_ode, sample_timesteps, velocity_target


def test_exact_velocity_gives_zero_loss_and_straight_paths():
    gen = torch.Generator().manual_seed(0)
    data, noise = torch.randn(4, 3, 5, generator=gen), torch.randn(4, 3, 5, generator=gen)
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


def test_samplers_converge_at_their_order_on_a_linear_flow():
    """dx/dt = a(t) x with a(t) = 1 + t, integrated from t = 1 to 0, has the exact flow
    x(0) = x(1) exp(-(1 + 1/2)). Halving the step divides the error by 2 (Euler, first order) or by 4 (Heun and
    midpoint, second order; Heun's Euler last step does not lower the order)."""

    def velocity(x, t):
        return (1 + t.view(-1, 1, 1)) * x

    x1 = torch.tensor([[[1.0, -2.0]]], dtype=torch.float64)
    exact = x1 * math.exp(-1.5)
    for sampler, order in (("euler", 1), ("heun", 2), ("midpoint", 2)):
        errors = [(sample_ode(velocity, x1, steps, sampler) - exact).abs().max().item() for steps in (32, 64, 128)]
        observed = [math.log2(a / b) for a, b in zip(errors, errors[1:], strict=False)]
        assert all(abs(p - order) < 0.1 for p in observed), (sampler, errors, observed)
    # one Euler step by hand: x(0) = x(1) + (0 - 1) * a(1) x(1) = -x(1)
    assert torch.equal(sample_ode(velocity, x1, 1, "euler"), -x1)


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
