"""Quality filters reject what they should, on pairs made from real recordings, and count it."""

from __future__ import annotations

import os
import subprocess
import sys

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
    assert filters.tagger_state == "active"  # the judges extra is part of the install (scripts/install.sh)
    # recorded speech labelled as a dog: the tagger hears speech, not a dog
    assert filters.check(mixture_pair(real["water"], real["speech"], label="Dog")) == "tagger"
    assert filters.check(mixture_pair(real["water"], real["speech"], label="Speech")) is None
    assert filters.report()["rejected"]["tagger"] == 1
    assert QualityFilters(SR, FilterSettings(tagger=False)).report()["tagger_state"] == "off"


def _filters_in_a_fresh_process(prelude: str, env: dict | None = None) -> subprocess.CompletedProcess:
    code = (f"{prelude}\nfrom audio_omni.data.filters import FilterSettings, QualityFilters\n"
            f"print(QualityFilters({SR}, FilterSettings()).report()['tagger_state'])")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_a_missing_tagger_is_an_explicit_state():
    """Without onnxruntime (the judges extra) the filter says it is off and why; it never counts as passed."""
    out = _filters_in_a_fresh_process("import sys; sys.modules['onnxruntime'] = None")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1].startswith("unavailable: ")
    assert "onnxruntime" in out.stdout


def test_a_broken_tagger_fails_loudly(tmp_path):
    """An installed tagger that cannot load (a corrupt cached graph) is an error, not a silently skipped filter."""
    entry = tmp_path / "yamnet-w8a8-v1"
    entry.mkdir()
    (entry / "model.onnx").write_bytes(b"not an onnx graph")
    (entry / "yamnet_class_map.csv").write_text(
        "index,mid,display_name\n" + "".join(f"{i},/m/{i},class {i}\n" for i in range(521)))
    (entry / ".complete").write_text("ok\n")
    out = _filters_in_a_fresh_process("", env={"AUDIO_OMNI_CACHE": str(tmp_path)})
    assert out.returncode != 0 and "ModelProto" in out.stderr  # the graph failed to parse
    assert "unavailable" not in out.stdout


def test_fingerprint_tells_near_duplicates_from_different_audio(real):
    a = fingerprint(real["water"], SR)
    assert float(a @ fingerprint(real["water"] * 0.5, SR)) > 0.999  # level change only: same sound
    assert float(a @ fingerprint(real["water"] + 1e-4 * real["fire"], SR)) > 0.995
    assert float(a @ fingerprint(real["fire"], SR)) < 0.95
