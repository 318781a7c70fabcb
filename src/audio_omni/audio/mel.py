"""Log-mel features computed with plain torch.stft (no torchaudio).

Two flavours share one STFT core:
- `vocos_log_mel`: the official source/voice front end (44.1 kHz, n_fft 1024, hop 256, 100 HTK mels, power 1,
  centred reflect padding, log(clamp(., 1e-5))). It matches the official numbers bit for bit on CPU.
- the HiFi-GAN flavour (Slaney mels, 8 kHz top, edge padding) lives with the mel codec that needs it.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch


def hz_to_mel_htk(freq: float) -> float:
    return 2595.0 * math.log10(1.0 + freq / 700.0)


def htk_triangles(
    n_freqs: int, n_mels: int, sample_rate: int, f_min: float, f_max: float, in_mel_space: bool = False
) -> np.ndarray:
    """Triangular HTK-scale filters with peak 1 (no area normalisation), [n_freqs, n_mels] float64, in numpy
    (the frozen listeners' front ends need no transformers import): each triangle is straight in Hz, or in mel
    when ``in_mel_space`` (YAMNet's front end)."""
    lo, hi = 2595.0 * np.log10(1.0 + f_min / 700.0), 2595.0 * np.log10(1.0 + f_max / 700.0)
    mel_edges = np.linspace(lo, hi, n_mels + 2)
    freqs = np.linspace(0.0, sample_rate / 2, n_freqs)
    if in_mel_space:
        x, edges = 2595.0 * np.log10(1.0 + freqs / 700.0), mel_edges
    else:
        x, edges = freqs, 700.0 * (10.0 ** (mel_edges / 2595.0) - 1.0)
    rising = (x[:, None] - edges[None, :-2]) / (edges[1:-1] - edges[:-2])
    falling = (edges[None, 2:] - x[:, None]) / (edges[2:] - edges[1:-1])
    return np.maximum(0.0, np.minimum(rising, falling))


@lru_cache(maxsize=16)
def htk_mel_filterbank(
    n_freqs: int, n_mels: int, sample_rate: int, f_min: float = 0.0, f_max: float | None = None
) -> torch.Tensor:
    """Triangular HTK-scale filters without area normalisation, [n_freqs, n_mels], float32.

    Computed in float32 torch in the same order as the reference front end so the features agree exactly.
    """
    f_max = float(sample_rate // 2) if f_max is None else f_max
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    mel_points = torch.linspace(hz_to_mel_htk(f_min), hz_to_mel_htk(f_max), n_mels + 2)
    hz_points = 700.0 * (10.0 ** (mel_points / 2595.0) - 1.0)
    widths = hz_points[1:] - hz_points[:-1]
    offsets = hz_points.unsqueeze(0) - all_freqs.unsqueeze(1)  # [n_freqs, n_mels + 2]
    rising = (-1.0 * offsets[:, :-2]) / widths[:-1]
    falling = offsets[:, 2:] / widths[1:]
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


def magnitude_spectrogram(
    wave: torch.Tensor, n_fft: int, hop_length: int, win_length: int, center: bool = True
) -> torch.Tensor:
    """|STFT| of [..., T] -> [..., n_fft // 2 + 1, frames] with a periodic Hann window."""
    shape = wave.shape
    flat = wave.reshape(-1, shape[-1])
    window = torch.hann_window(win_length, device=wave.device, dtype=wave.dtype)
    spec = torch.stft(
        flat,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode="reflect",
        normalized=False,
        onesided=True,
        return_complex=True,
    ).abs()
    return spec.reshape(*shape[:-1], spec.shape[-2], spec.shape[-1])


def vocos_log_mel(
    wave: torch.Tensor,
    sample_rate: int = 44100,
    n_fft: int = 1024,
    hop_length: int = 256,
    win_length: int = 1024,
    n_mels: int = 100,
) -> torch.Tensor:
    """Wave [..., T] -> log-mel [..., n_mels, T // hop + 1] (the official mel conditioner's input)."""
    spec = magnitude_spectrogram(wave.float(), n_fft, hop_length, win_length, center=True)
    fb = htk_mel_filterbank(n_fft // 2 + 1, n_mels, sample_rate).to(spec.device)
    mel = torch.matmul(spec.transpose(-1, -2), fb).transpose(-1, -2)
    return torch.log(torch.clamp(mel, min=1e-5))
