"""The speaker judge's pause removal: long pauses go, short ones and the sound around them stay, and clips
shorter than the smoothing window do not crash it (a crash found on real data)."""

import numpy as np

from audio_omni.judges.speaker import _drop_pauses

W = 480  # 30 ms windows at 16 kHz; a window is kept within 6 windows of sound


def _speech_with_pause(rng, before: int, pause: int, after: int) -> np.ndarray:
    wave = rng.standard_normal(W * (before + pause + after)).astype(np.float32)
    wave[W * before : W * (before + pause)] *= 1e-4  # -80 dB: a pause
    return wave


def test_a_long_pause_is_cut_to_the_kept_margins():
    rng = np.random.default_rng(0)
    wave = _speech_with_pause(rng, 10, 20, 10)  # windows 16..23 lie more than 6 windows from any sound
    out = _drop_pauses(wave)
    assert np.array_equal(out, np.concatenate([wave[: 16 * W], wave[24 * W :]]))


def test_short_pauses_and_short_clips_are_kept_whole():
    rng = np.random.default_rng(1)
    for before, pause, after in ((10, 12, 10), (1, 3, 0), (0, 2, 2), (2, 10, 1)):
        wave = _speech_with_pause(rng, before, pause, after)
        assert np.array_equal(_drop_pauses(wave), wave), (before, pause, after)
    quiet_start = _speech_with_pause(rng, 0, 8, 5)  # 13 windows: longer than the 13-window kernel's half
    assert np.array_equal(_drop_pauses(quiet_start), quiet_start[2 * W :])
