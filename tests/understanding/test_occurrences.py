"""Query by example: a sound repeated over a steady background is found at each of its places, and only there
(signals built to have known events; no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from audio_omni.eval import question_scores as qs
from audio_omni.eval.question_items import event_spans
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


def _crash(seconds: float = 1.0) -> np.ndarray:
    """A long noisy sound that decays over ``seconds`` (an explosion's shape)."""
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * RATE)) / RATE
    return (rng.standard_normal(t.size) * np.exp(-3 * t)).astype(np.float32)


def test_a_repeat_the_clip_cuts_short_is_found_on_its_part_inside():
    rng = np.random.default_rng(0)
    clip = 0.01 * rng.standard_normal(5 * RATE).astype(np.float32)
    crash = _crash()
    for onset in (0.5, 2.2, 4.4):  # the last one has 0.6 s inside the clip
        start = int(onset * RATE)
        clip[start : start + crash.size] += 0.5 * crash[: clip.size - start]
    found = occurrences(foreground(clip), 2.0, 3.2)
    assert len(found) == 3 and found[-1][0] == pytest.approx(4.4, abs=0.05) and found[-1][1] >= 4.95, found


def test_a_sound_keeps_its_tail_over_short_dips_and_stops_at_a_steady_bed():
    clean = np.zeros(5 * RATE, np.float32)
    stem = np.zeros_like(clean)
    t = np.arange(int(0.25 * RATE)) / RATE
    burst = (np.sin(2 * np.pi * 1200 * t) * np.exp(-8 * t)).astype(np.float32)
    for onset in (0.5, 2.5):  # each sound: a burst, a 60 ms pause, a quieter echo of it
        for offset, gain in ((0.0, 0.5), (0.31, 0.1)):
            start = int((onset + offset) * RATE)
            stem[start : start + burst.size] += gain * burst
    truth = event_spans(stem, RATE)
    assert len(truth) == 2  # the ground truth's rule: one sound each, pause and echo included
    found = occurrences(foreground(clean + stem), 0.3, 1.0)
    assert len(found) == 2 and qs.span_iou(found, truth) >= 0.8, (found, truth)
    bed = 0.05 * np.random.default_rng(0).standard_normal(clean.size).astype(np.float32)
    found = occurrences(foreground(bed + stem), 0.3, 1.0)
    assert len(found) == 2 and qs.span_iou(found, truth) >= 0.5, (found, truth)  # not run on into the bed
