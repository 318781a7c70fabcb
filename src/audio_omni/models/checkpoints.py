"""Checkpoint formats.

- The official format: one state dict (`model.ckpt` = torch.save({"state_dict": ...}) or `.safetensors`) with the
  official key names. The Qwen thinker's keys may be present (transformers 5.3 names) or absent (then the thinker
  comes from its own directory).
- Ours: a directory with `config.json` + `model.safetensors`, self-describing. Frozen parts that install from
  packages (the small preset's Gemma and HiFi-GAN) are not stored again.

Loading is strict: missing, unexpected or mis-shaped keys raise CheckpointError naming them, unless the caller
asks for partial loading, which returns a report of what was skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from audio_omni.atomic import replacing_directory
from audio_omni.errors import CheckpointError
from audio_omni.models.audio_omni_model import AudioOmniModel
from audio_omni.models.config import ModelConfig, parse_config

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"


@dataclass
class LoadReport:
    loaded: int = 0
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def describe(self, limit: int = 10) -> str:
        parts = []
        for name, keys in (("missing", self.missing), ("unexpected", self.unexpected), ("mismatched", self.mismatched)):
            if keys:
                shown = ", ".join(keys[:limit]) + (f" (+{len(keys) - limit} more)" if len(keys) > limit else "")
                parts.append(f"{len(keys)} {name}: {shown}")
        return "; ".join(parts) or f"all {self.loaded} tensors loaded"


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a `.safetensors` file or a torch checkpoint (`{"state_dict": ...}` or a bare state dict)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        if path.suffix == ".safetensors":
            return load_file(str(path))
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as err:  # corrupt or foreign files: one clear message instead of a library traceback
        raise CheckpointError(f"cannot read checkpoint {path}: {err}") from None
    state = obj.get("state_dict", obj) if isinstance(obj, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path} does not hold a state dict of tensors")
    return state


def _external_prefixes(model: AudioOmniModel) -> list[str]:
    """Submodules whose weights install from packages or their own directory, not from our checkpoints."""
    return [name + "." for name, module in model.named_modules() if getattr(module, "external_weights", False)]


def mllm_key_mapper(model: AudioOmniModel):
    """Official thinker names (transformers 5.3) -> this transformers' names, and back."""
    from audio_omni.models.mllm.qwen_omni import QwenOmniBackbone

    roles = model.conditioner.role_ids()
    mllm_id = roles.get("mllm")
    backbone = model.conditioner.conditioners[mllm_id].model if mllm_id else None
    if not isinstance(backbone, QwenOmniBackbone):
        return (lambda k: k), (lambda k: k)
    prefix = f"conditioner.conditioners.{mllm_id}.model."

    def to_installed(key: str) -> str:
        return prefix + backbone.installed_key(key[len(prefix) :]) if key.startswith(prefix) else key

    def to_canonical(key: str) -> str:
        from audio_omni.models.mllm.qwen_omni import thinker_key_to_canonical

        return prefix + thinker_key_to_canonical(key[len(prefix) :]) if key.startswith(prefix) else key

    return to_installed, to_canonical


#: The DiT's input projection: frame conditions added to a model (source_tags) widen it by appended columns.
PROJECT_IN = "model.model.transformer.project_in.weight"


def grow_input_projection(state: dict[str, torch.Tensor], model: AudioOmniModel) -> dict[str, torch.Tensor]:
    """Warm-start a model whose DiT reads more frame-condition channels than the weights were trained with: the
    added channels come last in every token (channel-major patches), so the old weights keep their columns and
    the new columns start at zero. The grown model computes exactly what the old one did until it trains."""
    own = model.state_dict().get(PROJECT_IN)
    old = state.get(PROJECT_IN)
    if own is None or old is None or old.shape == own.shape:
        return state
    if old.ndim != 2 or old.shape[0] != own.shape[0] or old.shape[1] > own.shape[1]:
        return state  # not a widening: the strict load reports it
    grown = torch.zeros(own.shape, dtype=old.dtype)
    grown[:, : old.shape[1]] = old
    return {**state, PROJECT_IN: grown}


