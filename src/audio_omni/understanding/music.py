"""Music descriptors measured from the signal: tempo, key and pitch range.

* tempo: an onset-strength curve (positive spectral flux of a log-mel spectrogram, 100 frames/s) is
  autocorrelated; the lag with the strongest correlation, weighted towards 120 BPM (a log-normal prior, as
  beat trackers commonly do, so that half and double tempi lose to the usual one), gives beats per minute;
* key: a chromagram (STFT bins folded onto the 12 pitch classes, 55 Hz - 2 kHz) averaged over the clip is
  correlated with the Krumhansl-Kessler major and minor profiles rotated to each tonic;
* pitch range: CREPE's f0 on the confident frames, 5th to 95th percentile, as note names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
ANALYSIS_RATE = 16_000
FRAME_RATE = 100  # onset frames per second
MIN_BPM, MAX_BPM = 50.0, 200.0
PRIOR_BPM, PRIOR_OCTAVES = 120.0, 1.0
#: Below this the onset curve has no clear period: no tempo is reported.
MIN_TEMPO_CLARITY = 0.1
#: Below this the chroma fits no key well enough to name one.
MIN_KEY_CORRELATION = 0.5
PITCH_CONFIDENCE = 0.6


@dataclass(frozen=True)
class MusicFacts:
    tempo_bpm: float | None
    key: str | None  # "A minor"
    key_confidence: float | None  # correlation with the best profile
    pitch_range: tuple[str, str] | None  # ("A3", "E5")
    instruments: tuple[tuple[str, float], ...]  # (AudioSet class, confidence), most confident first
    genres: tuple[tuple[str, float], ...]
    moods: tuple[tuple[str, float], ...]

    def to_json(self) -> dict:
        return {
            "tempo_bpm": None if self.tempo_bpm is None else round(self.tempo_bpm, 1),
            "key": self.key,
            "key_confidence": None if self.key_confidence is None else round(self.key_confidence, 3),
            "pitch_range": None if self.pitch_range is None else list(self.pitch_range),
            "instruments": [{"label": n, "confidence": round(p, 3)} for n, p in self.instruments],
            "genres": [{"label": n, "confidence": round(p, 3)} for n, p in self.genres],
            "moods": [{"label": n, "confidence": round(p, 3)} for n, p in self.moods],
        }


def _stft_power(mono: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """[frames, n_fft // 2 + 1] power spectrogram with a Hann window."""
    if len(mono) < n_fft:
        mono = np.pad(mono, (0, n_fft - len(mono)))
    frames = np.lib.stride_tricks.sliding_window_view(mono, n_fft)[::hop]
    window = np.hanning(n_fft).astype(np.float32)
    return np.abs(np.fft.rfft(frames * window, axis=-1)) ** 2


def onset_strength(mono: np.ndarray, rate: int = ANALYSIS_RATE) -> np.ndarray:
    """Positive spectral flux of a log spectrogram in 40 bands, one value per 1/FRAME_RATE s."""
    hop = rate // FRAME_RATE
    power = _stft_power(mono.astype(np.float32), 1024, hop)
    edges = np.geomspace(30, rate / 2, 41)
    freqs = np.fft.rfftfreq(1024, 1 / rate)
    bands = np.stack(
        [power[:, (freqs >= lo) & (freqs < hi)].sum(1) for lo, hi in zip(edges, edges[1:], strict=False)], 1
    )
    log_bands = np.log1p(1000 * bands / (bands.max() + 1e-12))
    flux = np.maximum(np.diff(log_bands, axis=0), 0).sum(1)
    return flux - np.convolve(flux, np.ones(FRAME_RATE // 2) / (FRAME_RATE // 2), mode="same")  # local mean off


def estimate_tempo(mono: np.ndarray, rate: int = ANALYSIS_RATE) -> float | None:
    """Beats per minute, or None when the clip has no steady pulse (or is shorter than four beats)."""
    onset = onset_strength(mono, rate)
    if len(onset) < 4 * FRAME_RATE * 60 / MAX_BPM:
        return None
    onset = onset - onset.mean()
    energy = float(np.dot(onset, onset))
    if energy <= 0:
        return None
    lags = np.arange(int(FRAME_RATE * 60 / MAX_BPM), min(int(FRAME_RATE * 60 / MIN_BPM), len(onset) // 2) + 1)
    if len(lags) == 0:
        return None
    corr = np.array([np.dot(onset[:-lag], onset[lag:]) / energy for lag in lags])
    bpm = 60.0 * FRAME_RATE / lags
    weight = np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    best = int(np.argmax(corr * weight))
    if corr[best] < MIN_TEMPO_CLARITY:
        return None
    # Refine the lag between frames with a parabola through the peak and its neighbours.
    lag = float(lags[best])
    if 0 < best < len(corr) - 1:
        a, b, c = corr[best - 1], corr[best], corr[best + 1]
        if a - 2 * b + c < 0:
            lag += 0.5 * (a - c) / (a - 2 * b + c)
    return 60.0 * FRAME_RATE / lag


def chroma(mono: np.ndarray, rate: int = ANALYSIS_RATE) -> np.ndarray:
    """[12] energy per pitch class (C first), summed over the clip, from 55 Hz to 2 kHz."""
    n_fft = 4096  # 3.9 Hz bins at 16 kHz: a semitone is wider than a bin from about 65 Hz up
    power = _stft_power(mono.astype(np.float32), n_fft, n_fft // 4).sum(0)
    freqs = np.fft.rfftfreq(n_fft, 1 / rate)
    keep = (freqs >= 55.0) & (freqs <= 2000.0)
    pitch_class = np.mod(np.round(12 * np.log2(freqs[keep] / 440.0)) + 9, 12).astype(int)
    out = np.zeros(12)
    np.add.at(out, pitch_class, np.sqrt(power[keep]))  # magnitudes: a few loud partials do not swamp the rest
    return out


def estimate_key(mono: np.ndarray, rate: int = ANALYSIS_RATE) -> tuple[str | None, float | None]:
    """("A minor", correlation) by the Krumhansl-Schmuckler method, or (None, best correlation) when no
    profile fits well enough."""
    profile = chroma(mono, rate)
    if not np.any(profile):
        return None, None
    best, best_corr = None, -1.0
    for tonic in range(12):
        for mode, template in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
            corr = float(np.corrcoef(profile, np.roll(template, tonic))[0, 1])
            if corr > best_corr:
                best, best_corr = f"{NOTE_NAMES[tonic]} {mode}", corr
    return (best if best_corr >= MIN_KEY_CORRELATION else None), best_corr


def note_name(midi: float) -> str:
    number = int(round(midi))
    return f"{NOTE_NAMES[number % 12]}{number // 12 - 1}"


def pitch_range(track) -> tuple[str, str] | None:
    """(lowest, highest) note of a :class:`audio_omni.judges.pitch.PitchTrack`'s confident frames (5th and
    95th percentiles), or None with fewer than 10 such frames."""
    voiced = track.voiced(PITCH_CONFIDENCE)
    if int(voiced.sum()) < 10:
        return None
    notes = track.midi()[voiced]
    low, high = np.percentile(notes, [5, 95])
    return note_name(low), note_name(high)
