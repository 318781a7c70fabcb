"""Where a heard sound occurs, and how often: query by example on the clip's own spectrogram.

The tagger places a sound only roughly (0.96 s windows) and misses repeats of it that a louder background
masks. Once a tagger segment confirms a class, the sound's strongest moment in that segment is a template:
the clip's log-mel spectrogram with the steady background taken out (each band's median over the clip) is
compared with the template at every 10 ms step (cosine similarity), and each well-matching place, apart from
the others, whose foreground is about as loud as the template's is an occurrence. A repeat that the clip's
end cuts short is compared on its part inside the clip.

The sound's extent is the run of frames around its peak whose foreground energy stays within
``EXTENT_DROP_DB`` of that peak and above the level the background reaches by itself, bridging dips shorter
than ``MIN_GAP_S`` (the rule the question suite's ground truth applies to a sound's stem), so its decay is
part of it; a long sound is matched by its ``MAX_TEMPLATE_S`` around the peak, and every occurrence is given
the whole sound's extent. A sound with no burst above the background (a steady bed the tagger hears) is
placed where the tagger hears it. Only places that match the heard sound are reported: a class the tagger
did not confirm is never searched for.

``EXTENT_DROP_DB``, ``NOISE_MARGIN_DB`` and ``MIN_PARTIAL_S`` were calibrated on clips that the built-in
question suite does not ask about (``benchmarks/calibrate_timing.py``; docs/understanding.md).
"""

from __future__ import annotations

import functools

import numpy as np

RATE = 16_000
HOP_S = 0.01
WINDOW = 400  # 25 ms
N_FFT = 512
N_MELS = 64
#: A place matches the template when the cosine similarity of their foreground spectrograms reaches this.
MATCH = 0.6
#: ... and its foreground peak is at most this far below the template's (quieter look-alikes are not it).
LOUD_DROP_DB = 15.0
#: The template spans the frames around its peak within this of the peak's foreground energy (calibrated).
EXTENT_DROP_DB = 50.0
MAX_TEMPLATE_S = 1.5
MIN_TEMPLATE_S = 0.05
#: Occurrences closer than this are one (the pause inside a bark, between two words); a sound's extent goes on
#: over dips shorter than this (as a burst of the question suite's ground truth does).
MIN_GAP_S = 0.15
#: A sound's extent stays this far above the level the clip's median frame reaches (:func:`_noise_floor`).
NOISE_MARGIN_DB = 3.0
#: A repeat cut short by the clip's end is matched on its part inside the clip, when that part is this long.
MIN_PARTIAL_S = 0.4
#: The template is looked for this far around the confirming segment (a window's middle only roughly places it).
SEARCH_S = 0.24


