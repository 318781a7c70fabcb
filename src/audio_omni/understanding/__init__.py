"""Understanding audio with frozen models, for language models that read text only (the small preset).

    from audio_omni.understanding import AudioUnderstanding
    ears = AudioUnderstanding()
    ears.answer("When does the dog bark?", "clip.wav")      # "dog at 1.0–1.9 s, 3.4–4.3 s."
    ears.describe("clip.wav")                               # {"caption": ..., "facts": {...}}

Hearing (:mod:`.hearing`) turns a clip into facts: sound events with times (YAMNet), speech (Whisper-base),
music descriptors, loudness and duration. Questions (:mod:`.questions`) are parsed for their language, kind and
the sounds they name, and answered from the facts by templates (:mod:`.answers`) in the question's language.
Small language models given the same facts (:mod:`.llm`) are compared with the templates by
``benchmarks/bench_understanding_answers.py``; docs/understanding.md has the numbers.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

from audio_omni.errors import InstructionError
from audio_omni.understanding.answers import answer as answer_from_facts
from audio_omni.understanding.answers import caption
from audio_omni.understanding.hearing import AudioFacts, Listener
from audio_omni.understanding.questions import Question, parse_question

__all__ = [
    "AudioFacts",
    "AudioUnderstanding",
    "Listener",
    "Question",
    "caption",
    "listens_for",
    "parse_question",
    "shared",
]

MAX_QUESTION_CHARS = 2000


def _fingerprint(audio, sample_rate) -> str | None:
    """A key for a clip's content: the file's path, size and mtime, or a hash of the array's samples."""
    if isinstance(audio, (str, Path)):
        path = Path(audio)
        if not path.is_file():
            return None  # the loader says what is wrong
        stat = path.stat()
        return f"file:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    try:
        data = np.ascontiguousarray(audio.detach().cpu().numpy() if hasattr(audio, "detach") else audio)
    except (TypeError, ValueError):
        return None
    return f"array:{sample_rate}:{data.dtype}:{data.shape}:{hashlib.sha1(data.tobytes()).hexdigest()}"


def check_question(question) -> str:
    """The question, stripped; an empty or overlong one is an :class:`InstructionError`."""
    if not isinstance(question, str) or not question.strip():
        raise InstructionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InstructionError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    return " ".join(question.split())


class AudioUnderstanding:
    """Answers questions about clips from what frozen models hear in them (see the module docstring)."""

    def __init__(self, listener: Listener | None = None, remember: int = 8) -> None:
        self.listener = listener or Listener()
        self.remember = remember
        self._heard: OrderedDict[str, AudioFacts] = OrderedDict()

    def hear(self, audio, sample_rate: int | None = None) -> AudioFacts:
        """The clip's facts; the last ``remember`` clips are kept (by content), so that several questions
        about one clip hear it once."""
        key = _fingerprint(audio, sample_rate)
        if key is not None and key in self._heard:
            self._heard.move_to_end(key)
            return self._heard[key]
        facts = self.listener.hear(audio, sample_rate)
        if key is not None and self.remember > 0:
            self._heard[key] = facts
            while len(self._heard) > self.remember:
                self._heard.popitem(last=False)
        return facts

    def parse(self, question: str) -> Question:
        return parse_question(check_question(question), self.listener.labels)

    def answer(self, question: str, audio, sample_rate: int | None = None, facts: AudioFacts | None = None) -> str:
        """Answer ``question`` about ``audio`` (a path, or an array with ``sample_rate``); ``facts`` skips hearing
        when the clip was heard already."""
        parsed = self.parse(question)  # a bad question fails before the clip is heard
        facts = facts if facts is not None else self.hear(audio, sample_rate)
        return answer_from_facts(parsed, facts)

    def describe(self, audio, sample_rate: int | None = None, language: str = "en") -> dict:
        """The structured description: ``{"caption": ..., "facts": {...}}`` (JSON-ready)."""
        facts = self.hear(audio, sample_rate)
        return {"caption": caption(facts, language), "facts": facts.to_json()}


_SHARED: AudioUnderstanding | None = None


def listens_for(model: str) -> AudioUnderstanding | None:
    """The shared :class:`AudioUnderstanding` when ``model`` (a preset, checkpoint directory or file) has a
    text-only MLLM, whose questions about audio it answers; None when the MLLM hears audio itself. Only the
    config is read: no weights are needed."""
    from audio_omni.models.builders import mllm_hears_audio
    from audio_omni.models.locate import resolve_model

    return None if mllm_hears_audio(resolve_model(model, random_init=True).config) else shared()


def shared() -> AudioUnderstanding:
    """One instance per process, so that the frozen models load once."""
    global _SHARED
    if _SHARED is None:
        _SHARED = AudioUnderstanding()
    return _SHARED
