"""The typed config reads the official schema unchanged and rejects broken configs with a clear message."""

from __future__ import annotations

import copy
import json

import pytest

from audio_omni.errors import ConfigError
from audio_omni.models.config import load_config, parse_config
from audio_omni.models.presets import PRESETS, preset_config


def test_official_tiny_config_reads_unchanged(official_tiny):
    cfg = load_config(official_tiny / "config.json")
    assert cfg.latent_length == 32
    assert cfg.override("omni_prompt.qwen_feature_dim", 2048) == 64
    assert cfg.model.diffusion.high_level_cond_ids == ["omni_prompt", "speech_prompt"]


@pytest.mark.parametrize("name", PRESETS)
def test_presets_validate(name):
    cfg = preset_config(name)
    assert cfg.latent_length > 0
    assert parse_config(cfg.to_dict()).to_dict() == cfg.to_dict()


def test_paper_preset_has_the_released_numbers():
    cfg = preset_config("audio-omni")
    dit = cfg.model.diffusion.config
    assert (dit.depth, dit.embed_dim, dit.num_heads, dit.io_channels) == (36, 2048, 32, 64)
    assert cfg.latent_length == 236 and cfg.sample_rate == 44100 and cfg.audio_channels == 2


def _broken(mutate):
    data = copy.deepcopy(preset_config("debug").to_dict())
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.pop("sample_size"), "sample_size"),
        (lambda d: d["model"]["diffusion"]["low_level_cond_ids"].append("video"), "video"),
        (lambda d: d["model"]["diffusion"]["config"].update(num_heads=3), "divisible"),
        (lambda d: d["model"]["diffusion"]["config"].update(io_channels=7), "io_channels"),
        (lambda d: d["model"]["conditioning"]["configs"][0].update(type="clap"), "type"),
        (lambda d: d["model"]["diffusion"].update(diffusion_objective="v"), "diffusion_objective"),
        (lambda d: d["model"]["pretransform"]["config"]["encoder"]["config"].update(strides=[2]), "strides"),
    ],
)
def test_broken_configs_are_rejected_with_the_field_named(mutate, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_config(_broken(mutate))


def test_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(bad)
    bad.write_text(json.dumps({"model_type": "diffusion_cond"}))
    with pytest.raises(ConfigError, match="invalid model config"):
        load_config(bad)
