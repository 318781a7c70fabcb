"""Speaker embedding: the GE2E voice encoder whose weights ship in the PyPI package ``resemblyzer``.

Only the weight file ``pretrained.pt`` is used. The package's own code imports librosa and webrtcvad, which
are not part of our stack, so the network (3-layer LSTM 40->256, Linear 256->256, ReLU, L2 norm) and its
front end (power mel spectrogram, 16 kHz, 25 ms windows, 10 ms hop, 40 Slaney mel bands) are written here.
Utterances are cut into 1.6 s partials; the utterance embedding is the normalised mean of the partials.
Long pauses are dropped with a simple energy gate (the original uses a WebRTC VAD).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import nn

from audio_omni.assets import installed_file
from audio_omni.audio.io import prepare_audio

SPEAKER_RATE = 16_000
N_FFT = 400
HOP = 160
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s
PARTIALS_PER_SECOND = 1.3
TARGET_DBFS = -30.0


@lru_cache(maxsize=1)
def _mel_basis() -> torch.Tensor:
    from transformers.audio_utils import mel_filter_bank

    fb = mel_filter_bank(
        num_frequency_bins=N_FFT // 2 + 1,
        num_mel_filters=N_MELS,
        min_frequency=0.0,
        max_frequency=SPEAKER_RATE / 2,
        sampling_rate=SPEAKER_RATE,
        norm="slaney",
        mel_scale="slaney",
    )
    return torch.from_numpy(np.asarray(fb, dtype=np.float32)).T  # [mels, bins]


def power_mel(wave: torch.Tensor) -> torch.Tensor:
    """[T] at 16 kHz -> [frames, 40] power mel spectrogram (not logarithmic, as the encoder was trained)."""
    window = torch.hann_window(N_FFT, periodic=True)
    spec = (
        torch.stft(wave, N_FFT, HOP, N_FFT, window, center=True, pad_mode="constant", return_complex=True).abs().pow(2)
    )
    return (_mel_basis() @ spec).T.contiguous()


def _drop_pauses(wave: np.ndarray, window: int = 480, floor_db: float = -40.0, keep: int = 6) -> np.ndarray:
    """Remove 30 ms windows quieter than ``floor_db`` below the loudest one, keeping ``keep`` windows around
    sound so that short pauses between words survive."""
    n = len(wave) // window
    if n < 4:
        return wave
    frames = wave[: n * window].reshape(n, window)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = level > level.max() + floor_db
    # "full" then centre-crop: mode="same" returns max(n, kernel) values, wrong for clips shorter than the kernel.
    kept = np.convolve(loud.astype(float), np.ones(2 * keep + 1), mode="full")[keep : keep + n] > 0
    if kept.sum() < 4:
        return wave
    return frames[kept].reshape(-1)


class SpeakerEncoder(nn.Module):
    """GE2E speaker encoder (Wan et al. 2018), 256-d L2-normalised embeddings."""

    sample_rate = SPEAKER_RATE

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, 256)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw = torch.relu(self.linear(hidden[-1]))
        return raw / raw.norm(dim=1, keepdim=True).clamp_min(1e-8)

    @classmethod
    def from_installed(cls) -> SpeakerEncoder:
        path = installed_file("resemblyzer", r"resemblyzer/pretrained\.pt$", "pip install --no-deps resemblyzer")
        state = torch.load(path, map_location="cpu", weights_only=False)["model_state"]
        model = cls()
        # The checkpoint also holds the GE2E loss scale (similarity_weight/bias), which inference does not use.
        model.load_state_dict({k: v for k, v in state.items() if not k.startswith("similarity_")}, strict=True)
        return model.eval().requires_grad_(False)

    @torch.inference_mode()
    def embed(self, wave, sample_rate: int) -> np.ndarray:
        """Embedding [256] of one utterance (any rate/channels; resampled to 16 kHz mono)."""
        mono, _ = prepare_audio(wave, sample_rate, SPEAKER_RATE, channels=1, name="speaker input")
        x = mono[0].numpy().astype(np.float64)
        rms = np.sqrt(np.mean(x**2)) + 1e-12
        gain = 10 ** ((TARGET_DBFS - 20 * np.log10(rms)) / 20)
        x = (x * max(gain, 1.0)).astype(np.float32)  # raise quiet speech only, like the reference front end
        x = _drop_pauses(x)
        mel = power_mel(torch.from_numpy(x))
        step = max(1, int(round(SPEAKER_RATE / PARTIALS_PER_SECOND / HOP)))
        starts = list(range(0, max(1, mel.shape[0] - PARTIAL_FRAMES + step), step))
        if len(starts) > 1 and mel.shape[0] - starts[-1] < 0.75 * PARTIAL_FRAMES:
            starts.pop()  # a last partial less than 3/4 covered adds more padding than speech
        need = starts[-1] + PARTIAL_FRAMES
        if need > mel.shape[0]:
            mel = torch.nn.functional.pad(mel, (0, 0, 0, need - mel.shape[0]))
        partials = torch.stack([mel[s : s + PARTIAL_FRAMES] for s in starts])
        mean = self(partials).mean(0)
        return (mean / mean.norm().clamp_min(1e-8)).numpy()

    def similarity(self, a, sr_a: int, b, sr_b: int) -> float:
        """Cosine similarity of two utterances' speaker embeddings (1 = same voice)."""
        return float(np.dot(self.embed(a, sr_a), self.embed(b, sr_b)))
