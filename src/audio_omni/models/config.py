"""Typed model config. It reads the official `Audio-Omni.json` schema unchanged and validates it.

Our own presets use the same schema; where the official code hard-codes a width (the MLLM feature size, the
speech-text width) we accept an optional key in the conditioner config, and the fixture's
`fixture_overrides` block is honoured too, so one reader serves the official file, the fixture and our presets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from audio_omni.errors import ConfigError

#: AudioSet classes of the frozen tagger, the width of a source_tags frame condition.
TAG_CLASSES = 521

# Widths the official code hard-codes (see the fixture README, "Dimension overrides").
OFFICIAL_QWEN_FEATURE_DIM = 2048
OFFICIAL_SPEECH_TEXT_DIM = 512
OFFICIAL_SPEECH_VOCAB_SIZE = 2545
OFFICIAL_SYNC_SEQ_DIM = 240
OFFICIAL_SYNC_FEATURE_DIM = 768


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class _Open(BaseModel):
    # Sections where the official file carries keys we read but do not act on (kept, not rejected).
    model_config = ConfigDict(extra="allow", protected_namespaces=())


class OobleckConfig(_Open):
    in_channels: int | None = None
    out_channels: int | None = None
    channels: int = Field(gt=0)
    c_mults: list[int]
    strides: list[int]
    latent_dim: int = Field(gt=0)
    use_snake: bool = True
    final_tanh: bool = False

    @model_validator(mode="after")
    def _same_length(self) -> OobleckConfig:
        if len(self.c_mults) != len(self.strides):
            raise ValueError("c_mults and strides must have the same length")
        return self


class CodecPart(_Open):
    type: Literal["oobleck"]
    requires_grad: bool = False
    config: OobleckConfig


class AutoencoderConfig(_Open):
    encoder: CodecPart
    decoder: CodecPart
    bottleneck: dict[str, Any] = Field(default_factory=lambda: {"type": "vae"})
    latent_dim: int
    downsampling_ratio: int
    io_channels: int


class MelVocoderConfig(_Open):
    """Our small preset's codec: 80-bin log-mel latents decoded by the frozen HiFi-GAN universal vocoder."""

    latent_dim: int = 80
    downsampling_ratio: int = 256
    io_channels: int = 1
    latent_mean: float = 0.0
    latent_std: float = 1.0


class PretransformConfig(_Open):
    type: Literal["autoencoder", "mel_vocoder"]
    iterate_batch: bool = False
    config: dict[str, Any]

    def autoencoder(self) -> AutoencoderConfig:
        return AutoencoderConfig.model_validate(self.config)

    def mel_vocoder(self) -> MelVocoderConfig:
        return MelVocoderConfig.model_validate(self.config)

    @model_validator(mode="after")
    def _validate_inner(self) -> PretransformConfig:
        (self.autoencoder if self.type == "autoencoder" else self.mel_vocoder)()
        return self

    @property
    def latent_dim(self) -> int:
        return int(self.config["latent_dim"]) if "latent_dim" in self.config else 80

    @property
    def downsampling_ratio(self) -> int:
        return int(self.config.get("downsampling_ratio", 256))


ConditionerType = Literal["qwen_omni", "gemma3", "tts-f5", "mel_spec", "sync_feature", "source_frames", "source_tags"]


class ConditionerSpec(_Strict):
    id: str
    type: ConditionerType
    config: dict[str, Any] = Field(default_factory=dict)


class ConditioningConfig(_Strict):
    configs: list[ConditionerSpec]
    cond_dim: int = 768

    def by_id(self, cond_id: str) -> ConditionerSpec:
        for spec in self.configs:
            if spec.id == cond_id:
                return spec
        raise KeyError(cond_id)


