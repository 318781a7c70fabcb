"""Pictures for the training log: spectrograms of a sample beside its target."""

from __future__ import annotations

import torch


def log_spectrogram(audio: torch.Tensor, n_fft: int = 1024, hop: int = 256) -> torch.Tensor:
    mono = audio.float().mean(0) if audio.dim() == 2 else audio.float()
    spec = torch.stft(mono, n_fft, hop, window=torch.hann_window(n_fft), return_complex=True).abs()
    return 20 * torch.log10(spec.clamp(min=1e-5))


def spectrogram_figure(output: torch.Tensor, target: torch.Tensor, sample_rate: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    for ax, audio, title in ((axes[0], output, "sample"), (axes[1], target, "target")):
        spec = log_spectrogram(audio)
        seconds = audio.shape[-1] / sample_rate
        ax.imshow(spec.numpy(), origin="lower", aspect="auto", extent=(0, seconds, 0, sample_rate / 2000), vmin=-100)
        ax.set_title(title)
        ax.set_ylabel("kHz")
    axes[1].set_xlabel("seconds")
    fig.tight_layout()
    return fig
