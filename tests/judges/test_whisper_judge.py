"""Whisper-base (faster-whisper) on real recorded speech with known transcripts."""

from __future__ import annotations

import re

from audio_omni.audio.io import load_audio
from audio_omni.eval.metrics import word_error_rate


def test_whisper_transcribes_librivox_and_names_the_language():
    from audio_omni.assets import debian_package
    from audio_omni.judges.whisper import WhisperJudge

    data = debian_package("pocketsphinx-testdata") / "usr/share/pocketsphinx/test/data/librivox"
    lines = (data / "transcription").read_text().splitlines()
    judge = WhisperJudge.from_installed()
    errors = []
    for line in lines[1:3]:
        match = re.match(r"<s> (.*) </s> \((.*)\)", line)
        text, name = match.group(1), match.group(2)
        wave, rate = load_audio(data / f"{name}.wav")
        result = judge.transcribe(wave, rate, language="en")
        errors.append(word_error_rate(text, result.text))
    assert max(errors) <= 0.2, errors
    language, probability = judge.language(wave, rate)
    assert language == "en" and probability > 0.5
