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


def test_absolute_items_fit_the_median_and_the_others_the_mean():
    """Five training pairs share one input; three keep a cell (data 0), two change it (data 1). A constant
    prediction fitted with the squared error lands between (the mean, 0.4: a sound part-removed); with the
    absolute error on the same items it takes the majority (the median, 0)."""
    data, noise = torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0]).view(5, 1, 1), torch.zeros(5, 1, 1)
    weights = torch.full((5,), 0.25)

    def fitted(absolute):
        c = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([c], lr=0.05)
        for _ in range(400):
            opt.zero_grad()
            # predicting data c is predicting velocity noise - c
            flow_loss((noise - c).expand(5, 1, 1), data, noise, sample_weights=weights, absolute=absolute).backward()
            opt.step()
        return c.item()

    assert fitted(None) == pytest.approx(0.4, abs=0.02)
    assert abs(fitted(torch.ones(5, dtype=torch.bool))) < 0.05
    # An absolute item counts |error| * sqrt(weight); the others error^2 * weight.
    pred = torch.full((2, 1, 1), 2.0)
    loss = flow_loss(pred, torch.zeros(2, 1, 1), torch.zeros(2, 1, 1), sample_weights=torch.tensor([0.25, 0.25]),
                     absolute=torch.tensor([True, False]))
    assert loss.item() == pytest.approx((2.0 * 0.5 + 4.0 * 0.25) / 2)


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
