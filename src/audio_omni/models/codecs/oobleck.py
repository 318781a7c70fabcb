"""The Stable Audio Open "Oobleck" VAE: the paper-scale audio codec (44.1 kHz stereo <-> 64 x 2048 latents).

Written from the published architecture: weight-normalised convolutions, Snake activations with log-scale
alpha/beta, residual units with dilations 1/3/9, strided (transposed) convolutions, a diagonal-Gaussian
bottleneck. Parameter names follow the official checkpoint (`layers.N...`, `weight_g`/`weight_v`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from audio_omni.models.codecs.base import VariationalCodec
from audio_omni.models.config import AutoencoderConfig, OobleckConfig


class _WeightNormMixin:
    """weight = g * v / ||v|| (norm over every axis but the first), stored as weight_g / weight_v."""

    def _init_weight_norm(self, weight: torch.Tensor) -> None:
        self.weight_v = nn.Parameter(weight.detach().clone())
        self.weight_g = nn.Parameter(torch.linalg.vector_norm(weight.detach(), dim=(1, 2), keepdim=True))

    def normalized_weight(self) -> torch.Tensor:
        norm = torch.linalg.vector_norm(self.weight_v, dim=(1, 2), keepdim=True)
        return self.weight_v * (self.weight_g / norm)


class WNConv1d(nn.Module, _WeightNormMixin):
    def __init__(self, cin, cout, kernel_size, stride=1, padding=0, dilation=1, bias=True):
        super().__init__()
        conv = nn.Conv1d(cin, cout, kernel_size, stride, padding, dilation, bias=bias)
        self._init_weight_norm(conv.weight)
        self.bias = conv.bias
        self.stride, self.padding, self.dilation = stride, padding, dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, self.normalized_weight(), self.bias, self.stride, self.padding, self.dilation)


class WNConvTranspose1d(nn.Module, _WeightNormMixin):
    def __init__(self, cin, cout, kernel_size, stride=1, padding=0):
        super().__init__()
        conv = nn.ConvTranspose1d(cin, cout, kernel_size, stride, padding)
        self._init_weight_norm(conv.weight)
        self.bias = conv.bias
        self.stride, self.padding = stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose1d(x, self.normalized_weight(), self.bias, self.stride, self.padding)


class SnakeBeta(nn.Module):
    """x + sin^2(alpha x) / beta, with alpha and beta stored as logarithms."""

    def __init__(self, channels: int):
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        alpha = self.alpha.exp()[None, :, None]
        beta = self.beta.exp()[None, :, None]
        return x + (1.0 / (beta + 1e-9)) * torch.sin(x * alpha).pow(2)


def _activation(channels: int, use_snake: bool) -> nn.Module:
    return SnakeBeta(channels) if use_snake else nn.ELU()


class ResidualUnit(nn.Module):
    def __init__(self, channels: int, dilation: int, use_snake: bool):
        super().__init__()
        self.layers = nn.Sequential(
            _activation(channels, use_snake),
            WNConv1d(channels, channels, 7, dilation=dilation, padding=3 * dilation),
            _activation(channels, use_snake),
            WNConv1d(channels, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layers(x)


def _residual_stack(channels: int, use_snake: bool) -> list[nn.Module]:
    return [ResidualUnit(channels, d, use_snake) for d in (1, 3, 9)]


class EncoderBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, use_snake: bool):
        super().__init__()
        self.layers = nn.Sequential(
            *_residual_stack(cin, use_snake),
            _activation(cin, use_snake),
            WNConv1d(cin, cout, 2 * stride, stride=stride, padding=math.ceil(stride / 2)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class DecoderBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, use_snake: bool):
        super().__init__()
        self.layers = nn.Sequential(
            _activation(cin, use_snake),
            WNConvTranspose1d(cin, cout, 2 * stride, stride=stride, padding=math.ceil(stride / 2)),
            *_residual_stack(cout, use_snake),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class OobleckEncoder(nn.Module):
    def __init__(self, cfg: OobleckConfig):
        super().__init__()
        widths = [cfg.channels * m for m in [1, *cfg.c_mults]]
        layers: list[nn.Module] = [WNConv1d(cfg.in_channels or 2, widths[0], 7, padding=3)]
        for i, stride in enumerate(cfg.strides):
            layers.append(EncoderBlock(widths[i], widths[i + 1], stride, cfg.use_snake))
        layers += [_activation(widths[-1], cfg.use_snake), WNConv1d(widths[-1], cfg.latent_dim, 3, padding=1)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class OobleckDecoder(nn.Module):
    def __init__(self, cfg: OobleckConfig):
        super().__init__()
        widths = [cfg.channels * m for m in [1, *cfg.c_mults]]
        layers: list[nn.Module] = [WNConv1d(cfg.latent_dim, widths[-1], 7, padding=3)]
        for i, stride in enumerate(reversed(cfg.strides)):
            j = len(cfg.strides) - i
            layers.append(DecoderBlock(widths[j], widths[j - 1], stride, cfg.use_snake))
        layers += [
            _activation(widths[0], cfg.use_snake),
            WNConv1d(widths[0], cfg.out_channels or 2, 7, padding=3, bias=False),
        ]
        if cfg.final_tanh:
            layers.append(nn.Tanh())
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class OobleckAutoencoder(nn.Module):
    def __init__(self, cfg: AutoencoderConfig):
        super().__init__()
        self.encoder = OobleckEncoder(cfg.encoder.config)
        self.decoder = OobleckDecoder(cfg.decoder.config)


class OobleckCodec(VariationalCodec):
    """The VAE behind the AudioCodec interface. encode() samples the posterior unless sample=False."""

    def __init__(self, cfg: AutoencoderConfig, sample_rate: int):
        super().__init__()
        self.model = OobleckAutoencoder(cfg)
        self.sample_rate = sample_rate
        self.audio_channels = cfg.io_channels
        self.latent_dim = cfg.latent_dim
        self.downsampling_ratio = cfg.downsampling_ratio

    def posterior(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Audio [B, C, T] -> (mean, stdev), each [B, latent_dim, T / ratio]."""
        mean, scale = self.model.encoder(audio).chunk(2, dim=1)
        return mean, F.softplus(scale) + 1e-4

    def encode(self, audio, generator=None, sample: bool = True):
        mean, stdev = self.posterior(audio)
        if not sample:
            return mean
        # Draw on the generator's device (a CPU generator keeps runs reproducible across devices).
        device = generator.device if generator is not None else mean.device
        noise = torch.randn(mean.shape, generator=generator, device=device, dtype=mean.dtype).to(mean.device)
        return noise * stdev + mean

    def decode(self, latents):
        return self.model.decoder(latents)
