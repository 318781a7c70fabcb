"""Per-frame sound classes of the source: where each AudioSet class sounds, from the frozen YAMNet tagger.

An editor that must find "the dog" in a mixture learns to recognise dogs from its own training recordings, and
a small catalogue is soon learnt by heart (the default model's card shows it). The tagger was trained on two
million AudioSet clips; its class probabilities per 0.16 s (0.96 s patches) say where each class sounds, so the
DiT only has to match the instruction to the classes and act on those frames. No trainable weights: the DiT's
input projection learns what to make of the 521 channels.

One batch item is a :class:`TagInput`: a mono waveform at the model's rate (tagged here) or the probabilities a
pre-encoding pass stored. The output is ``[B, 521, frames]``: each latent frame takes the patch whose centre is
nearest to its own, zero past the end of the source and for items without one (generation).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from audio_omni.judges.yamnet import HOP, PATCH_FRAMES, SAMPLE_RATE, WINDOW, YamnetTagger
from audio_omni.models.conditioners.base import Conditioner
from audio_omni.models.config import TAG_CLASSES as CLASSES

#: Tagger patches start every this many 10 ms frames (0.16 s); each covers 0.96 s (YAMNet's own hop is 0.48 s).
HOP_FRAMES = 16
_PATCH_CENTRE_S = (WINDOW + (PATCH_FRAMES - 1) * HOP) / 2 / SAMPLE_RATE  # 0.4875 s after the patch starts
_HOP_S = HOP_FRAMES * HOP / SAMPLE_RATE


@dataclass
class TagInput:
    """One batch item: a mono waveform at the model's rate, or stored probabilities [CLASSES, patches]."""

    wave: torch.Tensor | None = None
    tags: torch.Tensor | None = None


@functools.lru_cache(maxsize=1)
def _tagger() -> YamnetTagger:
    """One tagger per process, built on first use (models without source_tags never load it)."""
    return YamnetTagger.from_installed()


class SourceTags(Conditioner):
    def __init__(self, sample_rate: int, downsampling_ratio: int):
        super().__init__()
        self.sample_rate = sample_rate
        self.ratio = downsampling_ratio
        self.output_dim = CLASSES

    def tags(self, wave: torch.Tensor) -> torch.Tensor:
        """A mono waveform [T] at the model's rate -> class probabilities [CLASSES, patches] (what pre-encoding
        stores), one patch every 0.16 s."""
        audio = wave.detach().float().reshape(-1).cpu().numpy()
        probabilities = _tagger().patch_probabilities(audio, self.sample_rate, hop_frames=HOP_FRAMES)
        return torch.from_numpy(np.ascontiguousarray(probabilities.T, dtype=np.float32))

    def frames_of(self, tags: torch.Tensor, frames: int) -> torch.Tensor:
        """Probabilities [CLASSES, patches] -> [CLASSES, frames]: each latent frame takes the nearest patch."""
        centres = (torch.arange(frames) + 0.5) * self.ratio / self.sample_rate
        nearest = torch.round((centres - _PATCH_CENTRE_S) / _HOP_S).long().clamp(0, tags.shape[-1] - 1)
        return tags[:, nearest]

    def forward(self, inputs: list[TagInput | None], device, frames: int) -> torch.Tensor:
        out = torch.zeros(len(inputs), CLASSES, frames, device=device)
        for i, item in enumerate(inputs):
            if item is None or (item.wave is None and item.tags is None):
                continue
            tags = item.tags if item.tags is not None else self.tags(item.wave)
            covered = frames if item.wave is None else min(frames, item.wave.shape[-1] // self.ratio)
            out[i, :, :covered] = self.frames_of(tags.float(), frames)[:, :covered].to(device)
        return out
