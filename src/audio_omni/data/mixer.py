"""The soundscape mixer: excerpts, placement, loudness-relative SNR, fades, effects and exact integer stems.

Everything random takes an explicit ``np.random.Generator`` (one per pair, seeded from (seed, pair index)); nothing
here touches a global RNG. Loudness is ITU-R BS.1770 (pyloudnorm through :func:`audio_omni.audio.io.loudness_lufs`),
resampling is soxr, effects are pedalboard.

Exactness: the pair builder stores audio as 24-bit FLAC. Stems are quantised to 24-bit integers *first* and every
mixture is the integer sum of its quantised stems (:func:`quantise`, :class:`ExactMix`), so ``mixed == target +
residual`` holds bit for bit after the FLAC round trip, with zero tolerance, and also in float32 (every value is a
multiple of 2**-23 below 1, which float32 represents exactly, sums included).
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_omni.audio.io import AudioClippingWarning, load_audio, loudness_lufs, resample
from audio_omni.errors import AudioInputError

__all__ = [
    "FULL_SCALE",
    "MixSettings",
    "ExactMix",
    "ClipCache",
    "active_fraction",
    "apply_fades",
    "clipped_fraction",
    "dequantise",
    "envelope",
    "excerpt",
    "gain_for_snr",
    "match_envelope",
    "place",
    "quantise",
    "random_effect",
    "vary_timbre",
    "region_window",
    "stretch_to",
    "lufs",
]

#: 24-bit full scale: a stored sample ``s`` means ``s / FULL_SCALE``.
FULL_SCALE = 1 << 23
#: Loudness value used for silence (pyloudnorm returns -inf), so differences stay finite.
SILENT_LUFS = -120.0


@dataclass(frozen=True)
class MixSettings:
    """Rate and length of every pair, and the mixing ranges the pair builder draws from."""

    sample_rate: int = 22050
    seconds: float = 6.0
    fade_s: float = 0.02
    #: integrated loudness of the finished mixture is drawn from this range (LUFS) ...
    mix_lufs: tuple[float, float] = (-28.0, -18.0)
    #: ... unless that would push the peak above this (the gain is lowered instead)
    peak: float = 0.89
    #: foreground-to-rest loudness ratio (dB) drawn for mixtures
    snr_db: tuple[float, float] = (-3.0, 12.0)
    #: probability that a foreground event gets an effect (reverb, filters)
    effect_probability: float = 0.25
    #: probability that a sound clip or bed is re-voiced (vary_timbre), so that a few hundred recordings sound like
    #: more: a small model learns its training recordings by heart (docs/models/audio-omni-small.md). 0 keeps
    #: every pair of a build as it was before the option existed.
    vary_probability: float = 0.0

    @property
    def length(self) -> int:
        return int(round(self.sample_rate * self.seconds))


# --------------------------------------------------------------------------------------------------
# Loading, with a small per-process cache
# --------------------------------------------------------------------------------------------------


class ClipCache:
    """Mono float32 clips at one rate, decoded once per process (LRU, bounded by count and by bytes)."""

    def __init__(self, sample_rate: int, capacity: int = 256, max_seconds: float = 600.0, max_bytes: int = 256 << 20):
        self.sample_rate = int(sample_rate)
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bytes = 0

    def load(self, path: str | Path) -> np.ndarray:
        """The whole clip, mono, at ``sample_rate``. Raises AudioInputError for unreadable files."""
        key = str(path)
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AudioClippingWarning)
            wave, _ = load_audio(key, sample_rate=self.sample_rate, channels=1, max_seconds=self.max_seconds)
        data = np.ascontiguousarray(wave[0].numpy(), dtype=np.float32)
        if data.size == 0 or not np.isfinite(data).all():
            raise AudioInputError(f"audio file '{key}' is empty or holds NaN/inf samples")
        self._items[key] = data
        self._bytes += data.nbytes
        while len(self._items) > 1 and (len(self._items) > self.capacity or self._bytes > self.max_bytes):
            self._bytes -= self._items.popitem(last=False)[1].nbytes
        return data


# --------------------------------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------------------------------


def lufs(wave: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS; silence (and anything below the absolute gate) reads SILENT_LUFS."""
    if wave.size == 0 or float(np.abs(wave).max()) < 1e-6:
        return SILENT_LUFS
    value = loudness_lufs(wave.astype(np.float32, copy=False), sample_rate)
    return value if math.isfinite(value) else SILENT_LUFS


