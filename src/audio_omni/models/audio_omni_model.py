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
from audio_omni.models.conditioners.speech_text import SpeechTextConditioner
from audio_omni.models.conditioners.sync import SyncConditioner
from audio_omni.models.config import ModelConfig
from audio_omni.models.dit import GuidedDiT, PreparedContext
from audio_omni.models.flow import SamplerName, sample_ode

# The role each conditioner class plays; the facade fills inputs by role, the config decides the ids.
ROLE_OF = {
    MLLMConditioner: "mllm",
    SpeechTextConditioner: "speech_text",
    MelConditioner: "mel",
    SyncConditioner: "sync",
}


@dataclass
class Conditioning:
    """What the DiT consumes: cross-attention tokens + mask (high level) and prepended tokens (low level)."""

    cross: torch.Tensor | None
    cross_mask: torch.Tensor | None
    prepend: torch.Tensor | None

    def detach(self) -> Conditioning:
        return Conditioning(*(None if t is None else t.detach() for t in (self.cross, self.cross_mask, self.prepend)))


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
    ) -> dict[str, CondTokens]:
        """Each batch item maps conditioner ids to raw inputs (a missing id means the input is absent)."""
        out = {}
        for cond_id, module in self.conditioners.items():
            inputs = [item.get(cond_id) for item in batch]
            if isinstance(module, MelConditioner):
                out[cond_id] = module(inputs, device, mask_voice=mask_voice, generator=generator)
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
    def latent_length(self) -> int:
        return self.config.latent_length

    @property
    def sample_rate(self) -> int:
        return self.pretransform.sample_rate

    def assemble(self, tokens: dict[str, CondTokens]) -> Conditioning:
        """Concatenate conditioner outputs in the configured order (high level -> cross, low level -> prepend)."""
        routing = self.config.model.diffusion
        cross = cross_mask = prepend = None
        if routing.high_level_cond_ids:
            cross = torch.cat([tokens[i].tokens for i in routing.high_level_cond_ids], dim=1)
            # bool + float masks concatenate to float, as in the official code; the DiT reads them as bool.
            cross_mask = torch.cat([tokens[i].mask.float() for i in routing.high_level_cond_ids], dim=1)
        if routing.low_level_cond_ids:
            prepend = torch.cat([tokens[i].tokens for i in routing.low_level_cond_ids], dim=1)
        return Conditioning(cross, cross_mask, prepend)

    def condition(
        self,
        batch: list[dict[str, Any]],
        mask_voice: bool = False,
        generator: torch.Generator | None = None,
    ) -> Conditioning:
        device = next(self.model.parameters()).device
        return self.assemble(self.conditioner(batch, device, mask_voice=mask_voice, generator=generator))

    def velocity(
        self, x: torch.Tensor, t: torch.Tensor, cond: Conditioning, context: PreparedContext | None = None
    ) -> torch.Tensor:
        """One training-style forward (no guidance)."""
        if context is None:
            context = self.model.prepare_context(cond.cross, cond.cross_mask, guided=False)
        return self.model(x, t, context, cond.prepend)

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
    ) -> torch.Tensor:
        guided = cfg_scale != 1.0
        # The context is the same at every step: its keys/values are computed once for the whole run.
        context = self.model.prepare_context(cond.cross, cond.cross_mask, guided=guided)

        def velocity(x, t):
            return self.model(x, t, context, cond.prepend, cfg_scale=cfg_scale, rescale_phi=rescale_phi)

        return sample_ode(velocity, noise, steps, sampler, on_step)
