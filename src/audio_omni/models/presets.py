"""Named model presets shipped with the package (JSON files in the official schema)."""

from __future__ import annotations

import json
from importlib.resources import files

from audio_omni.errors import ConfigError
from audio_omni.models.config import ModelConfig, parse_config

PRESETS = ("audio-omni", "audio-omni-small", "debug", "debug-small")


def preset_config(name: str) -> ModelConfig:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)} or pass a path")
    text = (files("audio_omni.presets") / f"{name}.json").read_text(encoding="utf-8")
    return parse_config(json.loads(text), f"preset {name}")
