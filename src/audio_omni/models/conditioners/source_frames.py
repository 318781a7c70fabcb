"""Per-frame source conditioning: audio in the codec's own latent space, aligned frame by frame with the output.

The official model reads its source audio as a log-mel projected over time and prepended as tokens; the small
preset instead concatenates the source latents to the noisy latents channel-wise (as AUDIT and InstructPix2Pix
condition their editors): "copy what stays, change what is asked" becomes a per-frame operation, the sequence is
half as long, and the flow can start from the source itself (DESIGN.md section 5 has the measured probe).

One batch item is a :class:`FrameInput`: a waveform (encoded here by the model's codec) or latents (pre-encoded
data, or the tail of a previous window for long-form generation). The output is ``[B, latent_dim + 1, frames]``:
the latents, zero where absent, and a presence channel (1 where a frame carries the source). An edit covers the
whole window; a TTS voice reference or a continuation covers a prefix, and the model fills in the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from audio_omni.models.conditioners.base import Conditioner


@dataclass
class FrameInput:
    """One batch item: a mono waveform at the codec's rate, or latents [latent_dim, n] (not both).

    ``frames`` limits how many leading frames count as present (None: all the input has)."""

    wave: torch.Tensor | None = None
    latents: torch.Tensor | None = None
    frames: int | None = None


class SourceFrames(Conditioner):
    """No trainable weights: the codec that encodes the waveforms is the model's own (bound after building)."""

    def __init__(self, latent_dim: int, sample_rate: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.sample_rate = sample_rate
        self.output_dim = latent_dim + 1
        self._encode: Callable[[torch.Tensor], torch.Tensor] | None = None

    def bind_codec(self, encode: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """The codec's encode function (audio [B, 1, T] -> latents [B, D, T // ratio]). Kept as a plain callable:
        the codec's weights belong to the model's `pretransform`, not to this module's state dict."""
        self._encode = encode

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """A mono waveform [T] -> latents [latent_dim, T // ratio] (what pre-encoding stores)."""
        if self._encode is None:
            raise RuntimeError("SourceFrames has no codec bound; build the model through models.builders")
        return self._encode(wave.reshape(1, 1, -1).float())[0]

    def latents(self, item: FrameInput | None, device) -> torch.Tensor | None:
        if item is None or (item.wave is None and item.latents is None):
            return None
        if item.latents is not None:
            latents = item.latents.to(device=device, dtype=torch.float32)
        else:
            latents = self.encode(item.wave.to(device))
        if item.frames is not None:
            latents = latents[:, : item.frames]
        return latents

    def forward(self, inputs: list[FrameInput | None], device, frames: int) -> torch.Tensor:
        out = torch.zeros(len(inputs), self.latent_dim + 1, frames, device=device)
        for i, item in enumerate(inputs):
            latents = self.latents(item, device)
            if latents is None:
                continue
            n = min(frames, latents.shape[-1])
            out[i, : self.latent_dim, :n] = latents[:, :n]
            out[i, self.latent_dim, :n] = 1.0
        return out