def load_state_dict_into(
    model: AudioOmniModel, state: dict[str, torch.Tensor], strict: bool = True, source: str = "checkpoint"
) -> LoadReport:
    """Copy `state` (official key names) into the model. Keys of external modules are optional."""
    to_installed, _ = mllm_key_mapper(model)
    state = {to_installed(k): v for k, v in state.items()}
    own = model.state_dict()
    external = _external_prefixes(model)
    report = LoadReport()
    for key in own:
        if key not in state and not any(key.startswith(p) for p in external):
            report.missing.append(key)
    for key, value in state.items():
        if key not in own:
            report.unexpected.append(key)
        elif tuple(own[key].shape) != tuple(value.shape):
            report.mismatched.append(f"{key} {list(value.shape)} vs model {list(own[key].shape)}")
    if strict and not report.clean:
        raise CheckpointError(_absent_mllm(model, report, source) or f"{source} does not match the model: "
                              f"{report.describe()}")
    usable = {k: v for k, v in state.items() if k in own and tuple(own[k].shape) == tuple(v.shape)}
    model.load_state_dict(usable, strict=False)
    report.loaded = len(usable)
    return report


def _absent_mllm(model: AudioOmniModel, report: LoadReport, source: str) -> str | None:
    """The clear reason for a mismatch that only says the MLLM's directory was not found, else None."""
    mllm_id = model.conditioner.role_ids().get("mllm")
    if mllm_id is None or model.conditioner.conditioners[mllm_id].model is not None:
        return None
    prefix = f"conditioner.conditioners.{mllm_id}.model."
    if not report.unexpected or not all(k.startswith(prefix) for k in report.unexpected) or report.mismatched:
        return None
    return (f"{source} holds the MLLM's weights ({len(report.unexpected)} tensors under {prefix}) but the model "
            "was built without its MLLM: the local Qwen2.5-Omni directory was not found; pass it as mllm_path "
            "(--mllm DIR on the command line)")


def load_official_checkpoint(model: AudioOmniModel, path: str | Path, strict: bool = True) -> LoadReport:
    """Load the released Audio-Omni weights (model.ckpt or .safetensors) into a model built from its config."""
    return load_state_dict_into(model, read_state_dict(path), strict=strict, source=str(path))


def persistent_state_dict(model: AudioOmniModel, canonical: bool = True) -> dict[str, torch.Tensor]:
    """The weights our format stores: everything but external modules, with official key names."""
    _, to_canonical = mllm_key_mapper(model)
    external = _external_prefixes(model)
    out = {}
    for key, value in model.state_dict().items():
        if any(key.startswith(p) for p in external):
            continue
        out[to_canonical(key) if canonical else key] = value.detach().contiguous().cpu()
    return out


def save_pretrained(
    model: AudioOmniModel, directory: str | Path, state: dict[str, torch.Tensor] | None = None
) -> Path:
    """Write config.json + model.safetensors atomically (an interrupted save never leaves a half checkpoint).

    `state` replaces the model's own weights in the file (e.g. EMA weights at the end of training)."""
    directory = Path(directory)
    with replacing_directory(directory) as tmp:
        (tmp / CONFIG_NAME).write_text(json.dumps(model.config.to_dict(), indent=2), encoding="utf-8")
        weights = persistent_state_dict(model) if state is None else state
        save_file(weights, str(tmp / WEIGHTS_NAME), metadata={"format": "audio-omni"})
    return directory


def convert_official(
    checkpoint: str | Path, out_dir: str | Path, config: ModelConfig, vocab_file: str | Path | None = None,
    mllm_path: str | Path | None = None,
) -> LoadReport:
    """Load an official checkpoint strictly and save it in our format.

    The vocabulary file and the MLLM directory given here are recorded in the written config (absolute paths),
    so the converted model loads without repeating them."""
    from audio_omni.models.builders import build_model

    data = config.to_dict()
    for spec in data["model"]["conditioning"]["configs"]:
        if spec["type"] == "qwen_omni" and mllm_path is not None:
            spec["config"]["qwen_omni_model_name"] = str(Path(mllm_path).expanduser().resolve())
        if spec["type"] == "tts-f5" and vocab_file is not None:
            spec["config"]["vocab_file"] = str(Path(vocab_file).expanduser().resolve())
    model = build_model(parse_config(data, "converted config"), vocab_file=vocab_file, mllm_path=mllm_path)
    report = load_official_checkpoint(model, checkpoint)
    save_pretrained(model, out_dir)
    return report


def read_pretrained_config(directory: str | Path) -> ModelConfig:
    directory = Path(directory)
    path = directory / CONFIG_NAME
    if not path.is_file():
        raise CheckpointError(f"{directory} is not an audio-omni checkpoint directory (no {CONFIG_NAME})")
    return parse_config(json.loads(path.read_text(encoding="utf-8")), str(path))