def envelope(wave: np.ndarray, sample_rate: int, hop_s: float = 0.02) -> np.ndarray:
    """RMS per hop (frames of ``hop_s``), the loudness envelope used to transfer timing between sounds."""
    hop = max(1, int(round(hop_s * sample_rate)))
    n = int(math.ceil(len(wave) / hop))
    padded = np.zeros(n * hop, np.float64)
    padded[: len(wave)] = wave
    return np.sqrt(np.mean(padded.reshape(n, hop) ** 2, axis=1))


def active_fraction(wave: np.ndarray, sample_rate: int, floor_db: float = -50.0) -> float:
    """Share of 20 ms frames louder than ``floor_db`` dBFS RMS."""
    env = envelope(wave, sample_rate)
    if env.size == 0:
        return 0.0
    return float(np.mean(env > 10 ** (floor_db / 20)))


def clipped_fraction(wave: np.ndarray, threshold: float = 0.999) -> float:
    """Share of samples at or beyond ``threshold`` of full scale (hard clipping in the recording)."""
    if wave.size == 0:
        return 0.0
    return float(np.mean(np.abs(wave) >= threshold))


# --------------------------------------------------------------------------------------------------
# Shaping
# --------------------------------------------------------------------------------------------------


def excerpt(wave: np.ndarray, length: int, rng: np.random.Generator, tries: int = 4) -> np.ndarray:
    """A random ``length``-sample window of ``wave`` (the whole clip when shorter), preferring a loud one.

    Several candidate starts are drawn and the one with the most energy kept, so an excerpt of a sparse
    recording is rarely just its quiet gap.
    """
    if len(wave) <= length:
        return wave.copy()
    best, best_energy = 0, -1.0
    for _ in range(tries):
        start = int(rng.integers(0, len(wave) - length + 1))
        energy = float(np.mean(wave[start : start + length] ** 2))
        if energy > best_energy:
            best, best_energy = start, energy
    return wave[best : best + length].copy()


