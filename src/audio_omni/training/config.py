"""Training configuration: one typed file (YAML or JSON) per run, with command-line overrides (OmegaConf dotlist)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from audio_omni.errors import ConfigError
from audio_omni.tasks import TRAINABLE_TASKS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class ModelSpec(_Strict):
    preset: str | None = "audio-omni-small"  # or a model config JSON in `config`
    config: str | None = None
    init_from: str | None = None  # our checkpoint dir, an official .ckpt/.safetensors, or a preset's weights
    vocab_file: str | None = None
    mllm_path: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ModelSpec:
        if not self.preset and not self.config and not self.init_from:
            raise ValueError("give model.preset, model.config or model.init_from")
        return self


class DataSpec(_Strict):
    shards: list[str]  # pair-shard directories (each with manifest.jsonl), or pre-encoded directories
    split: str = "train"
    task_weights: dict[str, float] = Field(default_factory=dict)  # task -> weight; unlisted tasks weigh 1.0

    @model_validator(mode="after")
    def _known_tasks(self) -> DataSpec:
        unknown = set(self.task_weights) - set(TRAINABLE_TASKS)
        if unknown:
            raise ValueError(f"unknown tasks in task_weights: {sorted(unknown)}; known: {', '.join(TRAINABLE_TASKS)}")
        if any(w < 0 for w in self.task_weights.values()):
            raise ValueError("task weights must be >= 0")
        return self


class ValidSpec(_Strict):
    """Held-out pairs scored during training (training.validation): the same items, noise and timesteps each
    time, with the EMA weights."""

    shards: list[str]  # pair-shard or pre-encoded directories of pairs that training never sees
    split: str = "valid"
    every: int = Field(500, gt=0)  # validate at every multiple of this step (step 0 included); not under fsdp2
    items: int = Field(128, gt=0)  # held-out pairs used, spread evenly over the directories' pairs


class OptimSpec(_Strict):
    lr: float = Field(1e-4, gt=0)
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 1e-3
    warmup_steps: int = Field(0, ge=0)
    schedule: Literal["inverse", "cosine", "constant"] = "inverse"
    inverse_gamma: float = Field(1e6, gt=0)  # inverse decay: lr * (1 + step / gamma) ** -power
    inverse_power: float = 0.5
    min_lr_ratio: float = 0.0  # cosine floor
    grad_clip: float | None = 1.0


class TrainConfig(_Strict):
    model: ModelSpec = Field(default_factory=ModelSpec)
    data: DataSpec
    valid: ValidSpec | None = None
    optim: OptimSpec = Field(default_factory=OptimSpec)
    out_dir: str = "runs/train"
    seed: int = 0
    max_steps: int = Field(1000, gt=0)
    batch_size: int = Field(8, gt=0)  # per process
    grad_accum: int = Field(1, gt=0)
    timesteps: Literal["uniform", "logit_normal"] = "logit_normal"
    # Logit-normal mean of the timesteps of edits whose flow starts at the source. Between the source and the
    # target, x_t gives the target away (x_t minus t times the source), so mid-range timesteps teach denoising, not
    # the edit; the edit is decided near t = 1, and a positive mean trains there (1.5: median t = 0.82).
    source_timestep_mean: float = 0.0
    # The error of edits whose flow starts at the source: l2 (the flow's own, the conditional mean) or l1 (the
    # conditional median: a cell the model is unsure about is kept or changed, not changed part of the way, which
    # leaves a removed sound half-heard or an extracted one 20-40 dB too quiet). Generation keeps l2.
    edit_loss: Literal["l2", "l1"] = "l2"
    cfg_dropout: float = Field(0.1, ge=0, le=1)  # probability of training a sample without its high-level conditions
    sample_posterior: bool = True  # VAE codecs: train on posterior samples (official) or on the posterior mean
    mask_voice: bool = True  # span-mask the TTS voice mel (ratio from the model config) during training
    prefix_probability: float = Field(0.0, ge=0, le=1)  # frame layout: train generation as continuation this often
    ema_decay: float = Field(0.999, ge=0, lt=1)
    mixed_precision: Literal["no", "bf16"] = "no"
    gradient_checkpointing: bool = False
    strategy: Literal["auto", "fsdp2"] = "auto"  # auto: one process or DDP through accelerate
    checkpoint_every: int = Field(500, gt=0)
    keep_checkpoints: int = Field(3, gt=0)
    log_every: int = Field(10, gt=0)
    sample_every: int = Field(0, ge=0)  # 0: never write audio samples
    sample_steps: int = Field(16, gt=0)
    tensorboard: bool = True


def load_train_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Read YAML/JSON, apply `key=value` overrides (e.g. optim.lr=3e-4), validate."""
    from omegaconf import OmegaConf

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"training config not found: {path}")
    try:
        base = OmegaConf.load(path)
        if overrides:
            base = OmegaConf.merge(base, OmegaConf.from_dotlist(list(overrides)))
        data = OmegaConf.to_container(base, resolve=True)
    except Exception as err:
        raise ConfigError(f"cannot read training config {path}: {err}") from None
    return parse_train_config(data, str(path))


def parse_train_config(data: dict, source: str = "training config") -> TrainConfig:
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in err.errors()[:8])
        raise ConfigError(f"invalid {source}: {problems}") from None


def dump_train_config(config: TrainConfig) -> str:
    return json.dumps(config.model_dump(mode="json"), indent=2)
