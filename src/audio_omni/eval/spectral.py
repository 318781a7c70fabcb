"""Reference-based checks that need no tagger threshold: what an edit changed and what it kept, in a band picture.

Every edit item with a ground truth is judged against its own reference pair in one frozen time-frequency
picture: a 64-band mel power spectrogram in dB at 16 kHz (125-7500 Hz, the tagger's band; 64 ms windows,
20 ms hop), floored ``DYNAMIC_RANGE_DB`` below the pair's loudest cell so that near-silence does not count.
On that picture the pair splits into

* **changed** cells, where source and target differ by at least ``CHANGED_DB``: the edit itself;
* **kept** cells, where they differ by at most ``KEPT_DB`` and the target is audible: what must survive.

Three checks follow, each passed by the target (oracle) by construction:

* ``edit progress`` = 1 - (distance of the output to the target) / (distance of the source to the target),
  the mean absolute dB difference over the changed cells: 0 for the unchanged source, 1 for the target; it must
  reach ``PROGRESS_MIN`` (at least half-way). Where the instruction fixes *when* things happen (Remove,
  Extract, Level, Region, Replace, SpeechEdit) the cells are compared in place. Where the output may place the
  new sound elsewhere (Add, Style Transfer) each band's values are sorted over time first, so the comparison
  asks whether the right sound arrived in the right amount, not at the target's instants.
* ``preserved``: the median absolute dB difference between output and target over the kept cells is at most
  ``PRESERVE_MAX_DB`` (the median lets a new sound cover up to half of them). The source passes it too: it is
  a sanity check that white noise, silence, a louder or softer copy, a low-passed copy, another item's target or
  an output that wipes the mix all fail.
* ``spectral balance``: the output's long-term spectrum (each band's mean power over the clip) differs from
  the target's by at most ``BALANCE_MAX_DB`` on average over the bands: a check that needs no alignment, for
  the operations whose timing may change (speech).

An item is only judged by ``edit progress`` when enough cells changed (``MIN_CHANGED_FRACTION``); otherwise the
check is left out of that item with its reason. The thresholds are calibrated on real suites (``docs/eval.md``):
the target passes, the target through the small preset's codec passes (so a perfect model can), and the
degenerate baselines fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

RATE = 16_000
N_FFT = 1024
HOP = 320
BANDS = 64
FMIN, FMAX = 125.0, 7500.0
#: Cells more than this far below the pair's loudest cell count as silence (all set to the floor).
DYNAMIC_RANGE_DB = 70.0
#: A cell is changed by the edit when source and target differ by at least this much.
CHANGED_DB = 6.0
#: A cell is kept when source and target differ by at most this much and the target is audible there.
KEPT_DB = 1.0
#: Kept cells must be at least this far above the floor (audible, not the floor itself).
AUDIBLE_DB = 10.0
#: The edit must change at least this fraction of the cells for its progress to be judged.
MIN_CHANGED_FRACTION = 0.005
#: Preservation and progress need at least this fraction of the cells to be measured.
MIN_KEPT_FRACTION = 0.02
PROGRESS_MIN = 0.5
PRESERVE_MAX_DB = 3.0
BALANCE_MAX_DB = 4.0
#: Operations whose output may place the new sound at other instants than the target does.
TIMING_FREE = ("Add", "Style Transfer")


@lru_cache(maxsize=1)
def _mel_basis() -> torch.Tensor:
    from transformers.audio_utils import mel_filter_bank

    fb = mel_filter_bank(num_frequency_bins=N_FFT // 2 + 1, num_mel_filters=BANDS, min_frequency=FMIN,
                         max_frequency=FMAX, sampling_rate=RATE, norm="slaney", mel_scale="slaney")
    return torch.from_numpy(np.asarray(fb, np.float64)).T


def band_db(wave: np.ndarray, rate: int) -> np.ndarray:
    """[C, T] or [T] audio -> [BANDS, frames] mel power in dB (mono mixdown at 16 kHz)."""
    from audio_omni.audio.io import prepare_audio

    mono = prepare_audio(np.asarray(wave, np.float32), rate, RATE, channels=1, max_seconds=None,
                         name="audio")[0][0].to(torch.float64)
    if mono.shape[-1] < N_FFT:
        mono = torch.nn.functional.pad(mono, (0, N_FFT - mono.shape[-1]))
    spec = torch.stft(mono, N_FFT, HOP, N_FFT, torch.hann_window(N_FFT, dtype=mono.dtype), center=True,
                      return_complex=True).abs().pow(2)
    return (10 * torch.log10((_mel_basis() @ spec).clamp_min(1e-12))).numpy()


@dataclass
class Measure:
    """One spectral check's value on the output, the source (identity) and the target (oracle)."""

    output: float | None
    identity: float
    oracle: float
    reason: str | None = None  # why the check cannot be judged on this item (None: it can)


