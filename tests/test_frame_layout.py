"""The small preset's frame layout through the facade: windows beyond the model's length, continuation, and the
identity a freshly initialised data-residual model computes (which makes window joins checkable exactly)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from audio_omni import AudioOmni
from audio_omni.models.builders import build_model
from audio_omni.models.presets import preset_config
from audio_omni.pipeline import crossfade_weights

SR = 22050


@pytest.fixture(scope="module")
def fresh() -> AudioOmni:
    """debug-small as training starts it: zero output layer, so every edit returns its source."""
    torch.manual_seed(0)
    model = build_model(preset_config("debug-small"))
    model.dit.reset_parameters_for_training()
    return AudioOmni(model, device="cpu")


@pytest.fixture(scope="module")
def trained_like() -> AudioOmni:
    """debug-small with random (non-zero) weights everywhere: outputs depend on the instruction and the noise."""
    torch.manual_seed(1)
    return AudioOmni(build_model(preset_config("debug-small")), device="cpu")


def _noise_and_tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(0)
    return (0.3 * np.sin(2 * np.pi * 330 * t) * (1 + np.sin(2 * np.pi * 0.7 * t)) / 2
            + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


def test_crossfade_weights_sum_to_one_across_an_overlap():
    a = crossfade_weights(10, 0, 4)
    b = crossfade_weights(10, 4, 0)
    assert torch.allclose(a[-4:] + b[:4], torch.ones(4))
    assert torch.equal(a[:6], torch.ones(6)) and torch.equal(b[4:], torch.ones(6))
    assert (a[-4:].diff() < 0).all()


def test_windows_cover_a_long_input_and_overlap(fresh):
    size = fresh.config.latent_length
    windows = fresh._windows(3 * size + 5)
    assert windows[0][0] == 0 and windows[-1][1] == 3 * size + 5
    assert all(end - start == size for start, end in windows)
    assert all(nxt[0] < cur[1] for cur, nxt in zip(windows, windows[1:], strict=False))  # every join overlaps
    assert fresh._windows(size - 3) == [(0, size - 3)]


def test_a_long_edit_with_the_identity_model_returns_its_source_exactly(fresh):
    """Four windows, cross-faded and rendered relative to the source: with an identity editor neither the joins
    nor the rendering may leave a trace (the source comes back sample for sample)."""
    source = _noise_and_tone(4 * fresh.max_duration + 0.13)
    out = fresh.edit(source, ("Remove", "the tone"), sample_rate=SR, steps=3, seed=0)
    assert out.audio.shape == (1, source.size)
    assert torch.allclose(out.audio[0], torch.from_numpy(source), atol=1e-4)


def test_edit_rendering_keeps_the_source_and_vocodes_only_new_sound(fresh):
    codec = fresh.model.pretransform
    source = torch.from_numpy(_noise_and_tone(1.0))[None, None, : 86 * 256]
    with torch.no_grad():
        latents = codec.encode(source)
        quieter = codec.decode_edit(latents - math.log(4.0) / 2.0, source)  # every band at a quarter: -12 dB
        louder_than_gain = latents.clone()
        louder_than_gain[..., 40:50] += 6.0  # far beyond any gain on the source: new sound, vocoded there only
        added = codec.decode_edit(louder_than_gain, source)
    assert torch.allclose(quieter, source * 0.25, atol=2e-3)
    changed = (added - source).abs()[0, 0]
    assert changed[: 30 * 256].max() < 1e-4 and changed[60 * 256 :].max() < 1e-4  # untouched outside the margin
    assert changed[40 * 256 : 50 * 256].max() > 1e-2


def test_long_edits_and_generation_are_seeded_and_sized(trained_like):
    source = _noise_and_tone(2.5 * trained_like.max_duration)
    a = trained_like.edit(source, "Make the tone quieter.", sample_rate=SR, steps=2, seed=3)
    b = trained_like.edit(source, "Make the tone quieter.", sample_rate=SR, steps=2, seed=3)
    c = trained_like.edit(source, "Make the tone quieter.", sample_rate=SR, steps=2, seed=4)
    assert torch.equal(a.audio, b.audio) and not torch.equal(a.audio, c.audio)
    assert a.audio.shape == (1, source.size)
    seconds = 3.2 * trained_like.max_duration
    long = trained_like.generate("T2A", "rain on a tin roof", duration=seconds, steps=2, seed=1)
    assert long.audio.shape == (1, round(seconds * SR)) and torch.isfinite(long.audio).all()


def test_continuation_windows_start_from_the_previous_tail(trained_like, monkeypatch):
    """Every window after the first is conditioned on the last overlap frames the previous one made."""
    seen = []
    original = trained_like._sample_window

    def spy(request, noise, *args):
        out = original(request, noise, *args)
        seen.append((request.prefix, out))
        return out

    monkeypatch.setattr(trained_like, "_sample_window", spy)
    trained_like.generate("T2A", "rain", duration=2.2 * trained_like.max_duration, steps=1, seed=2)
    overlap = trained_like._overlap_frames()
    assert len(seen) >= 3 and seen[0][0] is None
    for (_, previous), (prefix, _) in zip(seen, seen[1:], strict=False):
        assert torch.equal(prefix, previous[0, :, -overlap:])


def test_tts_with_a_voice_reference_keeps_the_voice_out_of_the_result(trained_like):
    voice = _noise_and_tone(0.2)
    out = trained_like.generate("TTS", "Hello.", voice=voice, voice_sample_rate=SR, voice_text="One.",
                                duration=0.25, steps=1, seed=0)
    assert out.audio.shape == (1, round(0.25 * SR))
    with pytest.raises(Exception, match="exceed this model's window"):
        trained_like.generate("TTS", "Hello.", voice=voice, voice_sample_rate=SR, duration=0.45, steps=1)
