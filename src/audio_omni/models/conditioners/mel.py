"""Source / voice audio conditioner: log-mel of a fixed-length mono clip -> one token per latent frame.

It carries the audio to edit (editing), the voice to clone (TTS) or the previous segment (long-form), and its
tokens are prepended to the latent sequence. During TTS training a random span of the voice mel is zeroed
(ratio drawn from [mask_ratio_start, mask_ratio_end]) so the model learns to continue a voice, not copy it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from audio_omni.audio.mel import vocos_log_mel
from audio_omni.models.conditioners.base import Conditioner, CondTokens, rms_normalize
from audio_omni.models.conditioners.sequence_projection import project_sequence


@dataclass
class MelInput:
    """One batch item: a mono waveform at the conditioner's rate (None = silence) and whether it is a voice
    reference for TTS (only those are span-masked in training)."""

    wave: torch.Tensor | None
    is_voice: bool = False


class MelConditioner(Conditioner):
    def __init__(
        self,
        n_frames_out: int,
        sample_rate: int = 44100,
        n_fft: int = 1024,
        hop_length: int = 256,
        win_length: int = 1024,
        n_mels: int = 100,
        clip_seconds: float = 10.0,
        mask_ratio_start: float = 0.7,
        mask_ratio_end: float = 1.0,
        cond_dim: int = 768,
    ):
        super().__init__()
        self.sample_rate = sample_rate
        self.stft = (n_fft, hop_length, win_length, n_mels)
        self.clip_samples = int(round(clip_seconds * sample_rate))
        self.n_frames_in = self.clip_samples // hop_length + 1
        self.mask_ratio = (mask_ratio_start, mask_ratio_end)
        self.output_dim = cond_dim
        self.empty_audio_feat = nn.Parameter(torch.zeros(1, n_frames_out, cond_dim))  # kept for the file format
        self.proj_features = nn.Linear(n_mels, cond_dim)
        self.proj_sequence_features = nn.Linear(self.n_frames_in, n_frames_out)

    def fit_clip(self, wave: torch.Tensor | None, device) -> torch.Tensor:
        """Pad with zeros at the end, or cut, to exactly clip_samples (the projection over time is fixed)."""
        if wave is None:
            return torch.zeros(self.clip_samples, device=device)
        wave = wave.to(device=device, dtype=torch.float32).reshape(-1)
        if wave.shape[0] >= self.clip_samples:
            return wave[: self.clip_samples]
        return F.pad(wave, (0, self.clip_samples - wave.shape[0]))

    def log_mel(self, waves: torch.Tensor) -> torch.Tensor:
        n_fft, hop, win, n_mels = self.stft
        return vocos_log_mel(waves, self.sample_rate, n_fft, hop, win, n_mels)

    def span_mask(
        self, mel: torch.Tensor, is_voice: list[bool], generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Zero a random span of each voice mel [B, n_mels, T]. RNG order: one uniform draw per batch item,
        then one start index per voice item (the official order, so seeded runs agree)."""
        lo, hi = self.mask_ratio
        ratios = torch.rand(mel.shape[0], generator=generator) * (hi - lo) + lo
        mel = mel.clone()
        frames = mel.shape[-1]
        for i, voice in enumerate(is_voice):
            if not voice:
                continue
            length = int(frames * ratios[i].item())
            start = int(torch.randint(0, frames - length + 1, (1,), generator=generator).item())
            mel[i, :, start : start + length] = 0.0
        return mel

    def forward(
        self,
        inputs: list[MelInput | None],
        device,
        mask_voice: bool = False,
        generator: torch.Generator | None = None,
    ) -> CondTokens:
        items = [item if item is not None else MelInput(None) for item in inputs]
        waves = torch.stack([self.fit_clip(item.wave, device) for item in items])
        mel = self.log_mel(waves)  # [B, n_mels, frames]
        if mask_voice:
            mel = self.span_mask(mel, [item.is_voice for item in items], generator)
        tokens = self.proj_features(project_sequence(self.proj_sequence_features, mel.transpose(1, 2)))
        ones = torch.ones(tokens.shape[:2], device=tokens.device)
        return CondTokens(rms_normalize(tokens), ones)
