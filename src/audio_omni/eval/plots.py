"""PNG plots: per-operation bars (model vs identity vs oracle, and SI-SDR) and spectrogram grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audio_omni.atomic import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    return path


def operation_bars(summary: dict, model: str, path: Path) -> Path:
    plt = _pyplot()
    ops = list(summary["operations"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(max(8, 1.6 * len(ops) * 2), 3.8))
    width = 0.27
    x = np.arange(len(ops))
    for i, (key, label) in enumerate((("success_rate", model), ("identity_success_rate", "identity"),
                                      ("oracle_success_rate", "oracle"))):
        values = [100 * (summary["operations"][o].get(key) or 0.0) for o in ops]
        ax1.bar(x + (i - 1) * width, values, width, label=label)
    ax1.set_xticks(x, ops, rotation=20)
    ax1.set_ylabel("instruction success (%)")
    ax1.set_ylim(0, 105)
    ax1.legend(fontsize=8)
    values = [summary["operations"][o].get("si_sdr", np.nan) for o in ops]
    ax2.bar(x, values, 0.5, color="tab:purple")
    ax2.axhline(0, color="black", lw=0.6)
    ax2.set_xticks(x, ops, rotation=20)
    ax2.set_ylabel("SI-SDR to target (dB)")
    fig.suptitle(f"{model}: per operation")
    path = _save(fig, path)
    plt.close(fig)
    return path


def _log_spec(wave: np.ndarray, n_fft: int = 1024, hop: int = 256) -> np.ndarray:
    import torch

    x = torch.from_numpy(np.asarray(wave, np.float32).reshape(-1, np.shape(wave)[-1]).mean(0))
    if x.numel() < n_fft:
        x = torch.nn.functional.pad(x, (0, n_fft - x.numel()))
    spec = torch.stft(x, n_fft, hop, window=torch.hann_window(n_fft), return_complex=True).abs()
    return (20 * torch.log10(spec.clamp_min(1e-5))).numpy()


def spectrogram_figure(rows: list[tuple[str, dict[str, tuple[np.ndarray, int] | None]]],
                       columns: tuple[str, ...] = ("source", "output", "target")):
    """A matplotlib figure of log spectrograms: one row per entry of ``rows`` = (title, {column: (wave, rate) |
    None}), one column per name in ``columns`` (a missing entry shows a dash). The caller closes it."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(rows), len(columns), figsize=(11 * len(columns) / 3, 2.1 * len(rows)),
                             squeeze=False)
    for r, (title, waves) in enumerate(rows):
        for c, name in enumerate(columns):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            entry = waves.get(name)
            if entry is None:
                ax.text(0.5, 0.5, "-", ha="center", va="center")
            else:
                wave, rate = entry
                spec = _log_spec(wave)
                ax.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=spec.max() - 80, vmax=spec.max(),
                          extent=(0, np.shape(wave)[-1] / rate, 0, rate / 2000))
            if r == 0:
                ax.set_title(name)
            if c == 0:
                ax.set_ylabel(title, fontsize=7, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


def spectrogram_grid(rows: list[tuple[str, dict[str, tuple[np.ndarray, int] | None]]], path: Path) -> Path:
    """``rows``: (title, {"source": (wave, rate) | None, "output": ..., "target": ...})."""
    fig = spectrogram_figure(rows)
    path = _save(fig, path)
    _pyplot().close(fig)
    return path
