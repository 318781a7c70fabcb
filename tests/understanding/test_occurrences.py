"""Query by example: a sound repeated over a steady background is found at each of its places, and only there
(signals built to have known events; no model needed)."""

from __future__ import annotations

import numpy as np

from audio_omni.eval import question_scores as qs
from audio_omni.understanding.occurrences import RATE, foreground, occurrences


def _chirp(seconds: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * (800 + 3000 * t) * t) * np.exp(-6 * t)).astype(np.float32)


def _scene(onsets, other_at=None) -> np.ndarray:
    rng = np.random.default_rng(0)
    clip = 0.02 * rng.standard_normal(5 * RATE).astype(np.float32)  # a steady bed
    chirp = _chirp()
    for onset in onsets:
        start = int(onset * RATE)
        clip[start : start + len(chirp)] += 0.5 * chirp
    if other_at is not None:  # a loud low tone: another sound, not a repeat of the chirp
        start = int(other_at * RATE)
        t = np.arange(int(0.3 * RATE)) / RATE
        clip[start : start + len(t)] += 0.5 * np.sin(2 * np.pi * 200 * t).astype(np.float32)
    return clip


def test_every_repeat_is_found_from_one_confirmed_place():
    onsets = (0.5, 1.7, 3.2, 4.4)
    truth = [[a, a + 0.3] for a in onsets]
    fg = foreground(_scene(onsets, other_at=2.5))
    found = occurrences(fg, 1.5, 2.2)  # the tagger confirmed the second one only
    assert len(found) == 4, found
    assert qs.span_iou(found, truth) >= 0.6, (found, truth)
    assert not any(a <= 2.6 <= b for a, b in found)  # the tone is not a chirp


def test_a_steady_background_is_not_counted_again_and_again():
    found = occurrences(foreground(_scene(())), 1.0, 2.0)
    assert len(found) == 1 and found[0][0] <= 1.0 and found[0][1] >= 2.0, found  # one sound, not many