class SpectralPair:
    """The reference pair of one edit item in the band picture, and the three measures of an output."""

    def __init__(self, source: np.ndarray, target: np.ndarray, rate: int, timing_free: bool = False) -> None:
        s, t = band_db(source, rate), band_db(target, rate)
        frames = min(s.shape[1], t.shape[1])
        s, t = s[:, :frames], t[:, :frames]
        self.floor = max(float(s.max()), float(t.max())) - DYNAMIC_RANGE_DB
        self.source, self.target = np.maximum(s, self.floor), np.maximum(t, self.floor)
        self.timing_free = timing_free
        gap = np.abs(self.source - self.target)
        self.changed = gap >= CHANGED_DB
        self.kept = (gap <= KEPT_DB) & (self.target >= self.floor + AUDIBLE_DB)
        self._sorted_target = np.sort(self.target, axis=1)
        self._sorted_gap = np.abs(np.sort(self.source, axis=1) - self._sorted_target)

    def picture(self, wave: np.ndarray | None, rate: int) -> np.ndarray | None:
        """The output in the pair's picture (floored, cut or padded with the floor to the pair's length)."""
        if wave is None:
            return None
        o = np.maximum(band_db(wave, rate), self.floor)
        frames = self.target.shape[1]
        if o.shape[1] < frames:
            o = np.pad(o, ((0, 0), (0, frames - o.shape[1])), constant_values=self.floor)
        return o[:, :frames]

    # -- edit progress -------------------------------------------------------------------------------------

    def _progress(self, o: np.ndarray) -> float:
        if self.timing_free:
            mask = self._sorted_gap >= CHANGED_DB
            err = np.abs(np.sort(o, axis=1) - self._sorted_target)[mask].mean()
            return float(1.0 - err / self._sorted_gap[mask].mean())
        err = np.abs(o - self.target)[self.changed].mean()
        return float(1.0 - err / np.abs(self.source - self.target)[self.changed].mean())

    def progress(self, o: np.ndarray | None) -> Measure:
        mask = (self._sorted_gap >= CHANGED_DB) if self.timing_free else self.changed
        if mask.mean() < MIN_CHANGED_FRACTION:
            return Measure(None, 0.0, 1.0, reason=f"source and target differ by {CHANGED_DB:g} dB in only "
                                                  f"{100 * mask.mean():.1f}% of the cells")
        return Measure(None if o is None else self._progress(o), 0.0, 1.0)

    # -- preservation and balance --------------------------------------------------------------------------

    def _preserved(self, o: np.ndarray) -> float:
        return float(np.median(np.abs(o - self.target)[self.kept]))

    def preserved(self, o: np.ndarray | None) -> Measure:
        if self.kept.mean() < MIN_KEPT_FRACTION:
            return Measure(None, 0.0, 0.0, reason=f"only {100 * self.kept.mean():.1f}% of the cells are kept by "
                                                  "the edit")
        return Measure(None if o is None else self._preserved(o), self._preserved(self.source), 0.0)

    def _balance(self, o: np.ndarray) -> float:
        def spectrum(x):
            return 10 * np.log10(np.mean(10 ** (x / 10), axis=1))

        return float(np.mean(np.abs(spectrum(o) - spectrum(self.target))))

    def balance(self, o: np.ndarray | None) -> Measure:
        return Measure(None if o is None else self._balance(o), self._balance(self.source), 0.0)