def apply_fades(wave: np.ndarray, sample_rate: int, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    """Linear fade in and out (in place on a copy); fades longer than half the clip are shortened."""
    out = wave.astype(np.float32, copy=True)
    half = len(out) // 2
    n_in = min(half, int(round(fade_in_s * sample_rate)))
    n_out = min(half, int(round(fade_out_s * sample_rate)))
    if n_in:
        out[:n_in] *= np.linspace(0.0, 1.0, n_in, dtype=np.float32)
    if n_out:
        out[-n_out:] *= np.linspace(1.0, 0.0, n_out, dtype=np.float32)
    return out


def place(event: np.ndarray, length: int, start: int) -> np.ndarray:
    """``event`` laid on a silent track of ``length`` samples from sample ``start`` (cut at the end)."""
    track = np.zeros(length, np.float32)
    start = max(0, int(start))
    if start >= length:
        return track
    piece = event[: length - start]
    track[start : start + len(piece)] = piece
    return track


def loop_to(wave: np.ndarray, length: int, sample_rate: int, crossfade_s: float = 0.05) -> np.ndarray:
    """Repeat a short bed (with a short crossfade) until it fills ``length`` samples."""
    if len(wave) >= length:
        return wave[:length].copy()
    xf = min(int(crossfade_s * sample_rate), len(wave) // 4)
    out = wave.astype(np.float32, copy=True)
    while len(out) < length:
        if xf:
            ramp = np.linspace(0.0, 1.0, xf, dtype=np.float32)
            head = out[-xf:] * (1 - ramp) + wave[:xf] * ramp
            out = np.concatenate([out[:-xf], head, wave[xf:]])
        else:
            out = np.concatenate([out, wave])
    return out[:length]


def gain_for_snr(foreground: np.ndarray, rest: np.ndarray, snr_db: float, sample_rate: int) -> float:
    """The gain for ``foreground`` that makes its loudness ``snr_db`` above the loudness of ``rest``."""
    fg, bg = lufs(foreground, sample_rate), lufs(rest, sample_rate)
    if fg <= SILENT_LUFS or bg <= SILENT_LUFS:
        return 1.0
    return float(10 ** ((bg + snr_db - fg) / 20))


def match_loudness(wave: np.ndarray, reference: np.ndarray, sample_rate: int) -> np.ndarray:
    """``wave`` scaled to the integrated loudness of ``reference``."""
    return (wave * gain_for_snr(wave, reference, 0.0, sample_rate)).astype(np.float32)


def match_envelope(wave: np.ndarray, reference: np.ndarray, sample_rate: int, smooth_s: float = 0.1) -> np.ndarray:
    """Impose the (smoothed) loudness envelope of ``reference`` on ``wave``: same timing, another sound.

    Both are the same length. The gain curve is reference RMS / wave RMS per hop, smoothed and bounded so that
    near-silent frames of ``wave`` are not blown up.
    """
    hop_s = 0.02
    hop = max(1, int(round(hop_s * sample_rate)))
    ref_env, env = envelope(reference, sample_rate, hop_s), envelope(wave, sample_rate, hop_s)
    k = max(1, int(round(smooth_s / hop_s)))
    kernel = np.ones(k) / k
    ref_env = np.convolve(ref_env, kernel, mode="same")
    env = np.convolve(env, kernel, mode="same")
    floor = max(1e-4, float(env.max()) * 1e-2)
    gain = np.clip(ref_env / np.maximum(env, floor), 0.0, 30.0)
    centres = (np.arange(len(gain)) + 0.5) * hop
    curve = np.interp(np.arange(len(wave)), centres, gain)
    return (wave * curve).astype(np.float32)


def stretch_to(wave: np.ndarray, length: int, sample_rate: int, max_ratio: float = 1.5) -> np.ndarray:
    """Time-stretch (pitch kept, pedalboard) so ``wave`` lasts ``length`` samples; pad/cut the last few samples.

    Ratios beyond ``max_ratio`` are not stretched (the sound would be mangled); it is padded or cut instead.
    """
    if len(wave) == length or len(wave) == 0:
        return wave[:length].copy()
    ratio = len(wave) / length
    if 1 / max_ratio <= ratio <= max_ratio and abs(ratio - 1) > 0.01:
        import pedalboard

        stretched = pedalboard.time_stretch(wave[None, :].astype(np.float32), float(sample_rate), float(ratio))[0]
        wave = np.asarray(stretched, np.float32)
    out = np.zeros(length, np.float32)
    out[: min(length, len(wave))] = wave[:length]
    return out


def region_window(length: int, start: int, stop: int, ramp: int) -> np.ndarray:
    """1 inside [start, stop), 0 outside, with linear ramps of ``ramp`` samples inside the region's edges."""
    w = np.zeros(length, np.float32)
    start, stop = max(0, start), min(length, stop)
    if stop <= start:
        return w
    w[start:stop] = 1.0
    ramp = min(ramp, (stop - start) // 2)
    if ramp:
        w[start : start + ramp] = np.linspace(0.0, 1.0, ramp, dtype=np.float32)
        w[stop - ramp : stop] = np.linspace(1.0, 0.0, ramp, dtype=np.float32)
    return w


def random_effect(wave: np.ndarray, sample_rate: int, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """One of: room reverb, low-pass ("muffled"), high-pass ("thin"); parameters drawn from ``rng``.

    Returns the processed sound (same length) and a description of the effect for the pair metadata.
    """
    import pedalboard

    kind = str(rng.choice(["reverb", "lowpass", "highpass"]))
    if kind == "reverb":
        params = {
            "room_size": round(float(rng.uniform(0.2, 0.8)), 3),
            "wet_level": round(float(rng.uniform(0.1, 0.3)), 3),
        }
        board = pedalboard.Pedalboard([pedalboard.Reverb(**params, dry_level=0.8)])
    elif kind == "lowpass":
        params = {"cutoff_frequency_hz": round(float(rng.uniform(1500, 4000)), 1)}
        board = pedalboard.Pedalboard([pedalboard.LowpassFilter(**params)])
    else:
        params = {"cutoff_frequency_hz": round(float(rng.uniform(200, 800)), 1)}
        board = pedalboard.Pedalboard([pedalboard.HighpassFilter(**params)])
    out = _processed(board, wave, sample_rate)
    return (wave, {}) if out is None else (out, {"effect": kind, **params})


def _processed(board, wave: np.ndarray, sample_rate: int) -> np.ndarray | None:
    """``wave`` through a pedalboard, at its own length (cut, or zero-padded if the board returns less); None
    when the result is not finite."""
    out = board(wave[None, :].astype(np.float32), float(sample_rate), reset=True)[0]
    out = np.asarray(out[: len(wave)], np.float32)
    if len(out) < len(wave):
        out = np.pad(out, (0, len(wave) - len(out)))
    return out if np.isfinite(out).all() else None


#: Re-voicing ranges: pitch shift (semitones) and one peak filter (centre Hz, gain dB), mild enough that the
#: tagger still hears the same class.
VARY_SEMITONES = 2.0
VARY_PEAK_HZ = (150.0, 6000.0)
VARY_PEAK_DB = 6.0


def vary_timbre(wave: np.ndarray, sample_rate: int, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """The same sound, re-voiced: pitch shifted by up to ``VARY_SEMITONES`` (duration kept) and coloured by a peak
    filter of up to ±``VARY_PEAK_DB`` at a log-uniform centre frequency; parameters drawn from ``rng``.

    Returns the processed sound (same length) and its parameters for the pair metadata (empty when the result
    is not finite, and the sound is returned unchanged)."""
    import pedalboard

    params = {
        "semitones": round(float(rng.uniform(-VARY_SEMITONES, VARY_SEMITONES)), 2),
        "peak_hz": round(float(np.exp(rng.uniform(*np.log(VARY_PEAK_HZ)))), 1),
        "peak_db": round(float(rng.uniform(-VARY_PEAK_DB, VARY_PEAK_DB)), 2),
    }
    board = pedalboard.Pedalboard([
        pedalboard.PitchShift(semitones=params["semitones"]),
        pedalboard.PeakFilter(cutoff_frequency_hz=params["peak_hz"], gain_db=params["peak_db"], q=1.0),
    ])
    out = _processed(board, wave, sample_rate)
    return (wave, {}) if out is None else (out, params)


def to_rate(wave: np.ndarray, source_rate: int, sample_rate: int) -> np.ndarray:
    """Mono float32 at ``sample_rate`` (soxr)."""
    if source_rate == sample_rate:
        return wave.astype(np.float32, copy=False)
    return np.asarray(resample(wave[None, :], source_rate, sample_rate)[0], np.float32)


# --------------------------------------------------------------------------------------------------
# Exact integer stems
# --------------------------------------------------------------------------------------------------


def quantise(wave: np.ndarray) -> np.ndarray:
    """Float in [-1, 1) -> int32 24-bit sample values (rounded, clipped to the 24-bit range)."""
    return np.clip(np.rint(wave.astype(np.float64) * FULL_SCALE), -FULL_SCALE, FULL_SCALE - 1).astype(np.int32)


def dequantise(samples: np.ndarray) -> np.ndarray:
    """24-bit sample values -> float32 (exact)."""
    return (samples.astype(np.float64) / FULL_SCALE).astype(np.float32)


class ExactMix:
    """Named stems mixed with one common gain, quantised to 24 bits, then summed as integers.

    ``gain`` is chosen so the loudest of the ``mixtures`` (lists of stem names) lands on ``target_lufs`` with
    its peak at most ``peak``; then ``mix(names)`` is the exact integer sum of those quantised stems.
    """

    def __init__(self, stems: dict[str, np.ndarray], sample_rate: int):
        self.float_stems = {k: v.astype(np.float32, copy=False) for k, v in stems.items()}
        self.sample_rate = sample_rate
        self.stems: dict[str, np.ndarray] = {}
        self.gain = 1.0

    def level(self, mixtures: list[list[str]], target_lufs: float, peak: float) -> ExactMix:
        sums = [np.sum([self.float_stems[n] for n in names], axis=0, dtype=np.float64) for names in mixtures]
        loudest = max(sums, key=lambda s: lufs(s.astype(np.float32), self.sample_rate))
        current = lufs(loudest.astype(np.float32), self.sample_rate)
        gain = 1.0 if current <= SILENT_LUFS else 10 ** ((target_lufs - current) / 20)
        top = max(float(np.abs(s).max()) for s in sums)
        if top * gain > peak:
            gain = peak / top
        # every stem alone must also fit (a stem can be louder than a mixture it cancels in)
        stem_top = max(float(np.abs(v).max()) for v in self.float_stems.values())
        if stem_top * gain > peak:
            gain = peak / stem_top
        self.gain = float(gain)
        self.stems = {k: quantise(v * self.gain) for k, v in self.float_stems.items()}
        return self

    def mix(self, names: list[str]) -> np.ndarray:
        total = np.zeros_like(next(iter(self.stems.values())), dtype=np.int64)
        for name in names:
            total += self.stems[name]
        if np.abs(total).max() >= FULL_SCALE:
            raise AudioInputError("mixture exceeds 24-bit full scale")  # cannot happen with peak < 1
        return total.astype(np.int32)
