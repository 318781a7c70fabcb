"""The spectral-gate baseline separates what it is built for (a stationary bed from short events) and loses
where the instruction asks for the opposite; other operations return the source unchanged."""

from __future__ import annotations

import numpy as np

from audio_omni.eval.baselines import spectral_gate
from audio_omni.eval.metrics import si_sdr
from audio_omni.eval.suites import SuiteItem

RATE = 16000


def _hum_and_bursts():
    t = np.arange(3 * RATE) / RATE
    hum = (0.1 * np.sin(2 * np.pi * 300 * t) + 0.05 * np.sin(2 * np.pi * 1250 * t)).astype(np.float32)
    bursts = np.zeros_like(hum)
    rng = np.random.default_rng(0)
    for start in (0.4, 1.3, 2.2):
        a = int(start * RATE)
        bursts[a : a + RATE // 8] = 0.3 * rng.standard_normal(RATE // 8)
    return hum[None], bursts[None]


def _gate(operation: str, mixture: np.ndarray) -> np.ndarray:
    out, rate = spectral_gate(SuiteItem("x", operation, f"{operation} the sound."), mixture, None, RATE)
    assert rate == RATE and out.shape == mixture.shape
    return out


def test_the_gate_separates_a_stationary_bed_from_bursts():
    hum, bursts = _hum_and_bursts()
    mixture = hum + bursts
    kept = _gate("Remove", mixture)  # remove the bursts: the bed stays
    assert si_sdr(kept, hum) > si_sdr(mixture, hum) + 10
    extracted = _gate("Extract", mixture)  # extract the bursts
    assert si_sdr(extracted, bursts) > si_sdr(mixture, bursts) + 10


def test_the_gate_loses_when_the_stationary_sound_is_the_one_to_remove():
    hum, bursts = _hum_and_bursts()
    mixture = hum + bursts
    # "Remove the hum": the target is the bursts, but the gate keeps the stationary part whatever it is told
    out = _gate("Remove", mixture)
    assert si_sdr(out, bursts) < si_sdr(mixture, bursts) - 10  # worse than doing nothing


def test_other_operations_return_the_source():
    hum, bursts = _hum_and_bursts()
    for operation in ("Add", "Style Transfer", "Replace", "Level", "Region", "SpeechEdit"):
        assert np.array_equal(_gate(operation, hum + bursts), hum + bursts), operation
    assert spectral_gate(SuiteItem("g", "T2A", "rain"), None, hum, RATE) is None  # nothing to gate


def test_shuffled_skips_another_answer_of_the_same_scene(tmp_path):
    """Two Replace items that end in the same scene (one bed, the same new sound) share a right answer: the
    shuffled baseline must hand out a target of other sounds, not that one."""
    import json

    import soundfile as sf

    from audio_omni.eval.baselines import Shuffled
    from audio_omni.eval.suites import read_suite

    (tmp_path / "audio").mkdir()
    rate = 16000
    scenes = [["Vehicle", "Explosion"], ["Vehicle", "Explosion"], ["Music", "Speech"]]
    lines = []
    for k, after in enumerate(scenes):
        for role in ("source", "target"):
            tone = np.sin(2 * np.pi * (220 + 110 * k + (role == "target") * 55) * np.arange(rate) / rate)
            sf.write(tmp_path / "audio" / f"i{k}.{role}.flac", (0.3 * tone).astype(np.float32), rate)
        lines.append(json.dumps({
            "id": f"i{k}", "operation": "Replace", "instruction": "Replace 'a' with 'b'.", "language": "en",
            "domain": "sound", "source": f"audio/i{k}.source.flac", "target": f"audio/i{k}.target.flac",
            "labels": {"target": "Dog", "new": after[1], "present_before": [after[0], "Dog"], "present_after": after},
        }))
    (tmp_path / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    suite = read_suite(tmp_path)
    shuffled = Shuffled(suite)
    first = suite.items[0]
    wave, _ = shuffled(first, None, None, rate)
    expected, _ = sf.read(tmp_path / "audio" / "i2.target.flac", dtype="float32")
    np.testing.assert_allclose(np.asarray(wave).reshape(-1), expected, atol=1e-4)