@functools.cache
def _mel_matrix() -> np.ndarray:
    from audio_omni.audio.mel import htk_triangles

    return htk_triangles(N_FFT // 2 + 1, N_MELS, RATE, 125.0, 7500.0).astype(np.float32)


def foreground(mono: np.ndarray) -> np.ndarray:
    """[T, 64] log-mel power (16 kHz mono, 10 ms frames) above each band's median over the clip (>= 0)."""
    wave = np.asarray(mono, np.float32).reshape(-1)
    hop = int(HOP_S * RATE)
    if wave.size < WINDOW:
        wave = np.pad(wave, (0, WINDOW - wave.size))
    frames = np.lib.stride_tricks.sliding_window_view(wave, WINDOW)[::hop]
    window = np.hanning(WINDOW).astype(np.float32)
    power = np.abs(np.fft.rfft(frames * window, n=N_FFT, axis=-1)) ** 2
    log_mel = np.log(power @ _mel_matrix() + 1e-8)
    return np.maximum(log_mel - np.median(log_mel, axis=0, keepdims=True), 0.0).astype(np.float32)


def _energy_db(fg: np.ndarray) -> np.ndarray:
    """Foreground energy per frame in dB (natural-log units converted: 10·log10(e) per unit)."""
    return 10 * np.log10(np.maximum(np.exp(fg).sum(axis=1) - fg.shape[1], 1e-8))


def _noise_floor(energy: np.ndarray) -> float:
    """The foreground energy a steady background reaches by itself: half the frames are quieter (the bed's
    fluctuation above its median is foreground too), plus ``NOISE_MARGIN_DB``."""
    return float(np.median(energy)) + NOISE_MARGIN_DB


def _extent(energy: np.ndarray, peak: int) -> tuple[int, int]:
    """The frames around ``peak`` whose foreground energy stays within ``EXTENT_DROP_DB`` of it and above the
    background's own level (:func:`_noise_floor`), over dips shorter than ``MIN_GAP_S``: [start, end)."""
    loud = energy >= max(energy[peak] - EXTENT_DROP_DB, _noise_floor(energy))
    bridge = int(round(MIN_GAP_S / HOP_S))

    def reach(i: int, step: int) -> int:
        last = i  # the last loud frame found going this way
        while 0 <= i + step < len(loud) and abs(i + step - last) <= bridge:
            i += step
            if loud[i]:
                last = i
        return last

    return reach(peak, -1), reach(peak, 1) + 1


def _similarity(fg: np.ndarray, energy: np.ndarray, t0: int, length: int, loud_db: float) -> np.ndarray:
    """Cosine similarity of the template ``fg[t0 : t0 + length]`` with the clip at every starting frame; 0 where
    the place's foreground never reaches ``loud_db``. A place nearer the clip's end than the template is long
    is compared on the template's part that fits (a repeat the clip cuts short), from ``MIN_PARTIAL_S`` on."""
    shortest = min(length, max(1, int(round(MIN_PARTIAL_S / HOP_S))))
    tail = length - shortest
    padded = np.concatenate([fg, np.zeros((tail, fg.shape[1]), fg.dtype)])
    views = np.lib.stride_tricks.sliding_window_view(padded, length, axis=0)  # [T-shortest+1, 64, L]
    views = views.transpose(0, 2, 1).reshape(len(views), -1)
    template = fg[t0 : t0 + length]
    inside = np.minimum(length, len(fg) - np.arange(len(views)))  # frames of each place inside the clip
    template_norms = np.sqrt(np.cumsum(np.square(template, dtype=np.float64).sum(axis=1)))[inside - 1]
    norms = np.linalg.norm(views, axis=1) * template_norms
    similarity = np.where(norms > 0, views @ template.reshape(-1) / np.maximum(norms, 1e-12), 0.0)
    energies = np.concatenate([energy, np.full(tail, -np.inf)])
    loud = np.lib.stride_tricks.sliding_window_view(energies, length).max(axis=1) >= loud_db
    return np.where(loud, similarity, 0.0)


def occurrences(fg: np.ndarray, start: float, end: float) -> list[tuple[float, float]]:
    """(start, end) seconds of every occurrence of the sound whose strongest moment lies in [start, end]
    (a confirming tagger segment), in time order; [] when the segment holds no foreground at all."""
    energy = _energy_db(fg)
    a = max(0, int((start - SEARCH_S) / HOP_S))
    b = min(len(fg), int(np.ceil((end + SEARCH_S) / HOP_S)))
    if b - a < 1 or fg[a:b].max() <= 0:
        return []
    peak = a + int(np.argmax(energy[a:b]))
    whole = _extent(energy, peak)
    t0, t1 = whole
    longest = int(MAX_TEMPLATE_S / HOP_S)
    if t1 - t0 > longest:  # a long sound is matched by the part around its peak
        t0 = max(t0, peak - longest // 2)
        t1 = min(t1, t0 + longest)
    length = t1 - t0
    if length * HOP_S < MIN_TEMPLATE_S:  # no burst of its own above the background: where the tagger hears it
        return [(round(max(0.0, start), 2), round(min(end, len(fg) * HOP_S), 2))]
    if length >= len(fg):
        return [(whole[0] * HOP_S, whole[1] * HOP_S)]
    # a repeat has the template's shape: as much before and after its matched part as the template has
    before, after = t0 - whole[0], whole[1] - t1
    similarity = _similarity(fg, energy, t0, length, energy[peak] - LOUD_DROP_DB)
    similarity[t0] = max(similarity[t0], 1.0)  # the template itself always counts
    found = []
    while True:
        best = int(np.argmax(similarity))
        if similarity[best] < MATCH:
            break
        found.append((max(0, best - before) * HOP_S, min(len(fg), best + length + after) * HOP_S))
        similarity[max(0, best - length + 1) : best + length] = 0.0
    return joined_spans(found, MIN_GAP_S)


def joined_spans(spans, gap: float) -> list[tuple[float, float]]:
    """(start, end) seconds in time order, those less than ``gap`` apart joined into one, rounded to 10 ms."""
    joined: list[list[float]] = []
    for start, end in sorted(spans):
        if joined and start - joined[-1][1] < gap:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return [(round(a, 2), round(b, 2)) for a, b in joined]
