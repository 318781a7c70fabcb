"""Where a model comes from: one resolver for the facade, the CLI and training.

A model is named by
- a preset name (``audio-omni``, ``audio-omni-small``, ``debug``): its trained weights are looked up in
  ``$AUDIO_OMNI_WEIGHTS/<name>``, then ``<cache>/models/<name>``, then the weights shipped inside the package
  (``audio_omni/weights/<name>``: the default small model); ``random_init`` asks for the untrained preset;
- one of our checkpoint directories (``config.json`` + ``model.safetensors``);
- an official checkpoint file (``model.ckpt`` / ``.safetensors`` with the official key names), whose config is
  given, lies beside it as ``config.json``, or is the paper preset.
Nothing is ever fetched: every location is on this machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Literal

from audio_omni.errors import CheckpointError
from audio_omni.models.checkpoints import CONFIG_NAME, WEIGHTS_NAME, read_pretrained_config
from audio_omni.models.config import ModelConfig, load_config
from audio_omni.models.presets import PRESETS, preset_config
from audio_omni.paths import cache_dir

DEFAULT_MODEL = "audio-omni-small"


@dataclass
class ModelSource:
    config: ModelConfig
    weights: Path | None  # None: freshly initialised (random_init)
    format: Literal["ours", "official", "none"]
    where: str  # for messages: the path or preset the model came from


def shipped_weights(name: str) -> Path | None:
    """The directory of weights shipped inside the package for preset `name`, if any."""
    directory = Path(str(files("audio_omni") / "weights" / name))
    return directory if (directory / WEIGHTS_NAME).is_file() and (directory / CONFIG_NAME).is_file() else None


def preset_weight_dirs(name: str) -> list[Path]:
    """Where trained weights of preset `name` are looked for, in order."""
    roots = [Path(os.environ["AUDIO_OMNI_WEIGHTS"])] if os.environ.get("AUDIO_OMNI_WEIGHTS") else []
    roots.append(cache_dir() / "models")
    candidates = [root / name for root in roots]
    shipped = shipped_weights(name)
    if shipped is not None:
        candidates.append(shipped)
    return candidates


def _weights_file(directory: Path) -> Path | None:
    for name in (WEIGHTS_NAME, "model.ckpt"):
        if (directory / name).is_file():
            return directory / name
    return None


def resolve_model(
    name_or_path: str | Path, config: str | Path | ModelConfig | None = None, random_init: bool = False
) -> ModelSource:
    """Find the config and weights a model name or path stands for (see the module docstring)."""
    source = Path(str(name_or_path)).expanduser()
    given = config if isinstance(config, ModelConfig) else load_config(config) if config is not None else None
    if source.is_dir():
        weights = _weights_file(source)
        if weights is None:
            raise CheckpointError(f"{source} holds no {WEIGHTS_NAME} (nor an official model.ckpt)")
        cfg = given or read_pretrained_config(source)
        fmt = "ours" if weights.name == WEIGHTS_NAME else "official"
        return ModelSource(cfg, None if random_init else weights, "none" if random_init else fmt, str(source))
    if source.is_file():
        beside = source.parent / CONFIG_NAME
        cfg = given or (read_pretrained_config(source.parent) if beside.is_file() else preset_config("audio-omni"))
        return ModelSource(cfg, None if random_init else source, "none" if random_init else "official", str(source))
    name = str(name_or_path)
    if name not in PRESETS:
        raise CheckpointError(
            f"{name!r} is neither a checkpoint directory, a checkpoint file nor a preset ({', '.join(PRESETS)})"
        )
    if random_init:
        return ModelSource(given or preset_config(name), None, "none", f"preset {name} (untrained)")
    for candidate in preset_weight_dirs(name):
        weights = _weights_file(candidate) if candidate.is_dir() else None
        if weights is not None:
            return ModelSource(given or read_pretrained_config(candidate), weights, "ours", str(candidate))
    looked = ", ".join(str(c) for c in preset_weight_dirs(name)) or "nowhere"
    raise CheckpointError(
        f"no trained weights for preset {name!r} (looked in {looked}); pass random_init=True (CLI: --random-init) "
        "for an untrained model"
    )
