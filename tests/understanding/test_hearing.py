"""The frozen listeners on tiny real clips: a recorded prompt, glass breaking at known times, silence; and
the music measures on signals whose tempo and key are known by construction."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from audio_omni.assets import debian_package
from audio_omni.audio.io import load_audio
from audio_omni.eval import question_scores as qs
from audio_omni.eval.metrics import word_error_rate
from audio_omni.eval.question_items import event_spans
from audio_omni.understanding import AudioUnderstanding
from audio_omni.understanding.music import estimate_key, estimate_tempo

RATE = 16_000


@pytest.fixture(scope="module")
def ears():
    return AudioUnderstanding()


def _glass() -> np.ndarray:
    root = debian_package("minetest-data")
    path = sorted(root.rglob("default_break_glass.1.ogg"))[0]
    wave, _ = load_audio(path, sample_rate=RATE, channels=1)
    return wave[0].numpy()


def test_a_recorded_prompt_is_transcribed_with_its_language_and_word_times(ears):
    root = debian_package("asterisk-core-sounds-en-wav")
    path = sorted(root.rglob("please-try-call-later.wav"))[0]
    facts = ears.hear(path)
    assert facts.speech is not None and facts.speech.language == "en"
    assert word_error_rate("Please try your call again later.", facts.speech.transcript) <= 0.2
    words = [w for s in facts.speech.segments for w in s.words]
    assert words and all(0 <= w.start <= w.end <= facts.duration + 0.05 for w in words)
    assert "Speech" in facts.labels()
    assert qs.names_language(ears.answer("Welche Sprache wird gesprochen?", path, facts=facts), "en")
    assert "call" in ears.answer("What is said?", path, facts=facts).lower()


def test_glass_breaking_is_found_at_its_times_and_a_dog_is_not(ears):
    glass = _glass()[: int(0.8 * RATE)]
    clip = np.zeros(5 * RATE, np.float32)
    for onset in (0.5, 3.0):
        start = int(onset * RATE)
        clip[start : start + len(glass)] += glass
    truth = event_spans(clip, RATE)
    facts = ears.hear(clip, RATE)
    assert qs.yes_or_no(ears.answer("Is there glass breaking?", clip, RATE, facts=facts)) == "yes"
    assert qs.yes_or_no(ears.answer("Y a-t-il un chien ?", clip, RATE, facts=facts)) == "no"
    when = ears.answer("When do you hear glass?", clip, RATE, facts=facts)
    assert qs.span_iou(qs.time_spans(when), truth) >= 0.4, (when, truth)
    assert qs.first_number(ears.answer("How many times do you hear glass?", clip, RATE, facts=facts)) == 2
    description = ears.describe(clip, RATE)
    assert description["facts"]["events"] and "glass" in description["caption"].lower()


def test_silence_is_heard_as_silence_without_asking_the_models(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(2 * RATE, np.float32), RATE)
    ears = AudioUnderstanding()
    facts = ears.hear(path)
    assert facts.silent and facts.events == () and facts.speech is None and facts.music is None
    assert "silent" in ears.answer("Is there a dog?", path)
    assert "whisper" not in ears.listener.__dict__ and "pitch" not in ears.listener.__dict__  # nothing was run


def test_tempo_and_key_of_signals_built_to_have_them():
    t = np.arange(8 * RATE) / RATE
    clicks = np.zeros_like(t)
    for beat in np.arange(0, 8, 0.5):  # 120 BPM
        i = int(beat * RATE)
        clicks[i : i + 400] += np.hanning(400) * np.sin(2 * np.pi * 1000 * t[:400])
    assert abs(estimate_tempo(clicks, RATE) - 120.0) < 2.0
    notes = [57, 60, 64, 57, 62, 65, 64, 60]  # A C E / A D F / E C: A minor
    tone = np.concatenate([np.sin(2 * np.pi * 440 * 2 ** ((n - 69) / 12) * t[: RATE // 2]) for n in notes])
    assert estimate_key(tone, RATE)[0] == "A minor"
    assert estimate_tempo(np.zeros(RATE), RATE) is None


def test_the_command_answers_about_a_clip_with_the_default_model(tmp_path):
    glass = _glass()[: int(0.8 * RATE)]
    clip = np.zeros(4 * RATE, np.float32)
    for onset in (0.5, 2.5):
        clip[int(onset * RATE) : int(onset * RATE) + len(glass)] += glass
    path = tmp_path / "clip.wav"
    sf.write(path, clip, RATE)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "2"}

    def understand(*args):
        return subprocess.run([sys.executable, "-m", "audio_omni.cli", "understand", *args], capture_output=True,
                              text=True, env=env, timeout=600)

    out = understand("--audio", str(path), "Wie oft hört man Glas?")
    assert out.returncode == 0, out.stderr
    assert qs.first_number(out.stdout) == 2 and " Mal" in out.stdout and len(qs.time_spans(out.stdout)) == 2
    missing = understand("--audio", str(tmp_path / "nope.wav"), "What do you hear?")
    errors = [line for line in missing.stderr.splitlines() if line.startswith("error:")]
    assert missing.returncode == 2 and len(errors) == 1 and "Traceback" not in missing.stderr, missing.stderr
