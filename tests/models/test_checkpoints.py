"""Our checkpoint format round-trips bit for bit; strict loading names the offending key."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from audio_omni import AudioOmni
from audio_omni.errors import CheckpointError
from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import (
    WEIGHTS_NAME,
    load_official_checkpoint,
    load_state_dict_into,
    persistent_state_dict,
    read_state_dict,
    save_pretrained,
)
from audio_omni.models.presets import preset_config


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model(preset_config("debug")).eval()
    directory = save_pretrained(model, tmp_path_factory.mktemp("ckpt") / "debug-model")
    return model, directory


def _outputs(omni: AudioOmni):
    gen = omni.generate("T2A", "a bell rings", duration=0.5, seed=5, steps=3)
    tts = omni.generate("TTS", "bonjour", duration=0.5, seed=5, steps=3)
    return gen.audio, tts.audio


def test_round_trip_is_bit_identical(saved):
    model, directory = saved
    assert sorted(p.name for p in directory.iterdir()) == ["config.json", WEIGHTS_NAME]
    first = AudioOmni(model, device="cpu")
    second = AudioOmni.from_pretrained(directory, device="cpu")
    saved_state, loaded_state = persistent_state_dict(first.model), persistent_state_dict(second.model)
    assert saved_state.keys() == loaded_state.keys()
    assert all(torch.equal(saved_state[k], loaded_state[k]) for k in saved_state)
    for a, b in zip(_outputs(first), _outputs(second), strict=True):
        assert torch.equal(a, b)


def test_resave_replaces_atomically(saved, tmp_path):
    model, _ = saved
    target = tmp_path / "again"
    save_pretrained(model, target)
    save_pretrained(model, target)  # overwriting an existing checkpoint leaves exactly one complete copy
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]


def test_missing_key_is_named(saved, tmp_path):
    model, directory = saved
    state = load_file(str(directory / WEIGHTS_NAME))
    dropped = "model.model.transformer.layers.1.ff.ff.2.weight"
    del state[dropped]
    with pytest.raises(CheckpointError, match=dropped.replace(".", r"\.")):
        load_state_dict_into(build_model(preset_config("debug")), state)
    report = load_state_dict_into(build_model(preset_config("debug")), state, strict=False)
    assert report.missing == [dropped] and not report.unexpected


def test_unexpected_and_misshaped_keys_are_named(saved, tmp_path):
    _, directory = saved
    state = load_file(str(directory / WEIGHTS_NAME))
    state["model.model.not_a_layer.weight"] = torch.zeros(3)
    state["model.model.preprocess_conv.weight"] = torch.zeros(2, 2, 1)
    path = tmp_path / "bad.safetensors"
    save_file(state, str(path))
    with pytest.raises(CheckpointError) as err:
        load_official_checkpoint(build_model(preset_config("debug")), path)
    assert "model.model.not_a_layer.weight" in str(err.value)
    assert "model.model.preprocess_conv.weight" in str(err.value)


def test_unreadable_checkpoint(tmp_path):
    bad = tmp_path / "model.ckpt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read"):
        read_state_dict(bad)
    with pytest.raises(CheckpointError, match="not found"):
        read_state_dict(tmp_path / "absent.safetensors")


@pytest.mark.slow
def test_small_preset_stores_only_its_own_weights(tmp_path):
    """Gemma and HiFi-GAN load from their packages; our checkpoint holds the trained parts, and reloads exactly."""
    omni = AudioOmni.from_pretrained("audio-omni-small", device="cpu", random_init=True)
    stored = persistent_state_dict(omni.model)
    assert not any(".omni_prompt.model." in k or k.startswith("pretransform.vocoder.") for k in stored)
    assert 5e6 < sum(v.numel() for v in stored.values()) < 10e6  # the 5 M DiT and its conditioners
    directory = save_pretrained(omni.model, tmp_path / "small")
    again = AudioOmni.from_pretrained(directory, device="cpu")
    first = omni.generate("T2A", "rain on a tin roof", duration=1.0, steps=2, seed=1)
    second = again.generate("T2A", "rain on a tin roof", duration=1.0, steps=2, seed=1)
    assert first.sample_rate == 22050 and first.audio.shape == (1, 22050)
    assert torch.equal(first.audio, second.audio)
