"""No success by accident: on real recordings, degenerate outputs fail every edit, the codec ceiling passes,
checks that a reference pair cannot judge are dropped for that item only, and kept classes need more than
one loud window."""

from __future__ import annotations

import numpy as np
import pytest

from audio_omni.eval import baselines, judging, spectral
from audio_omni.eval.ceiling import load_ceiling
from audio_omni.eval.runner import _as_output
from audio_omni.eval.success import Check, Evidence, Judges, checks_for, item_success, load_waves

EDITS = ("Add", "Remove", "Extract", "Style Transfer", "Replace", "Level", "Region")


@pytest.fixture(scope="module")
def judges():
    return Judges()


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """Real pairs of Debian clips, one per operation, drawn without verification (as a user's suite would be)."""
    from audio_omni.eval.benchmarks import build_debian_benchmark

    return build_debian_benchmark(tmp_path_factory.mktemp("suite") / "debian", per_operation=1, seconds=3.0,
                                  verify=False)


@pytest.fixture(scope="module")
def ceiling():
    return load_ceiling("codec-ceiling")


def _judge(item, suite, judges, system):
    waves, rate, voice_rate = load_waves(item, suite.root)
    answer = system(item, waves["source"], waves["target"], rate, 0)
    evidence = Evidence(item, {**waves, "output": _as_output(answer, rate)}, rate, judges, voice_rate=voice_rate)
    return checks_for(evidence)


def test_every_edit_is_judged_and_no_degenerate_output_passes(suite, judges, ceiling):
    items = [i for i in suite.items if i.operation in EDITS]
    systems = {name: baselines.make_system(name, suite=suite)[1] for name in baselines.DEGENERATE}
    for item in items:
        reference = item_success(_judge(item, suite, judges, baselines.oracle))
        assert reference == {"success": True, "identity_success": False, "oracle_success": True}, item.id
        assert item_success(_judge(item, suite, judges, baselines.identity))["success"] is False, item.id
        # the best output the small preset can write passes every band check (the tagger may still miss it)
        best = [c for c in _judge(item, suite, judges, ceiling) if c.kind in ("progress", "preserve", "balance")]
        assert best and all(c.output for c in best if c.judgeable), (item.id, [c.record() for c in best])
        for name, system in systems.items():
            checks = _judge(item, suite, judges, system)
            assert item_success(checks)["success"] is False, (item.id, name)
            # the output-sanity checks alone already refuse it
            sanity = [c for c in checks if c.kind in ("preserve", "balance") and c.judgeable]
            assert sanity and not all(c.output for c in sanity), (item.id, name, [c.record() for c in sanity])


def test_spectral_measures_on_a_real_pair(suite):
    item = next(i for i in suite.items if i.operation == "Remove")
    waves, rate, _ = load_waves(item, suite.root)
    pair = spectral.SpectralPair(waves["source"], waves["target"], rate)
    target, source = pair.picture(waves["target"], rate), pair.picture(waves["source"], rate)
    assert pair.progress(target).output == pytest.approx(1.0) and pair.progress(source).output == pytest.approx(0.0)
    assert pair.preserved(target).output == 0.0 and pair.preserved(source).output < 1.0
    louder = pair.picture(waves["source"] * 2.0, rate)  # +6 dB everywhere: the kept part moved by 6 dB
    moved = pair.preserved(louder).output
    assert 5.0 <= moved <= 7.1 and moved > spectral.PRESERVE_MAX_DB
    silent = pair.picture(np.zeros_like(waves["target"]), rate)
    assert pair.preserved(silent).output > 20 and pair.balance(silent).output > 20
    # an output that is only the removed event (the mix wiped) keeps nothing of the bed
    wiped = pair.picture(waves["residual"], rate)
    assert pair.preserved(wiped).output > spectral.PRESERVE_MAX_DB


def test_unjudgeable_check_is_dropped_for_its_item_only():
    progress = Check("edit progress", "progress", True, False, True)
    unknown = Check("Thing", "disappear", None, None, False, {"unknown": True})
    seen = Check("Dog", "disappear", False, True, True)  # the source already lacks the class: not judgeable
    assert not unknown.judgeable and unknown.why_not == "not a class of the tagger's label set"
    assert "identity passes" in seen.why_not
    assert item_success([progress, unknown, seen]) == {"success": True, "identity_success": False,
                                                       "oracle_success": True}
    # sanity checks alone do not make an item judged: the source passes them
    sanity = Check("preserved", "preserve", True, True, True)
    assert item_success([sanity, unknown])["success"] is None
    dropped = Check("edit progress", "progress", None, False, True, reason="too few cells changed")
    assert not dropped.judgeable and dropped.why_not == "too few cells changed"


def test_a_kept_class_needs_more_than_one_loud_window(judges):
    from audio_omni.assets import debian_package
    from audio_omni.audio.io import load_audio

    path = next(debian_package("sonic-pi-samples").rglob("loop_amen.flac"))
    wave, rate = load_audio(path, sample_rate=16000, channels=1)
    loop = np.tile(wave[0].numpy(), 4)[: 6 * 16000]
    music = judging.tag_view(judges.tagger, loop, 16000)
    index = judges.tagger.index["Music"]
    assert music.heard_fraction(index) > 0.5
    noisy = np.random.default_rng(0).standard_normal(len(loop)).astype(np.float32) * 0.01
    noisy[16000:32000] += loop[16000:32000]  # one second of the music in noise
    one_window = judging.tag_view(judges.tagger, noisy, 16000)
    assert 0 < one_window.heard_fraction(index) < 0.5 * music.heard_fraction(index)  # heard, but briefly:
    assert not judging.still_heard(one_window, music, index)  # not "kept"
    assert judging.still_heard(judging.tag_view(judges.tagger, 0.7 * loop, 16000), music, index)


def test_codec_ceiling_loads_the_right_codec_and_refuses_the_paper_preset_without_weights(official_tiny, tmp_path):
    from audio_omni.errors import AudioOmniError

    vae = load_ceiling(f"codec-ceiling:{official_tiny / 'model.ckpt'}")  # the VAE weights of an official file
    assert "Oobleck" in vae.described and vae.codec.sample_rate == 44100
    wave = np.random.default_rng(0).standard_normal((1, 4000)).astype(np.float32) * 0.1
    out, rate = vae(None, None, wave, 16000)
    assert rate == 44100 and out.shape == (2, 11025) and np.isfinite(out).all()
    assert np.array_equal(out, vae(None, None, wave, 16000)[0])  # the posterior mean: no draw
    with pytest.raises(AudioOmniError, match="Oobleck VAE, whose weights come only with a checkpoint"):
        load_ceiling("codec-ceiling:audio-omni")
    with pytest.raises(AudioOmniError, match="neither a preset"):
        load_ceiling(f"codec-ceiling:{tmp_path / 'nothing'}")


def test_a_model_report_carries_its_codec_ceiling(suite, tmp_path):
    from audio_omni.eval.command import run_evaluation

    report = run_evaluation("debug", suite.root, tmp_path / "debug", limit=1, steps=1, random_init=True,
                            progress=False)
    assert "debug" in report["ceiling"]
    record = report["records"][0]
    assert {"success", "si_sdr", "mel_distance"} <= set(record["ceiling_scores"])
    entry = report["summary"]["operations"][record["operation"]]
    assert "ceiling_success_rate" in entry and "ceiling_si_sdr" in entry
    assert "| ceiling |" in (tmp_path / "debug" / "report.md").read_text()
