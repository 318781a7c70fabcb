"""The interface every audio codec (latent space of the DiT) implements."""

from __future__ import annotations

import torch
from torch import nn


class AudioCodec(nn.Module):
    """Maps audio [B, channels, samples] to latents [B, latent_dim, frames] and back.

    Paper scale: the Oobleck VAE (44.1 kHz stereo, 64 x 2048). Small preset: a log-mel "latent" decoded by a
    frozen HiFi-GAN (22.05 kHz mono, 80 x 256). The DiT and the sampler only see this interface.
    """

    sample_rate: int
    audio_channels: int
    latent_dim: int
    downsampling_ratio: int

    def encode(self, audio: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Audio [B, C, T] (float in [-1, 1]) -> latents [B, D, T // downsampling_ratio]."""
        raise NotImplementedError

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents [B, D, L] -> audio [B, C, L * downsampling_ratio]."""
        raise NotImplementedError

    def num_frames(self, num_samples: int) -> int:
        return num_samples // self.downsampling_ratio

    def decode_edit(self, latents: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        """Audio for the latents of an edit of `source` [B, C, L * downsampling_ratio]. Codecs that can render
        an edit relative to its source (keeping the source's own samples where the edit keeps them) override
        this; the default decodes the latents alone."""
        return self.decode(latents)


class VariationalCodec(AudioCodec):
    """A codec whose encoder gives a Gaussian posterior (the Oobleck VAE). Training samples it (or takes its
    mean); pre-encoding stores both moments."""

    def posterior(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Audio [B, C, T] -> (mean, std), each [B, D, T // downsampling_ratio]."""
        raise NotImplementedError
