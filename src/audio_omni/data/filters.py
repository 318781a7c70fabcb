"""Quality filters for finished pairs, each with a count of what it rejected.

In order (the first failing check names the rejection):

* ``clipping``: a source excerpt was hard-clipped in its recording (share of samples at full scale);
* ``silence``: the target, or the sound the edit is about, is (nearly) silent;
* ``loudness``: the source or target integrated loudness lies outside a window;
* ``snr``: the foreground-to-rest loudness ratio of a mixture is outside a range (inaudible or swamping);
* ``tagger``: for sound clips, the frozen YAMNet tagger does not hear the labelled class in the foreground
  (checked only when the tagger is installed; the report says whether it ran, and why not);
* ``duplicate``: the pair sounds like one already kept in the same shard (coarse spectral fingerprint).
  The scope is the shard so that shards stay independent of each other (parallel, resumable builds).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np

from audio_omni.data.mixer import SILENT_LUFS, active_fraction, dequantise, lufs
from audio_omni.errors import AssetError

__all__ = ["FilterSettings", "QualityFilters", "fingerprint", "REASONS"]

log = logging.getLogger(__name__)

REASONS = ("clipping", "silence", "loudness", "snr", "tagger", "duplicate")


@dataclass(frozen=True)
class FilterSettings:
    max_clipped: float = 0.002
    min_active: float = 0.05  # share of 20 ms frames above -50 dBFS in the target / the edited sound
    min_peak: float = 1e-3
    lufs_window: tuple[float, float] = (-45.0, -10.0)
    snr_window: tuple[float, float] = (-10.0, 25.0)
    tagger: bool = True
    tagger_top_k: int = 10
    duplicate_similarity: float = 0.995


def fingerprint(wave: np.ndarray, sample_rate: int, bands: int = 16, frames: int = 24) -> np.ndarray:
    """A unit-norm vector of log band energies on a coarse time grid: near-identical audio -> near-identical vector."""
    n_fft = 1024
    if len(wave) < n_fft:
        wave = np.pad(wave, (0, n_fft - len(wave)))
    starts = np.linspace(0, len(wave) - n_fft, frames).astype(int)
    window = np.hanning(n_fft)
    spec = np.abs(np.fft.rfft(np.stack([wave[s : s + n_fft] * window for s in starts]), axis=1)) ** 2
    edges = np.unique(np.geomspace(2, spec.shape[1] - 1, bands + 1).astype(int))
    energy = np.stack([spec[:, a:b].sum(axis=1) for a, b in zip(edges[:-1], edges[1:], strict=False)], axis=1)
    vec = np.log10(energy + 1e-8).ravel()
    vec = vec - vec.mean()
    norm = np.linalg.norm(vec)
    return vec / norm if norm > 0 else vec


class QualityFilters:
    """Checks pairs; ``counts`` holds how many each check rejected, ``passed`` how many got through."""

    def __init__(self, sample_rate: int, settings: FilterSettings | None = None):
        self.sample_rate = sample_rate
        self.settings = settings or FilterSettings()
        self.counts: Counter[str] = Counter()
        self.passed = 0
        self._seen: list[np.ndarray] = []
        self._tagger = None
        #: "active", "off" (not asked for) or "unavailable: <why>" (a package or asset of the judges extra is
        #: missing); any other failure to load raises, so a broken judge never passes for an absent one.
        self.tagger_state = "off"
        if self.settings.tagger:
            try:
                from audio_omni.judges.yamnet import YamnetTagger

                self._tagger = YamnetTagger.from_installed(threads=1)
                self.tagger_state = "active"
            except (AssetError, ImportError) as exc:  # the judges extra is absent: reported, never "passed"
                self.tagger_state = f"unavailable: {exc}"
                log.warning("tagger-agreement filter off: %s", exc)

    @property
    def tagger_active(self) -> bool:
        return self.tagger_state == "active"

    def reset_scope(self) -> None:
        """Forget fingerprints (called at each new shard)."""
        self._seen = []

    def check(self, pair) -> str | None:
        """The reason ``pair`` is rejected, or None; counts either way (duplicates are remembered if kept)."""
        reason = self._reason(pair)
        if reason is None:
            self.passed += 1
        else:
            self.counts[reason] += 1
        return reason

    def _reason(self, pair) -> str | None:
        s, sr = self.settings, self.sample_rate
        c = pair.checks
        if c.get("raw_clipping", 0.0) > s.max_clipped:
            return "clipping"
        target = dequantise(pair.audio["target"])
        fg = c.get("foreground")
        for wave in (target, fg):
            if wave is None:
                continue
            if float(np.abs(wave).max()) < s.min_peak or active_fraction(wave, sr) < s.min_active:
                return "silence"
        levels = [lufs(target, sr)]
        if "source" in pair.audio:
            levels.append(lufs(dequantise(pair.audio["source"]), sr))
        lo, hi = s.lufs_window
        if any(not (lo <= v <= hi) or v <= SILENT_LUFS for v in levels):
            return "loudness"
        if c.get("rest") is not None and fg is not None:
            snr = lufs(fg, sr) - lufs(c["rest"], sr)
            if not (s.snr_window[0] <= snr <= s.snr_window[1]):
                return "snr"
        label = c.get("foreground_label")
        if self._tagger is not None and label and fg is not None and not self._tagger_agrees(fg, label):
            return "tagger"
        kinds = [k for k in ("source", "target") if k in pair.audio]
        vec = np.concatenate([fingerprint(dequantise(pair.audio[k]), sr) for k in kinds])
        vec = vec / max(1e-12, float(np.linalg.norm(vec)))
        if any(other.shape == vec.shape and float(vec @ other) >= s.duplicate_similarity for other in self._seen):
            return "duplicate"
        self._seen.append(vec)
        return None

    def _tagger_agrees(self, wave: np.ndarray, label: str) -> bool:
        from audio_omni.data.sources.taxonomy import LABELS, accepted_tags

        if label not in LABELS:
            return True  # a label outside the taxonomy has no tagger classes to compare with
        top = self._tagger.top(wave, self.sample_rate, k=self.settings.tagger_top_k)
        return bool(accepted_tags(label) & {name for name, _ in top})

    def report(self) -> dict:
        return {
            "passed": self.passed,
            "rejected": {r: int(self.counts.get(r, 0)) for r in REASONS},
            "tagger_active": self.tagger_active,
            "tagger_state": self.tagger_state,
        }
