"""Hearing: what frozen models and plain signal measures can tell about a clip, as structured facts.

One :class:`Listener` owns the frozen models (loaded on first use, shared by every clip) and turns a clip into
:class:`AudioFacts`:

* duration, integrated loudness (LUFS) and peak level; a clip whose peak stays below ``SILENT_PEAK_DBFS`` is
  silent and nothing else is asked of the models (they would hallucinate on it);
* sound events over time: YAMNet on sliding windows merged into labelled segments (:mod:`.events`), with the
  catalogue head's classes beside the tagger's (:mod:`.catalog_head`: the data engine's vocabulary, such as
  "Soundtrack music" or "Outside, urban or manmade", learned on the tagger's embeddings);
* speech, when the tagger hears it: Whisper-base's language and transcript with segment and word times;
* music, when the tagger hears it: tempo, key, pitch range (CREPE tiny) and the instrument, genre and mood
  classes of the tagger (:mod:`.music`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_omni.understanding.catalog_head import CatalogHead, merge_tagger
from audio_omni.understanding.events import (
    NOT_EVENTS,
    SoundSegment,
    class_segments,
    envelope_db,
    window_spans,
    with_counts,
)
from audio_omni.understanding.music import MusicFacts, estimate_key, estimate_tempo, pitch_range
from audio_omni.understanding.occurrences import foreground

RATE = 16_000
#: A clip whose peak stays below this is silent.
SILENT_PEAK_DBFS = -60.0
#: The tagger's windows (0.96 s) start every this many 10 ms frames.
TAGGER_HOP_FRAMES = 16
#: Tagger windows quieter than this (RMS, dBFS) or this far below the loudest one carry no sound.
SILENT_WINDOW_DBFS = -60.0
SILENT_WINDOW_RELATIVE_DB = 50.0
#: Tagger classes that mean someone speaks (Whisper runs only then) and that mean music (descriptors then).
SPEECH_CLASSES = (
    "Speech",
    "Male speech, man speaking",
    "Female speech, woman speaking",
    "Child speech, kid speaking",
    "Conversation",
    "Narration, monologue",
    "Speech synthesizer",
)
MUSIC_CLASSES = ("Music", "Musical instrument")
SPEECH_THRESHOLD = 0.3
MUSIC_THRESHOLD = 0.3
#: Instrument / genre / mood classes named when their clip-level probability reaches this.
MUSIC_TAG_THRESHOLD = 0.05
#: The tagger's class map, by position: instruments, then genres, then moods (AudioSet ontology order).
INSTRUMENT_RANGE = ("Plucked string instrument", "Scratching (performance technique)")
GENRE_RANGE = ("Pop music", "Wedding music")
MOOD_RANGE = ("Happy music", "Scary music")
#: Whisper segments whose no-speech probability is above this are dropped (hallucinations on noise).
NO_SPEECH_LIMIT = 0.6


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class SpeechSegment:
    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class SpeechFacts:
    language: str  # ISO 639-1, Whisper's detection (or the caller's hint)
    language_probability: float
    transcript: str
    segments: tuple[SpeechSegment, ...] = ()

    def to_json(self) -> dict:
        return {
            "language": self.language,
            "language_probability": round(self.language_probability, 3),
            "transcript": self.transcript,
            "segments": [
                {
                    "start": round(s.start, 2),
                    "end": round(s.end, 2),
                    "text": s.text,
                    "words": [{"word": w.text, "start": round(w.start, 2), "end": round(w.end, 2)} for w in s.words],
                }
                for s in self.segments
            ],
        }


@dataclass(frozen=True)
class AudioFacts:
    duration: float  # seconds
    peak_dbfs: float
    silent: bool
    events: tuple[SoundSegment, ...] = ()
    tags: tuple[tuple[str, float], ...] = ()  # clip-level classes (mean over windows with sound), best first
    speech: SpeechFacts | None = None
    music: MusicFacts | None = None
    timings: dict = field(default_factory=dict, compare=False)  # seconds spent per stage
    #: [T, 64] log-mel above the steady background, 10 ms frames (:mod:`.occurrences`); not part of the JSON
    foreground: np.ndarray | None = field(default=None, compare=False, repr=False)
    #: the clip, 16 kHz mono: loudness is measured from it when first asked for (the BS.1770 meter's imports
    #: cost more CPU than the tagger does on a 10 s clip, and a caption does not need it)
    mono: np.ndarray | None = field(default=None, compare=False, repr=False)

    @functools.cached_property
    def loudness_lufs(self) -> float | None:
        """Integrated loudness (ITU-R BS.1770) in LUFS; None when silent or unmeasurable."""
        if self.silent or self.mono is None:
            return None
        from audio_omni.audio.io import loudness_lufs

        lufs = loudness_lufs(self.mono, RATE)
        return lufs if math.isfinite(lufs) else None

    def labels(self) -> list[str]:
        """The classes of the segments, most confident first, each once."""
        best: dict[str, float] = {}
        for s in self.events:
            best[s.label] = max(best.get(s.label, 0.0), s.confidence)
        return sorted(best, key=lambda k: -best[k])

    def segments_of(self, labels) -> list[SoundSegment]:
        wanted = set(labels)
        return [s for s in self.events if s.label in wanted]

    def to_json(self) -> dict:
        """The structured description (JSON-ready): every fact with its times and confidences."""
        return {
            "duration_s": round(self.duration, 2),
            "loudness_lufs": None if self.loudness_lufs is None else round(self.loudness_lufs, 1),
            "peak_dbfs": round(self.peak_dbfs, 1) if math.isfinite(self.peak_dbfs) else None,
            "silent": self.silent,
            "events": [s.to_json() for s in self.events],
            "tags": [{"label": n, "confidence": round(p, 3)} for n, p in self.tags],
            "speech": None if self.speech is None else self.speech.to_json(),
            "music": None if self.music is None else self.music.to_json(),
        }


def _rms_db(samples: np.ndarray) -> float:
    """RMS level in dBFS (-200 for nothing)."""
    if samples.size == 0:
        return -200.0
    return 20 * math.log10(max(math.sqrt(float(np.mean(np.square(samples, dtype=np.float64)))), 1e-10))


def _class_range(labels: list[str], first: str, last: str) -> list[int]:
    return list(range(labels.index(first), labels.index(last) + 1))


class Listener:
    """Frozen models that hear a clip (see the module docstring). Each is loaded when first needed."""

    def __init__(self, tagger=None, whisper=None, pitch=None, threads: int = 2,
                 head: CatalogHead | None | str = "installed") -> None:
        """``head``: the catalogue head ("installed": the one the package ships, if any; None: the tagger's
        classes alone)."""
        self._tagger, self._whisper, self._pitch = tagger, whisper, pitch
        self.threads = threads
        self.head = CatalogHead.installed() if head == "installed" else head

    @property
    def labels(self) -> list[str]:
        """Every class this listener can name: the tagger's, then the head's that the tagger lacks."""
        labels = list(self.tagger.labels)
        known = set(labels)
        return labels + [name for name in (self.head.labels if self.head else ()) if name not in known]

    @functools.cached_property
    def tagger(self):
        if self._tagger is not None:
            return self._tagger
        from audio_omni.judges.yamnet import YamnetTagger

        return YamnetTagger.from_installed(threads=self.threads)

    @functools.cached_property
    def whisper(self):
        if self._whisper is not None:
            return self._whisper
        from audio_omni.judges.whisper import WhisperJudge

        return WhisperJudge.from_installed(threads=self.threads)

    @functools.cached_property
    def pitch(self):
        if self._pitch is not None:
            return self._pitch
        from audio_omni.judges.pitch import CrepePitch

        return CrepePitch.from_installed("tiny")

    # -------------------------------------------------------------------------------------------------------

    def hear(self, audio, sample_rate: int | None = None, speech_language: str | None = None) -> AudioFacts:
        """Facts about ``audio`` (a path, or an array / tensor with ``sample_rate``). ``speech_language``: the
        spoken language when the caller knows it (Whisper then transcribes in it instead of guessing)."""
        import time

        from audio_omni.audio.io import load_audio, prepare_audio

        if isinstance(audio, (str, Path)):
            wave, _ = load_audio(audio, sample_rate=RATE, channels=1, max_seconds=600.0)
        else:
            if sample_rate is None:
                from audio_omni.errors import AudioInputError

                raise AudioInputError("audio: an in-memory array needs its sample_rate")
            wave, _ = prepare_audio(audio, sample_rate, RATE, channels=1, max_seconds=600.0, name="audio")
        mono = wave[0].numpy().astype(np.float32)
        duration = len(mono) / RATE
        peak = float(np.abs(mono).max()) if mono.size else 0.0
        peak_db = 20 * math.log10(peak) if peak > 0 else -math.inf
        if peak_db < SILENT_PEAK_DBFS:
            return AudioFacts(duration=duration, peak_dbfs=peak_db, silent=True)
        timings = {}
        started = time.perf_counter()
        events, tags, probabilities = self._events(mono, duration)
        fg = foreground(mono)
        timings["tagger"] = time.perf_counter() - started
        index = self.tagger.index
        speech = music = None
        if max(probabilities[index[c]] for c in SPEECH_CLASSES if c in index) >= SPEECH_THRESHOLD:
            started = time.perf_counter()
            speech = self._speech(mono, speech_language)
            timings["whisper"] = time.perf_counter() - started
        if max(probabilities[index[c]] for c in MUSIC_CLASSES) >= MUSIC_THRESHOLD:
            started = time.perf_counter()
            music = self._music(mono, probabilities)
            timings["music"] = time.perf_counter() - started
        return AudioFacts(
            duration=duration,
            peak_dbfs=peak_db,
            silent=False,
            events=tuple(events),
            tags=tuple(tags),
            speech=speech,
            music=music,
            timings={k: round(v, 3) for k, v in timings.items()},
            foreground=fg,
            mono=mono,
        )

    def _events(self, mono: np.ndarray, duration: float):
        """(segments, clip-level tags, per-class peak probability over windows with sound)."""
        from audio_omni.judges import yamnet

        patches, embeddings, _ = self.tagger.patch_analysis(mono, RATE, hop_frames=TAGGER_HOP_FRAMES)
        labels, ignore = self.tagger.labels, NOT_EVENTS
        if self.head is not None:
            # the head's classes replace the tagger's scene classes (never reported from the tagger) and
            # raise the others where the head hears them better
            patches, labels = merge_tagger(patches, labels, self.head.window_probabilities(embeddings),
                                           self.head.labels, untrusted=NOT_EVENTS)
            ignore = NOT_EVENTS - set(self.head.labels)
        hop = TAGGER_HOP_FRAMES * yamnet.HOP / RATE
        window = (yamnet.WINDOW + (yamnet.PATCH_FRAMES - 1) * yamnet.HOP) / RATE
        spans = window_spans(len(patches), hop, window, duration)
        level = envelope_db(mono, RATE)
        starts = np.arange(len(patches)) * hop
        win_db = np.array([_rms_db(mono[int(a * RATE) : int((a + window) * RATE)]) for a in starts])
        active = (win_db > SILENT_WINDOW_DBFS) & (win_db > win_db.max() - SILENT_WINDOW_RELATIVE_DB)
        segments = with_counts(class_segments(patches, active, labels, spans, ignore=ignore), level)
        rows = patches[active] if active.any() else patches
        clip = rows.mean(0)
        order = np.argsort(-clip, kind="stable")[:10]
        tags = [(labels[i], float(clip[i])) for i in order if labels[i] not in ("Silence",)]
        return segments, tags, rows.max(0)

    def _speech(self, mono: np.ndarray, language: str | None) -> SpeechFacts | None:
        model = self.whisper.model
        if language is not None and language not in getattr(model, "supported_languages", (language,)):
            language = None
        segments, info = model.transcribe(
            mono,
            language=language,
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            word_timestamps=True,
            vad_filter=False,
        )
        kept = []
        for seg in segments:
            if seg.no_speech_prob > NO_SPEECH_LIMIT or not seg.text.strip():
                continue
            words = tuple(
                Word(w.word.strip(), float(w.start), float(w.end)) for w in (seg.words or ()) if w.word.strip()
            )
            kept.append(SpeechSegment(seg.text.strip(), float(seg.start), float(seg.end), words))
        if not kept:
            return None
        text = " ".join(s.text for s in kept).strip()
        return SpeechFacts(info.language, float(info.language_probability), text, tuple(kept))

    def _music(self, mono: np.ndarray, probabilities: np.ndarray) -> MusicFacts:
        labels = self.tagger.labels

        def named(first: str, last: str) -> tuple[tuple[str, float], ...]:
            found = [
                (labels[i], float(probabilities[i]))
                for i in _class_range(labels, first, last)
                if probabilities[i] >= MUSIC_TAG_THRESHOLD
            ]
            return tuple(sorted(found, key=lambda x: -x[1])[:5])

        key, key_corr = estimate_key(mono, RATE)
        track = self.pitch.track(mono, RATE, hop_seconds=0.02)
        return MusicFacts(
            tempo_bpm=estimate_tempo(mono, RATE),
            key=key,
            key_confidence=key_corr,
            pitch_range=pitch_range(track),
            instruments=named(*INSTRUMENT_RANGE),
            genres=named(*GENRE_RANGE),
            moods=named(*MOOD_RANGE),
        )
