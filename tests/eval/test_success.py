"""Success checks on real recordings: a voice changed into another voice, and how checks combine."""

from __future__ import annotations

import numpy as np
import pytest

from audio_omni.assets import debian_package
from audio_omni.audio.io import load_audio
from audio_omni.eval.success import Check, Evidence, Judges, checks_for, item_success
from audio_omni.eval.suites import SuiteItem

RATE = 16000


def _clip(package: str, name: str, seconds: float = 3.0) -> np.ndarray:
    path = next(debian_package(package).rglob(name))
    wave, _ = load_audio(path, sample_rate=RATE, channels=1)
    x = wave[0].numpy()[: int(seconds * RATE)]
    return np.pad(x, (0, int(seconds * RATE) - len(x)))


@pytest.fixture(scope="module")
def judges():
    return Judges()


def test_speech_style_transfer_is_judged_by_the_speaker_encoder(judges):
    """A recorded woman (Asterisk's Allison) changed into a man's voice (piper's joe) over running water: the new
    voice is heard in the target, not in the source; the voices are the stems, from the residual."""
    from audio_omni.data.sources.speech import available_voices, synthesize

    old = 0.3 * _clip("asterisk-core-sounds-en-wav", "vm-goodbye.wav")
    joe = next(v for v in available_voices("en") if v.id == "piper/en_US-joe-medium")
    spoken = synthesize("Goodbye, thank you for calling.", joe, sample_rate=RATE)[: len(old)]
    new = np.zeros_like(old)
    new[: len(spoken)] = 0.3 * spoken / np.abs(spoken).max()
    bed = 0.05 * _clip("minetest-data", "env_sounds_water.3.ogg")
    source, target, residual = (old + bed)[None], (new + bed)[None], bed[None]
    item = SuiteItem(id="st", operation="Style Transfer", instruction="Make the woman sound like a man.",
                     labels={"target": "Female speech, woman speaking", "present_before": ["Speech", "Water"],
                             "present_after": ["Speech", "Water"], "new": "Male speech, man speaking"},
                     extra={"domain": "speech"})
    # wrong outputs fail: the old voice, silence, and the bed without any voice (noise: test_degenerate_outputs)
    outputs = {"target": (target, True), "source": (source, False), "silence": (np.zeros_like(source), False),
               "the bed alone": (residual, False)}
    for name, (output, expected) in outputs.items():
        waves = {"output": output, "source": source, "target": target, "residual": residual}
        checks = checks_for(Evidence(item, waves, RATE, judges))
        speaker = [c for c in checks if c.kind == "speaker"]  # beside any "(kept)" check of the water bed
        assert len(speaker) == 1 and speaker[0].detail["voices_from"] == "speech stems"
        assert speaker[0].judgeable  # the oracle passes and the identity fails on this pair
        # the speaker encoder decides the change; the band checks only that the rest is kept (a new voice does
        # not move in place, so there is no "edit progress" check)
        assert {c.kind for c in checks} <= {"speaker", "keep", "preserve", "balance"}, name
        assert {"preserve", "balance"} <= {c.kind for c in checks}, name
        verdict = item_success(checks)
        assert verdict == {"success": expected, "identity_success": False, "oracle_success": True}, (name, checks)


def test_checks_combine_and_generation_has_no_identity():
    tagger = Check("Dog", "appear", True, False, True)
    kept = Check("Water", "present", True, True, True)  # Extract's kept class: the source passes it too
    assert tagger.judgeable and kept.judgeable
    assert item_success([tagger, kept]) == {"success": True, "identity_success": False, "oracle_success": True}
    generated = Check("Dog", "present", False, None, True)
    assert generated.judgeable and item_success([generated])["identity_success"] is None
    unseen = Check("Dog", "disappear", True, True, True)  # the source already lacks the class: not judgeable
    assert not unseen.judgeable and not unseen.record()["source_ok"]
    assert item_success([]) == {"success": None, "identity_success": None, "oracle_success": None}
    kept = Check("Water (kept)", "keep", False, True, True)  # a wiped mix: the removal "worked", the bed is gone
    assert kept.judgeable and item_success([Check("Dog", "disappear", True, False, True), kept])["success"] is False
