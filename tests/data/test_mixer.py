"""The mixer: loudness-relative SNR, fades, placement, envelopes, effects and exact integer stems, on real audio."""

from __future__ import annotations

import numpy as np
import pytest

from audio_omni.assets import debian_package
from audio_omni.data.mixer import (
    FULL_SCALE,
    ClipCache,
    ExactMix,
    active_fraction,
    apply_fades,
    clipped_fraction,
    dequantise,
    envelope,
    excerpt,
    gain_for_snr,
    loop_to,
    lufs,
    match_envelope,
    place,
    quantise,
    random_effect,
    region_window,
    stretch_to,
    vary_timbre,
)
from audio_omni.errors import AudioInputError

SR = 22050
MT = "usr/share/games/minetest/games/minetest_game/mods"


@pytest.fixture(scope="module")
def clips():
    cache = ClipCache(SR)
    root = debian_package("minetest-data")
    water = cache.load(root / MT / "env_sounds/sounds/env_sounds_water.3.ogg")
    fire = cache.load(root / MT / "fire/sounds/fire_small.ogg")
    door = cache.load(root / MT / "doors/sounds/doors_door_open.ogg")
    return water, fire, door


def test_clip_cache_resamples_to_mono_and_refuses_garbage(tmp_path, clips):
    water, _, _ = clips
    assert water.dtype == np.float32 and water.ndim == 1 and abs(len(water) / SR - 6.0) < 0.1
    bad = tmp_path / "broken.ogg"
    bad.write_bytes(b"OggS" + b"\x00" * 200)
    with pytest.raises(AudioInputError):
        ClipCache(SR).load(bad)


def test_snr_is_loudness_relative(clips):
    water, fire, _ = clips
    n = 3 * SR
    bed, event = water[:n], fire[:n]
    for snr in (-5.0, 0.0, 10.0):
        scaled = event * gain_for_snr(event, bed, snr, SR)
        assert lufs(scaled, SR) - lufs(bed, SR) == pytest.approx(snr, abs=0.05)


def test_excerpt_place_fades_and_loop_are_seeded(clips):
    water, fire, door = clips
    a = excerpt(water, SR, np.random.default_rng(1))
    b = excerpt(water, SR, np.random.default_rng(1))
    assert np.array_equal(a, b) and len(a) == SR
    assert len(excerpt(door, 10 * SR, np.random.default_rng(0))) == len(door)  # shorter clips come whole
    faded = apply_fades(a, SR, 0.1, 0.1)
    assert faded[0] == 0 and faded[-1] == 0 and np.array_equal(faded[SR // 2], a[SR // 2])
    track = place(door, 2 * SR, SR)
    assert not track[:SR].any() and np.array_equal(track[SR : SR + len(door)], door[: SR])
    looped = loop_to(door, 2 * SR, SR)
    assert len(looped) == 2 * SR and active_fraction(looped, SR) > active_fraction(place(door, 2 * SR, 0), SR)


def test_region_window_and_envelope_transfer(clips):
    water, fire, door = clips
    w = region_window(SR, 1000, 5000, 100)
    assert w[:1000].sum() == 0 and w[1100:4900].min() == 1 and w[5000:].sum() == 0
    n = 2 * SR
    ref = place(door, n, SR // 2)  # a short event in silence
    shaped = match_envelope(water[:n], ref, SR)
    # the water now follows the door's timing: quiet where the door is silent
    quiet, loud = envelope(shaped, SR)[:10].mean(), envelope(shaped, SR)[26:40].mean()
    assert loud > 10 * quiet


def test_stretch_keeps_length_and_effects_are_seeded(clips):
    _, fire, _ = clips
    piece = fire[:SR]
    stretched = stretch_to(piece, int(1.25 * SR), SR)
    assert len(stretched) == int(1.25 * SR) and active_fraction(stretched[-SR // 4 :], SR) > 0.5
    out1, info1 = random_effect(piece, SR, np.random.default_rng(3))
    out2, info2 = random_effect(piece, SR, np.random.default_rng(3))
    assert info1 == info2 and info1["effect"] in ("reverb", "lowpass", "highpass")
    assert np.array_equal(out1, out2) and len(out1) == len(piece) and not np.array_equal(out1, piece)


def test_re_voicing_shifts_pitch_keeps_length_and_is_seeded(clips):
    _, fire, _ = clips
    out1, info1 = vary_timbre(fire[:SR], SR, np.random.default_rng(5))
    out2, info2 = vary_timbre(fire[:SR], SR, np.random.default_rng(5))
    assert info1 == info2 and np.array_equal(out1, out2) and len(out1) == SR and not np.array_equal(out1, fire[:SR])
    assert abs(info1["semitones"]) <= 2 and 150 <= info1["peak_hz"] <= 6000 and abs(info1["peak_db"]) <= 6
    # The pitch moves by the drawn interval: a 440 Hz tone's spectral peak moves by the drawn semitones (to within
    # a third of one; the peak filter reweights the shifter's sidebands a little).
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR)).astype(np.float32)
    for seed in range(4):
        shifted, info = vary_timbre(tone, SR, np.random.default_rng(seed))
        tail = shifted[SR // 4 :]
        spectrum = np.abs(np.fft.rfft(tail * np.hanning(len(tail)), n=8 * len(tail)))
        peak = np.argmax(spectrum) * SR / (8 * len(tail))
        assert 12 * np.log2(peak / 440) == pytest.approx(info["semitones"], abs=0.3)


def test_exact_mix_sums_integers_without_tolerance(clips):
    water, fire, _ = clips
    n = 3 * SR
    mix = ExactMix({"bed": water[:n], "event": fire[:n] * 3}, SR).level([["bed"], ["bed", "event"]], -20.0, 0.89)
    mixed, bed, event = mix.mix(["bed", "event"]), mix.mix(["bed"]), mix.mix(["event"])
    assert mixed.dtype == np.int32 and np.abs(mixed).max() < 0.9 * FULL_SCALE
    assert np.array_equal(mixed, bed + event)
    # and in float32, after dequantising: every value is a multiple of 2**-23, sums included
    assert np.array_equal(dequantise(mixed), dequantise(bed) + dequantise(event))
    assert lufs(dequantise(mixed), SR) <= -20.0 + 0.1
    assert np.array_equal(quantise(dequantise(mixed)), mixed)


def test_clipping_measure():
    wave = np.linspace(-1, 1, 1000).astype(np.float32)
    assert clipped_fraction(wave) == pytest.approx(0.002, abs=0.001)
    assert clipped_fraction(np.clip(wave * 4, -1, 1)) > 0.5
