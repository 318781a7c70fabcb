"""Sound events over time: the AudioSet tagger's sliding windows merged into labelled segments.

YAMNet scores 0.96 s windows every hop (0.16 s in :mod:`.hearing`: a short sound then falls well inside some
window, which its own 0.48 s hop can miss under a louder bed). A window's score is credited to its middle hop
(the part no neighbour covers better), so a run of windows above the threshold becomes one segment from the
start of the first middle to the end of the last; the first and last windows reach the clip's edges. A class is reported
when one window reaches ``ON_THRESHOLD``; a segment goes on while its windows stay above ``OFF_THRESHOLD``
(hysteresis keeps one event from breaking into pieces on a dip).

Counting and timing use the loudness envelope as well: a class segment that spans several loud bursts
separated by quiet gaps (a dog barking three times) counts each burst, and the bursts (searched up to
``BURST_SEARCH_S`` beyond the segment, since a window's middle only roughly places its sound) say when the
sound is, more finely than the windows do. Where the sound is not louder than what goes on around it, the
whole segment is one burst.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A class is heard when one window reaches this probability (the evaluation's presence threshold).
ON_THRESHOLD = 0.3
#: A segment continues while its windows stay above this.
OFF_THRESHOLD = 0.15
#: At most this many classes get segments, the most confident first (a busy clip's 0.16 s windows pass many
#: classes over the threshold: a low cap crowds out a real but quieter sound).
MAX_CLASSES = 24
#: Classes that say nothing about what is heard, never reported.
NOT_EVENTS = frozenset(
    {
        "Silence",
        "Inside, small room",
        "Inside, large room or hall",
        "Inside, public space",
        "Outside, urban or manmade",
        "Outside, rural or natural",
        "Sound effect",
        "Echo",
        "Reverberation",
        "Noise",
        "Environmental noise",
        "Static",
        "Hum",
        "Mains hum",
    }
)
#: Envelope frames for counting bursts.
ENVELOPE_HOP_S = 0.02
#: A gap this much quieter than the burst peaks, at least ``MIN_GAP_S`` long, separates two bursts.
GAP_DROP_DB = 12.0
MIN_GAP_S = 0.12
MIN_BURST_S = 0.06
BURST_SEARCH_S = 0.24


@dataclass(frozen=True)
class SoundSegment:
    """One stretch of time in which the tagger hears ``label`` (an AudioSet class name)."""

    label: str
    start: float  # seconds
    end: float
    confidence: float  # the highest window probability inside the segment
    count: int = 1  # loud bursts inside the segment (separate occurrences of the sound)
    bursts: tuple[tuple[float, float], ...] = ()  # their (start, end) seconds; () when not measured

    @property
    def spans(self) -> tuple[tuple[float, float], ...]:
        """When the sound is: its bursts, else the whole segment."""
        return self.bursts or ((self.start, self.end),)

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "confidence": round(self.confidence, 3),
            "count": self.count,
            "bursts": [[round(a, 2), round(b, 2)] for a, b in self.bursts],
        }


def window_spans(n_windows: int, hop: float, window: float, duration: float) -> np.ndarray:
    """[n, 2] the seconds each window is credited with: its middle ``hop``, the edges extended to the clip."""
    starts = np.arange(n_windows) * hop + (window - hop) / 2
    spans = np.stack([starts, starts + hop], axis=1)
    if n_windows:
        spans[0, 0] = 0.0
        spans[-1, 1] = max(spans[-1, 1], duration)
        spans = np.clip(spans, 0.0, duration)
    return spans


def _runs(on: np.ndarray) -> list[tuple[int, int]]:
    """[(first, last)] index runs where ``on`` is True."""
    runs, start = [], None
    for i, flag in enumerate(on):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(on) - 1))
    return runs


def class_segments(
    probabilities: np.ndarray,
    active: np.ndarray,
    labels: list[str],
    spans: np.ndarray,
    max_classes: int = MAX_CLASSES,
    ignore: frozenset[str] = NOT_EVENTS,
) -> list[SoundSegment]:
    """Segments of every class that one active window hears at ``ON_THRESHOLD`` (at most ``max_classes``
    classes, the most confident first; never those in ``ignore``), sorted by start time. ``probabilities``
    [W, K]; ``active`` [W] marks windows with sound (silent ones never start or continue a segment)."""
    if probabilities.size == 0 or not active.any():
        return []
    heard = np.where(active[:, None], probabilities, 0.0)
    peaks = heard.max(axis=0)
    order = [
        int(k) for k in np.argsort(-peaks, kind="stable") if peaks[k] >= ON_THRESHOLD and labels[k] not in ignore
    ][:max_classes]
    segments = []
    for k in order:
        for first, last in _runs(heard[:, k] >= OFF_THRESHOLD):
            confidence = float(heard[first : last + 1, k].max())
            if confidence >= ON_THRESHOLD:
                segments.append(SoundSegment(labels[k], float(spans[first, 0]), float(spans[last, 1]), confidence))
    return sorted(segments, key=lambda s: (s.start, -s.confidence))


def envelope_db(mono: np.ndarray, rate: int, hop_s: float = ENVELOPE_HOP_S) -> np.ndarray:
    """RMS level per ``hop_s`` frame in dBFS."""
    hop = max(1, int(round(hop_s * rate)))
    n = len(mono) // hop
    if n == 0:
        return np.full(1, -120.0)
    frames = mono[: n * hop].reshape(n, hop).astype(np.float64)
    return 20 * np.log10(np.maximum(np.sqrt(np.mean(frames**2, axis=1)), 1e-6))


def burst_runs(level_db: np.ndarray, hop_s: float = ENVELOPE_HOP_S) -> list[tuple[int, int]]:
    """Loud bursts in a stretch of envelope, as (first, last) frame runs: frames above (peak - ``GAP_DROP_DB``),
    runs closer than ``MIN_GAP_S`` joined, bursts shorter than ``MIN_BURST_S`` ignored."""
    if level_db.size == 0:
        return []
    runs = _runs(level_db >= level_db.max() - GAP_DROP_DB)
    joined: list[tuple[int, int]] = []
    for start, end in runs:
        if joined and (start - joined[-1][1] - 1) * hop_s < MIN_GAP_S:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    bursts = [(a, b) for a, b in joined if (b - a + 1) * hop_s >= MIN_BURST_S]
    return bursts


def count_bursts(level_db: np.ndarray, hop_s: float = ENVELOPE_HOP_S) -> int:
    """How many loud bursts (:func:`burst_runs`) a stretch of envelope holds; at least 1."""
    return max(1, len(burst_runs(level_db, hop_s)))


def with_counts(
    segments: list[SoundSegment], level_db: np.ndarray, hop_s: float = ENVELOPE_HOP_S
) -> list[SoundSegment]:
    """Each segment with its bursts (times and count) from the clip's envelope."""
    out = []
    for s in segments:
        first = max(0, int((s.start - BURST_SEARCH_S) / hop_s))
        last = min(len(level_db), max(first + 1, int(np.ceil((s.end + BURST_SEARCH_S) / hop_s))))
        runs = burst_runs(level_db[first:last], hop_s)
        bursts = tuple((round((first + a) * hop_s, 2), round((first + b + 1) * hop_s, 2)) for a, b in runs)
        out.append(SoundSegment(s.label, s.start, s.end, s.confidence, max(1, len(bursts)), bursts))
    return out
