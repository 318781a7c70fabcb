"""The whole model: conditioners -> guided DiT (+ sampler) -> codec.

Attribute names (`conditioner.conditioners.<id>`, `model.model`, `pretransform`) follow the official checkpoint,
so its state dict maps onto this module tree one to one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from audio_omni.models.codecs.base import AudioCodec
from audio_omni.models.conditioners.base import Conditioner, CondTokens
from audio_omni.models.conditioners.mel import MelConditioner
from audio_omni.models.conditioners.mllm import MLLMConditioner
from audio_omni.models.conditioners.source_frames import SourceFrames
from audio_omni.models.conditioners.source_tags import SourceTags
from audio_omni.models.conditioners.speech_text import SpeechTextConditioner
from audio_omni.models.conditioners.sync import SyncConditioner
from audio_omni.models.config import ModelConfig
from audio_omni.models.dit import DiffusionTransformer, GuidedDiT, PreparedContext
from audio_omni.models.flow import SamplerName, sample_ode

# The role each conditioner class plays; the facade fills inputs by role, the config decides the ids.
ROLE_OF = {
    MLLMConditioner: "mllm",
    SpeechTextConditioner: "speech_text",
    MelConditioner: "mel",
    SyncConditioner: "sync",
    SourceFrames: "frames",
    SourceTags: "tags",
}


@dataclass
class Conditioning:
    """What the DiT consumes: cross-attention tokens + mask (high level), prepended tokens (low level) and
    per-frame conditions [B, frame_cond_dim, L] (models with a frame layout)."""

    cross: torch.Tensor | None
    cross_mask: torch.Tensor | None
    prepend: torch.Tensor | None
    frame: torch.Tensor | None = None

    def detach(self) -> Conditioning:
        return Conditioning(
            *(None if t is None else t.detach() for t in (self.cross, self.cross_mask, self.prepend, self.frame))
        )


class ConditionerSet(nn.Module):
    def __init__(self, conditioners: dict[str, Conditioner]):
        super().__init__()
        self.conditioners = nn.ModuleDict(conditioners)

    def role_ids(self) -> dict[str, str]:
        """role -> conditioner id (e.g. {'mllm': 'omni_prompt', 'mel': 'audio_input_prompt', ...})."""
        roles = {}
        for cond_id, module in self.conditioners.items():
            for cls, role in ROLE_OF.items():
                if isinstance(module, cls):
                    roles[role] = cond_id
        return roles

    def forward(
        self,
        batch: list[dict[str, Any]],
        device,
        mask_voice: bool = False,
        generator: torch.Generator | None = None,
        frames: int | None = None,
    ) -> dict[str, CondTokens | torch.Tensor]:
        """Each batch item maps conditioner ids to raw inputs (a missing id means the input is absent).
        `frames`: the latent length, for conditioners aligned with the latent frames."""
        out: dict[str, CondTokens | torch.Tensor] = {}
        for cond_id, module in self.conditioners.items():
            inputs = [item.get(cond_id) for item in batch]
            if isinstance(module, MelConditioner):
                out[cond_id] = module(inputs, device, mask_voice=mask_voice, generator=generator)
            elif isinstance(module, (SourceFrames, SourceTags)):
                if frames is None:
                    raise ValueError("frame conditions need the latent length (frames=...)")
                out[cond_id] = module(inputs, device, frames)
            else:
                out[cond_id] = module(inputs, device)
        return out


class AudioOmniModel(nn.Module):
    def __init__(self, config: ModelConfig, conditioner: ConditionerSet, dit: GuidedDiT, codec: AudioCodec):
        super().__init__()
        self.config = config
        self.conditioner = conditioner
        self.model = dit
        self.pretransform = codec

    @property
    def dit(self) -> DiffusionTransformer:
        """The bare DiT inside the guidance wrapper (the official names keep it at `model.model`)."""
        return self.model.model

    @property
    def latent_length(self) -> int:
        return self.config.latent_length

    @property
    def sample_rate(self) -> int:
        return self.pretransform.sample_rate

    def assemble(self, outputs: dict[str, CondTokens | torch.Tensor]) -> Conditioning:
        """Concatenate conditioner outputs in the configured order (high level -> cross, low level -> prepend,
        frame conditions -> channels aligned with the latents)."""
        routing = self.config.model.diffusion
        cross = cross_mask = prepend = frame = None
        if routing.high_level_cond_ids:
            cross = torch.cat([outputs[i].tokens for i in routing.high_level_cond_ids], dim=1)
            # bool + float masks concatenate to float, as in the official code; the DiT reads them as bool.
            cross_mask = torch.cat([outputs[i].mask.float() for i in routing.high_level_cond_ids], dim=1)
        if routing.low_level_cond_ids:
            prepend = torch.cat([outputs[i].tokens for i in routing.low_level_cond_ids], dim=1)
        if routing.frame_cond_ids:
            frame = torch.cat([outputs[i] for i in routing.frame_cond_ids], dim=1)
        return Conditioning(cross, cross_mask, prepend, frame)

    def condition(
        self,
        batch: list[dict[str, Any]],
        mask_voice: bool = False,
        generator: torch.Generator | None = None,
        frames: int | None = None,
    ) -> Conditioning:
        """Conditioner inputs (one dict per item, see models.requests) -> what the DiT consumes; `frames` is the
        latent length (needed by models with frame conditions)."""
        device = next(self.model.parameters()).device
        outputs = self.conditioner(batch, device, mask_voice=mask_voice, generator=generator, frames=frames)
        return self.assemble(outputs)

    # The flow: where it starts, the training forward, sampling ------------------------------------------------
    def flow_start(self, cond: Conditioning, noise: torch.Tensor, from_source: torch.Tensor | None) -> torch.Tensor:
        """x at t = 1: noise, or for items flagged `from_source` [B] (edits of a model whose flow starts at the
        source) the source latents plus `flow.source_noise` times the noise. Training and sampling both use it."""
        flow = self.config.flow
        if flow.edit_start == "noise" or from_source is None or not bool(from_source.any()):
            return noise
        start = self.frame_source(cond) + flow.source_noise * noise
        return torch.where(from_source.to(noise.device).view(-1, 1, 1), start, noise)

    def frame_source(self, cond: Conditioning) -> torch.Tensor:
        """The source latents [B, D, L] carried by the per-frame condition (its first D channels), zero for items
        whose presence flag (the next channel) says they have no source."""
        latent = self.pretransform.latent_dim
        return cond.frame[:, :latent] * cond.frame[:, latent : latent + 1]

    def training_velocity(self, x_t: torch.Tensor, t: torch.Tensor, cond: Conditioning) -> torch.Tensor:
        """The training forward (no guidance): the DiT's velocity for noisy latents x_t at times t [B]. The
        context goes in raw and is projected inside the DiT's forward (as FSDP2 requires)."""
        return self.model.model(
            x_t, t, None, cond.prepend, cross=cond.cross, cross_mask=cond.cross_mask, frame=cond.frame
        )

    def velocity(
        self, x: torch.Tensor, t: torch.Tensor, cond: Conditioning, context: PreparedContext | None = None
    ) -> torch.Tensor:
        """One unguided forward with a prepared context (evaluation of a trained model)."""
        if context is None:
            context = self.model.prepare_context(cond.cross, cond.cross_mask, guided=False)
        return self.model(x, t, context, cond.prepend, frame=cond.frame)

    @torch.no_grad()
    def sample_latents(
        self,
        cond: Conditioning,
        noise: torch.Tensor,
        steps: int,
        cfg_scale: float,
        sampler: SamplerName = "euler",
        rescale_phi: float = 0.0,
        on_step: Callable[[int, int], None] | None = None,
        from_source: torch.Tensor | None = None,
    ) -> torch.Tensor:
        guided = cfg_scale != 1.0
        # The context is the same at every step: its keys/values are computed once for the whole run.
        context = self.model.prepare_context(cond.cross, cond.cross_mask, guided=guided)

        def velocity(x, t):
            return self.model(
                x, t, context, cond.prepend, cfg_scale=cfg_scale, rescale_phi=rescale_phi, frame=cond.frame
            )

        return sample_ode(velocity, self.flow_start(cond, noise, from_source), steps, sampler, on_step)
