"""Material -> float tracks: one component of a pair (a sound event, a background bed, a spoken sentence, the
rendered stems of a score), full length, with what it is and where it came from.

:class:`Synthesizer` makes them for one process and keeps decoded clips and synthetic utterances cached. All
randomness comes from the ``rng`` passed in; nothing reads a global RNG.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from audio_omni.atomic import open_atomic
from audio_omni.data.instructions import text_id
from audio_omni.data.material import SpeechSource, SplitPool, gender_of
from audio_omni.data.mixer import (
    ClipCache,
    MixSettings,
    apply_fades,
    clipped_fraction,
    excerpt,
    loop_to,
    place,
    random_effect,
    vary_timbre,
)
from audio_omni.errors import AudioOmniError
from audio_omni.paths import cache_dir

__all__ = ["PairError", "Synthesizer", "Track", "describe", "labels_of", "sum_tracks"]

SPEECH_LABELS = {"female": "Female speech, woman speaking", "male": "Male speech, man speaking", "": "Speech"}
SPEECH_DESCRIPTIONS = {"female": "a woman speaking", "male": "a man speaking", "": "a person speaking"}
SPEECH_LABELS_TO_GENDER = {v: k for k, v in SPEECH_LABELS.items()}


class PairError(AudioOmniError):
    """This attempt at a pair cannot be made (no suitable material, an unreadable clip, too long speech...)."""


@dataclass
class Track:
    """One component of a pair: a full-length float track and what it is."""

    wave: np.ndarray
    label: str | None
    description: str
    clip_ids: list[str]
    groups: list[str]
    span: tuple[float, float]
    info: dict = field(default_factory=dict)
    raw_clipping: float = 0.0


def describe(label: str) -> str:
    from audio_omni.data.sources.taxonomy import LABELS

    return LABELS[label].caption if label in LABELS else label.lower()


class Synthesizer:
    """Turns material into tracks for one process (keeps decoded clips and utterances cached)."""

    def __init__(self, settings: MixSettings):
        self.s = settings
        self.clips = ClipCache(settings.sample_rate)
        self._tts_dir = cache_dir() / "tts-utterances"

    @property
    def length(self) -> int:
        return self.s.length

    # -- sound ------------------------------------------------------------------------------------
    def sound_event(self, pool: SplitPool, rng, exclude: set[str] = frozenset(), seconds=None, start=None) -> Track:
        candidates = [r for r in pool.sound if r.label not in exclude]
        if not candidates:
            raise PairError(f"no sound clip in {pool.split} outside {sorted(exclude)}")
        clip = candidates[int(rng.integers(len(candidates)))]
        sr, n_total = self.s.sample_rate, self.length
        wave = self.clips.load(clip.path)
        want = seconds if seconds is not None else float(rng.uniform(1.0, 0.7 * self.s.seconds))
        n = min(len(wave), int(want * sr), n_total)
        piece = excerpt(wave, n, rng)
        raw_clip = clipped_fraction(piece)
        info: dict = {}
        piece = self._vary(piece, rng, info)
        piece = apply_fades(piece, sr, self.s.fade_s, min(0.2, 0.1 * n / sr))
        if rng.random() < self.s.effect_probability:
            piece, info = random_effect(piece, sr, rng)
        if start is None:
            start = int(rng.integers(0, n_total - len(piece) + 1))
        track = place(piece, n_total, start)
        span = (start / sr, min(n_total, start + len(piece)) / sr)
        return Track(track, clip.label, describe(clip.label), [clip.id], [clip.group], span, info, raw_clip)

    def bed(self, pool: SplitPool, rng, exclude: set[str] = frozenset(), music: bool | None = None) -> Track:
        beds = [r for r in pool.beds if r.label not in exclude and (music is None or (r.domain == "music") == music)]
        if not beds:
            raise PairError(f"no background bed in {pool.split}")
        clip = beds[int(rng.integers(len(beds)))]
        sr, n = self.s.sample_rate, self.length
        wave = self.clips.load(clip.path)
        piece = loop_to(excerpt(wave, n, rng), n, sr)
        raw_clip = clipped_fraction(piece)
        info: dict = {}
        piece = apply_fades(self._vary(piece, rng, info), sr, 0.1, 0.1)
        description = describe(clip.label) if clip.domain != "music" else "background music"
        label = clip.label
        return Track(piece, label, description, [clip.id], [clip.group], (0.0, self.s.seconds), info, raw_clip)

    def _vary(self, piece: np.ndarray, rng, info: dict) -> np.ndarray:
        """Re-voice a clip with probability ``vary_probability`` (recorded in ``info["voicing"]``). With the
        probability 0 nothing is drawn from ``rng``, so builds without the option stay as they were."""
        if self.s.vary_probability and rng.random() < self.s.vary_probability:
            piece, params = vary_timbre(piece, self.s.sample_rate, rng)
            if params:
                info["voicing"] = params
        return piece

    # -- speech -----------------------------------------------------------------------------------
    def utterance(self, text: str, source: SpeechSource) -> np.ndarray:
        """Synthetic speech at the pair rate, cached on disk (it depends only on text, voice and rate)."""
        from audio_omni.data.sources.speech import synthesize

        key = hashlib.sha1(f"{source.id}|{self.s.sample_rate}|{text}".encode()).hexdigest()
        path = self._tts_dir / key[:2] / f"{key}.npy"
        if path.is_file():
            try:
                return np.load(path)
            except Exception:  # a damaged cache entry is made again
                pass
        wave = synthesize(text, source.voice, self.s.sample_rate)
        with open_atomic(path) as f:
            np.save(f, wave)
        return wave

    def speech_sources(self, pool: SplitPool, language: str) -> list[SpeechSource]:
        return list(pool.voices.get(language, []))

    def pick_voice(self, pool: SplitPool, language: str, rng, gender_not: str | None = None,
                   exclude=()) -> SpeechSource:  # fmt: skip
        voices = [v for v in self.speech_sources(pool, language) if v.id not in exclude]
        if gender_not is not None:
            other = [v for v in voices if v.gender and v.gender != gender_not]
            voices = other or voices
        if not voices:
            raise PairError(f"no synthetic voice for {language!r}")
        return voices[int(rng.integers(len(voices)))]

    def speech_track(self, wave: np.ndarray, rng, start: int | None = None) -> tuple[np.ndarray, int]:
        n = self.length
        if len(wave) > n - int(0.1 * self.s.sample_rate):
            raise PairError("utterance longer than the pair")
        if start is None:
            start = int(rng.integers(0, n - len(wave) + 1))
        return place(wave, n, start), start

    def speech(self, pool: SplitPool, rng, language: str | None = None, synthetic_only: bool = False) -> Track:
        """A spoken sentence placed in the track: a recorded prompt, or a synthetic voice reading a text."""
        sr = self.s.sample_rate
        langs = sorted(lang for lang, texts in pool.texts.items() if texts and pool.voices.get(lang))
        lang = language if language is not None else (langs[int(rng.integers(len(langs)))] if langs else None)
        recorded = [r for r in pool.recorded if r.language == lang]
        if recorded and not synthetic_only and rng.random() < 0.3:
            rec = recorded[int(rng.integers(len(recorded)))]
            wave = self.clips.load(rec.path)
            raw_clip = clipped_fraction(wave)
            track, start = self.speech_track(apply_fades(wave, sr, 0.01, 0.01), rng)
            gender = gender_of(rec.caption)
            info = {"speaker": rec.speaker or rec.id, "language": lang, "transcript": rec.transcript,
                    "text": rec.transcript}  # fmt: skip
            span = (start / sr, (start + len(wave)) / sr)
            return Track(track, SPEECH_LABELS[gender], SPEECH_DESCRIPTIONS[gender], [rec.id], [rec.group], span, info,
                         raw_clip)  # fmt: skip
        if lang is None or not pool.texts.get(lang):
            raise PairError(f"no sentence for {language!r} in {pool.split}")
        texts = pool.texts[lang]
        text = texts[int(rng.integers(len(texts)))]
        voice = self.pick_voice(pool, lang, rng)
        return self.spoken(text, lang, voice, rng)

    def spoken(self, text: str, lang: str, voice: SpeechSource, rng, start: int | None = None) -> Track:
        sr = self.s.sample_rate
        wave = self.utterance(text, voice)
        track, start = self.speech_track(wave, rng, start)
        tid = text_id(lang, text)
        info = {"speaker": voice.id, "language": lang, "transcript": text, "text": text}
        span = (start / sr, (start + len(wave)) / sr)
        return Track(track, SPEECH_LABELS[voice.gender], SPEECH_DESCRIPTIONS[voice.gender],
                     [f"tts/{voice.id}/{tid}"], [f"text/{tid}"], span, info)  # fmt: skip

    # -- music ------------------------------------------------------------------------------------
    def score_stems(self, pool: SplitPool, rng, programs: dict[str, int] | None = None, score: str | None = None,
                    offset: float | None = None) -> tuple[str, float, dict[str, int], dict[str, Track]]:  # fmt: skip
        """Rendered stems of a score excerpt (from the score list, or a catalogued stem record)."""
        from audio_omni.data.sources.music import default_programs, render_parts
        from audio_omni.data.sources.soundfont import audioset_label, program_name

        if score is None:
            if not pool.scores:
                raise PairError(f"no score in {pool.split}")
            score = pool.scores[int(rng.integers(len(pool.scores)))]
            offset = float(self.s.seconds * int(rng.integers(0, 3)))
        chosen = default_programs(score)
        chosen.update(programs or {})
        try:
            stems = render_parts(score, chosen, self.s.seconds, self.s.sample_rate, offset)
        except AudioOmniError as exc:
            raise PairError(f"score {score} at {offset} s: {exc}") from None
        tracks = {}
        for part, wave in stems.items():
            program = chosen[part]
            name = program_name(program).lower()
            tracks[part] = Track(wave.astype(np.float32), audioset_label(program), name,
                                 [f"music21/{score}@{offset:g}/{part}"], [f"music21/{score}"], (0.0, self.s.seconds),
                                 {"program": program, "part": part})  # fmt: skip
        return score, float(offset), chosen, tracks

    def stem_record(self, pool: SplitPool, rng) -> dict[str, Track]:
        from audio_omni.data.sources.music import instrument_label

        rec = pool.stem_records[int(rng.integers(len(pool.stem_records)))]
        n = self.length
        tracks = {}
        first = None
        for name, path in sorted(rec.stems.items()):
            wave = self.clips.load(path)
            if first is None:
                first = int(rng.integers(0, max(1, len(wave) - n + 1)))
            piece = np.zeros(n, np.float32)
            chunk = wave[first : first + n]
            piece[: len(chunk)] = chunk
            try:
                label = instrument_label(name)
            except AudioOmniError:
                label = "Musical instrument"
            tracks[name] = Track(piece, label, name.lower(), [f"{rec.id}/{name}"], [rec.group], (0.0, self.s.seconds))
        return tracks

    def music(self, pool: SplitPool, rng) -> tuple[Track, Track, dict]:
        """(foreground stem, the other stems summed, recipe) of a piece with exact stems."""
        use_records = pool.stem_records and (not pool.scores or rng.random() < 0.3)
        if use_records:
            tracks, recipe = self.stem_record(pool, rng), {}
        else:
            score, offset, programs, tracks = self.score_stems(pool, rng)
            recipe = {"score": score, "offset": offset, "programs": programs}
        names = sorted(tracks)
        audible = [n for n in names if float(np.abs(tracks[n].wave).max()) > 1e-3]
        if len(audible) < 2:
            raise PairError("fewer than two audible stems")
        fg_name = audible[int(rng.integers(len(audible)))]
        fg = tracks[fg_name]
        others = [tracks[n] for n in names if n != fg_name]
        rest = sum_tracks(others, "the other instruments")
        recipe["part"] = fg_name
        return fg, rest, recipe


def sum_tracks(tracks: list[Track], description: str) -> Track:
    wave = np.sum([t.wave for t in tracks], axis=0, dtype=np.float64).astype(np.float32)
    labels = [t.label for t in tracks if t.label]
    return Track(
        wave, labels[0] if len(labels) == 1 else None, description,
        [c for t in tracks for c in t.clip_ids], [g for t in tracks for g in t.groups], (0.0, 0.0),
        {"labels": labels}, max((t.raw_clipping for t in tracks), default=0.0),
    )  # fmt: skip


def labels_of(track: Track | None) -> list[str]:
    if track is None:
        return []
    return list(track.info.get("labels", [track.label] if track.label else []))