class DiTConfig(_Open):
    io_channels: int
    embed_dim: int
    depth: int = Field(gt=0)
    num_heads: int = Field(gt=0)
    cond_token_dim: int
    global_cond_dim: int
    project_cond_tokens: bool = True
    transformer_type: Literal["continuous_transformer"] = "continuous_transformer"
    condition_mask_type: str = "cat"
    ff_mult: int = 4
    rotary_dim: int | None = None  # None: max(head_dim // 2, 32), as the official transformer
    # Our extensions (the official layout is the default of each; see DESIGN.md section 3):
    patch_size: int = Field(1, gt=0)  # latent frames per DiT token
    frame_cond_dim: int = Field(0, ge=0)  # channels of per-frame conditions concatenated to the latent input
    prediction: Literal["velocity", "data"] = "velocity"  # what the network outputs; the DiT always returns v
    data_residual: bool = False  # "data": the prediction is added to the per-frame source (identity at init)
    timestep_to_tokens: bool = False  # also add the timestep embedding to every latent token

    @model_validator(mode="after")
    def _heads_divide(self) -> DiTConfig:
        if self.embed_dim % self.num_heads:
            raise ValueError(f"embed_dim {self.embed_dim} is not divisible by num_heads {self.num_heads}")
        head_dim = self.embed_dim // self.num_heads
        rot = self.rotary_dim if self.rotary_dim is not None else max(head_dim // 2, 32)
        if rot > head_dim:
            raise ValueError(f"rotary dimension {rot} exceeds the head dimension {head_dim}")
        return self


class DiffusionConfig(_Strict):
    type: Literal["dit"] = "dit"
    diffusion_objective: Literal["rectified_flow"] = "rectified_flow"
    high_level_cond_ids: list[str]
    low_level_cond_ids: list[str]
    frame_cond_ids: list[str] = Field(default_factory=list)  # ours: conditions aligned with the latent frames
    config: DiTConfig


class ModelSection(_Strict):
    pretransform: PretransformConfig
    conditioning: ConditioningConfig
    diffusion: DiffusionConfig
    io_channels: int


class SamplingDefaults(_Strict):
    """Our extension: the defaults the facade uses (the official demo's values)."""

    steps: int = 100
    #: steps for edits when they differ from generation's (None: ``steps``); a flow that starts from the source
    #: has less of the way to go
    edit_steps: int | None = Field(None, ge=1)
    cfg_scale: float = 7.0
    edit_cfg_scale: float = 6.0
    sampler: Literal["euler", "heun", "midpoint"] = "euler"
    # Inputs longer than the window: edits run on overlapping windows cross-faded over this many seconds;
    # generation continues each window from the last seconds of the previous one (models with frame conditions).
    overlap_seconds: float = Field(1.0, ge=0)

    def default_steps(self, edit: bool = False) -> int:
        """The step count a call without ``steps`` gets: ``edit_steps`` for edits when set, else ``steps``."""
        return self.edit_steps if edit and self.edit_steps is not None else self.steps


class FlowSettings(_Strict):
    """Our extension: where the flow starts. The official model starts every task from noise; a model with a
    per-frame source can start edits from the source plus a little noise, so what stays is there from step one."""

    edit_start: Literal["noise", "source"] = "noise"
    source_noise: float = Field(0.5, ge=0)


class ModelConfig(_Open):
    model_type: Literal["diffusion_cond"]
    sample_size: int = Field(gt=0)
    sample_rate: int = Field(gt=0)
    audio_channels: int = Field(gt=0)
    video_fps: int | None = None
    model: ModelSection
    fixture_overrides: dict[str, Any] | None = None
    name: str | None = None
    sampling: SamplingDefaults = Field(default_factory=SamplingDefaults)
    flow: FlowSettings = Field(default_factory=FlowSettings)

    @model_validator(mode="after")
    def _consistent(self) -> ModelConfig:
        ids = [spec.id for spec in self.model.conditioning.configs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate conditioner ids: {ids}")
        diffusion = self.model.diffusion
        for cond_id in diffusion.high_level_cond_ids + diffusion.low_level_cond_ids + diffusion.frame_cond_ids:
            if cond_id not in ids:
                raise ValueError(f"diffusion routes '{cond_id}', which no conditioner defines (have {ids})")
        latent = self.model.pretransform.latent_dim
        if diffusion.config.io_channels != latent:
            raise ValueError(f"DiT io_channels {diffusion.config.io_channels} != codec latent_dim {latent}")
        types = {spec.id: spec.type for spec in self.model.conditioning.configs}
        # source latents + a presence channel; the tagger's class probabilities
        widths = {"source_frames": latent + 1, "source_tags": TAG_CLASSES}
        if any(types[i] not in widths for i in diffusion.frame_cond_ids):
            raise ValueError(f"frame conditions must be of the types {sorted(widths)}")
        if diffusion.frame_cond_ids and types[diffusion.frame_cond_ids[0]] != "source_frames":
            raise ValueError("the first frame condition must be source_frames (the source the flow starts from)")
        frame_dim = sum(widths[types[i]] for i in diffusion.frame_cond_ids)
        if diffusion.config.frame_cond_dim != frame_dim:
            raise ValueError(f"DiT frame_cond_dim {diffusion.config.frame_cond_dim} != {frame_dim} (latent_dim + 1 "
                             f"per source_frames, {TAG_CLASSES} per source_tags)")
        if diffusion.config.data_residual and not diffusion.frame_cond_ids:
            raise ValueError("data_residual needs a frame condition (the source the prediction is added to)")
        if self.flow.edit_start == "source" and not diffusion.frame_cond_ids:
            raise ValueError("flow.edit_start 'source' needs a frame condition carrying the source")
        return self

    # Derived sizes ---------------------------------------------------------------------------------------
    @property
    def latent_length(self) -> int:
        return self.sample_size // self.model.pretransform.downsampling_ratio

    def override(self, key: str, official: int) -> int:
        """A hard-coded official width, unless the fixture's override block changes it."""
        block = (self.fixture_overrides or {}).get(key)
        return int(block["tiny"]) if isinstance(block, dict) and "tiny" in block else official

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def parse_config(data: dict[str, Any], source: str = "config") -> ModelConfig:
    try:
        return ModelConfig.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in err.errors()[:8]
        )
        raise ConfigError(f"invalid model config in {source}: {problems}") from None


def load_config(path: str | Path) -> ModelConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"model config not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ConfigError(f"model config {path} is not valid JSON: {err}") from None
    return parse_config(data, str(path))
