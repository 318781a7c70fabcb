"""Pair synthesis: from catalogued clips, rendered score stems and synthetic speech to exact edit pairs.

One mixture gives the official triplet (mixed / target / residual) and with it Add (residual -> mixed), Remove
(mixed -> residual) and Extract (mixed -> target). Beyond those: Style Transfer (same timing and loudness envelope,
another class; music: the same score with one part on another instrument; speech: the same text in another voice),
Replace, Level, Region (an edit limited to a time span), SpeechEdit (same voice, one word changed), and plain
generation samples (T2A, T2M, TTS with a voice reference).

Every pair is a set of stems quantised to 24 bits and summed as integers (:class:`~audio_omni.data.mixer.ExactMix`),
so the stored relation between source, target and residual is exact (``layout`` in the metadata says which one):

* ``"source=target+residual"``: Remove, Extract, Region;
* ``"target=source+residual"``: Add (the residual is the added sound);
* ``"shared-residual"``: Style Transfer, Replace, Level, SpeechEdit (source and target differ in one stem; the
  residual is what they share, and ``source - residual`` is the edited stem before the edit).

All randomness comes from the ``rng`` passed in (one per pair and attempt); nothing reads a global RNG.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_omni.atomic import open_atomic
from audio_omni.data.catalog import ClipRecord, read_catalog
from audio_omni.data.instructions import SPEECH_TEXTS, swap_word, text_id, word_swaps
from audio_omni.data.mixer import (
    ClipCache,
    ExactMix,
    MixSettings,
    apply_fades,
    clipped_fraction,
    dequantise,
    excerpt,
    gain_for_snr,
    loop_to,
    match_envelope,
    match_loudness,
    place,
    random_effect,
    region_window,
    stretch_to,
)
from audio_omni.data.splits import SPLITS, assign_groups
from audio_omni.errors import AudioOmniError
from audio_omni.paths import cache_dir

__all__ = ["Pair", "PairError", "SourceLibrary", "SplitPool", "synthesize_pair", "TASK_DOMAINS"]

log = logging.getLogger(__name__)

#: Which domains each task is drawn in, with weights.
TASK_DOMAINS: dict[str, dict[str, float]] = {
    "Add": {"sound": 0.5, "music": 0.25, "speech": 0.25},
    "Remove": {"sound": 0.5, "music": 0.25, "speech": 0.25},
    "Extract": {"sound": 0.5, "music": 0.25, "speech": 0.25},
    "Style Transfer": {"sound": 0.4, "music": 0.3, "speech": 0.3},
    "Replace": {"sound": 0.7, "speech": 0.3},
    "Level": {"sound": 0.5, "music": 0.25, "speech": 0.25},
    "Region": {"sound": 0.6, "music": 0.2, "speech": 0.2},
    "SpeechEdit": {"speech": 1.0},
    "T2A": {"sound": 1.0},
    "T2M": {"music": 1.0},
    "TTS": {"speech": 1.0},
}
LAYOUTS = {
    "Add": "target=source+residual",
    "Remove": "source=target+residual",
    "Extract": "source=target+residual",
    "Region": "source=target+residual",
    "Style Transfer": "shared-residual",
    "Replace": "shared-residual",
    "Level": "shared-residual",
    "SpeechEdit": "shared-residual",
}
#: GM programs used as "another instrument" in music Style Transfer (a spread of families).
TRANSFER_PROGRAMS = (0, 6, 11, 19, 24, 25, 33, 40, 42, 56, 57, 60, 65, 68, 71, 73, 75, 105)
SPEECH_LABELS = {"female": "Female speech, woman speaking", "male": "Male speech, man speaking", "": "Speech"}
SPEECH_DESCRIPTIONS = {"female": "a woman speaking", "male": "a man speaking", "": "a person speaking"}


class PairError(AudioOmniError):
    """This attempt at a pair cannot be made (no suitable material, an unreadable clip, too long speech...)."""


# --------------------------------------------------------------------------------------------------
# Source material, split by group
# --------------------------------------------------------------------------------------------------


@dataclass
class SpeechSource:
    """Something that can speak: a synthetic voice, or one recorded prompt (a fixed text)."""

    id: str
    language: str
    gender: str  # "female" | "male" | ""
    voice: object | None = None  # audio_omni.data.sources.speech.Voice for synthetic voices


@dataclass
class SplitPool:
    """The material of one split."""

    split: str
    sound: list[ClipRecord] = field(default_factory=list)
    beds: list[ClipRecord] = field(default_factory=list)  # long clips: sound ambiences and music beds
    music_beds: list[ClipRecord] = field(default_factory=list)
    stem_records: list[ClipRecord] = field(default_factory=list)
    scores: list[str] = field(default_factory=list)
    recorded: list[ClipRecord] = field(default_factory=list)
    texts: dict[str, list[str]] = field(default_factory=dict)
    voices: dict[str, list[SpeechSource]] = field(default_factory=dict)

    def labels(self) -> list[str]:
        return sorted({r.label for r in self.sound})


def _gender(text: str) -> str:
    low = f" {text.lower()} "
    if "female" in low or "_f_" in low or "woman" in low:
        return "female"
    if " male" in low or "_m_" in low or "(male" in low or " man " in low or "joe" in low:
        return "male"
    return ""


@dataclass
class SourceLibrary:
    """All usable material, assigned to splits by group (see :mod:`audio_omni.data.splits`)."""

    pools: dict[str, SplitPool]
    skipped: dict[str, int]
    catalog_digest: str

    @classmethod
    def build(
        cls,
        catalog: Path | None,
        settings: MixSettings,
        max_scores: int = 60,
        speech_engines: tuple[str, ...] = ("piper", "kokoro", "espeak"),
        recorded_speech: bool = True,
        use_flagged: bool = False,
    ) -> SourceLibrary:
        from audio_omni.audio.io import audio_info

        records: list[ClipRecord] = list(read_catalog(catalog)) if catalog is not None else []
        digest = hashlib.sha1()
        skipped: dict[str, int] = defaultdict(int)
        if recorded_speech:
            try:
                from audio_omni.data.sources.speech import recorded_speech as asterisk

                records += asterisk()
            except AudioOmniError as exc:
                log.warning("recorded speech unavailable: %s", exc)
                skipped["recorded speech unavailable"] += 1
        usable: list[ClipRecord] = []
        for r in sorted(records, key=lambda r: r.id):
            digest.update(r.to_json().encode())
            if r.flagged and not use_flagged:
                skipped["flagged by the tagger"] += 1
                continue
            paths = [r.path, *r.stems.values()]
            try:
                for p in paths:
                    info = audio_info(p)
                    if not info.frames:
                        raise AudioOmniError(f"'{p}' holds no audio")
            except AudioOmniError as exc:
                log.warning("skipping source clip %s: %s", r.id, exc)
                skipped["unreadable source file"] += 1
                continue
            usable.append(r)

        scores: list[str] = []
        if max_scores > 0:
            try:
                from audio_omni.data.sources.music import list_scores
                from audio_omni.data.sources.soundfont import soundfont_path

                soundfont_path()
                scores = list_scores(limit=max_scores)
            except Exception as exc:  # music21 or the soundfont missing: build without rendered music
                log.warning("rendered music unavailable: %s", exc)
                skipped["rendered music unavailable"] += 1
        digest.update(repr((scores, speech_engines, settings)).encode())

        kinds: dict[str, list[str]] = defaultdict(list)  # kind -> groups (a group belongs to one kind)
        for r in usable:
            kind = "speech" if r.domain == "speech" else "stems" if r.stems else r.domain
            kinds[kind].append(r.group)
        for s in scores:
            kinds["stems"].append(f"music21/{s}")
        for lang, texts in SPEECH_TEXTS.items():
            kinds[f"text-{lang}"] += [f"text/{text_id(lang, t)}" for t in texts]
        split_of: dict[str, str] = {}
        for groups in kinds.values():
            split_of.update(assign_groups(groups))

        voices = _speech_sources(speech_engines)
        pools = {s: SplitPool(s, voices=voices) for s in SPLITS}
        long_enough = 0.8 * settings.seconds
        for r in usable:
            pool = pools[split_of[r.group]]
            if r.domain == "speech":
                if r.transcript and r.language:
                    pool.recorded.append(r)
            elif r.stems:
                if len(r.stems) >= 2:
                    pool.stem_records.append(r)
            elif r.domain == "music":
                pool.music_beds.append(r)
                if r.duration >= long_enough:
                    pool.beds.append(r)
            else:
                pool.sound.append(r)
                if r.duration >= long_enough:
                    pool.beds.append(r)
        for s in scores:
            pools[split_of[f"music21/{s}"]].scores.append(s)
        for lang, texts in SPEECH_TEXTS.items():
            for t in texts:
                pools[split_of[f"text/{text_id(lang, t)}"]].texts.setdefault(lang, []).append(t)
        return cls(pools, dict(skipped), digest.hexdigest()[:16])

    def summary(self) -> dict:
        return {
            split: {
                "sound": len(p.sound), "labels": len(p.labels()), "beds": len(p.beds), "music_beds": len(p.music_beds),
                "stem_records": len(p.stem_records), "scores": len(p.scores), "recorded_speech": len(p.recorded),
                "texts": sum(len(t) for t in p.texts.values()),
            }
            for split, p in self.pools.items()
        }  # fmt: skip


def _speech_sources(engines: tuple[str, ...]) -> dict[str, list[SpeechSource]]:
    try:
        from audio_omni.data.sources.speech import LANGUAGES, available_voices
    except Exception as exc:  # pragma: no cover - the module ships with the package
        log.warning("speech synthesis unavailable: %s", exc)
        return {}
    out: dict[str, list[SpeechSource]] = {}
    for lang in LANGUAGES:
        out[lang] = [
            SpeechSource(v.id, lang, _gender(f"{v.id} {v.name}"), v)
            for v in available_voices(lang)
            if v.engine in engines
        ]
    return out


# --------------------------------------------------------------------------------------------------
# Material -> float tracks
# --------------------------------------------------------------------------------------------------


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


def _describe(label: str) -> str:
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
        piece = apply_fades(piece, sr, self.s.fade_s, min(0.2, 0.1 * n / sr))
        info: dict = {}
        if rng.random() < self.s.effect_probability:
            piece, info = random_effect(piece, sr, rng)
        if start is None:
            start = int(rng.integers(0, n_total - len(piece) + 1))
        track = place(piece, n_total, start)
        span = (start / sr, min(n_total, start + len(piece)) / sr)
        return Track(track, clip.label, _describe(clip.label), [clip.id], [clip.group], span, info, raw_clip)

    def bed(self, pool: SplitPool, rng, exclude: set[str] = frozenset(), music: bool | None = None) -> Track:
        beds = [r for r in pool.beds if r.label not in exclude and (music is None or (r.domain == "music") == music)]
        if not beds:
            raise PairError(f"no background bed in {pool.split}")
        clip = beds[int(rng.integers(len(beds)))]
        sr, n = self.s.sample_rate, self.length
        wave = self.clips.load(clip.path)
        piece = loop_to(excerpt(wave, n, rng), n, sr)
        raw_clip = clipped_fraction(piece)
        piece = apply_fades(piece, sr, 0.1, 0.1)
        description = _describe(clip.label) if clip.domain != "music" else "background music"
        label = clip.label
        return Track(piece, label, description, [clip.id], [clip.group], (0.0, self.s.seconds), {}, raw_clip)

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
            gender = _gender(rec.caption)
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
        rest = _sum_tracks(others, "the other instruments")
        recipe["part"] = fg_name
        return fg, rest, recipe


def _sum_tracks(tracks: list[Track], description: str) -> Track:
    wave = np.sum([t.wave for t in tracks], axis=0, dtype=np.float64).astype(np.float32)
    labels = [t.label for t in tracks if t.label]
    return Track(
        wave, labels[0] if len(labels) == 1 else None, description,
        [c for t in tracks for c in t.clip_ids], [g for t in tracks for g in t.groups], (0.0, 0.0),
        {"labels": labels}, max((t.raw_clipping for t in tracks), default=0.0),
    )  # fmt: skip


def _labels_of(track: Track | None) -> list[str]:
    if track is None:
        return []
    return list(track.info.get("labels", [track.label] if track.label else []))


# --------------------------------------------------------------------------------------------------
# Pairs
# --------------------------------------------------------------------------------------------------


@dataclass
class Pair:
    """A finished pair before instructions and encoding: 24-bit integer audio and its metadata."""

    task: str
    domain: str
    audio: dict[str, np.ndarray]  # "source" | "target" | "residual" | "voice" -> int32 24-bit samples
    fields: dict  # template fields: x, y, db, start, end, old, new, caption, text
    template_key: str
    meta: dict
    checks: dict  # inputs of the quality filters


def _rest_for(domain: str, syn: Synthesizer, pool: SplitPool, rng, fg: Track) -> Track | None:
    """What the foreground is mixed into: ambience and/or another event (sound), a bed (speech)."""
    exclude = {fg.label} if fg.label else set()
    parts: list[Track] = []
    if domain == "sound":
        if pool.beds and rng.random() < 0.8:
            parts.append(syn.bed(pool, rng, exclude))
        if not parts or rng.random() < 0.4:
            parts.append(syn.sound_event(pool, rng, exclude | {p.label for p in parts if p.label}))
    elif domain == "speech":
        if pool.beds and rng.random() < 0.85:
            parts.append(syn.bed(pool, rng, exclude))
        else:
            parts.append(syn.sound_event(pool, rng, exclude, seconds=syn.s.seconds))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    described = " and ".join(p.description for p in parts)
    return _sum_tracks(parts, described)


def _foreground(domain: str, syn: Synthesizer, pool: SplitPool, rng) -> tuple[Track, Track | None, dict]:
    if domain == "music":
        return syn.music(pool, rng)
    fg = syn.sound_event(pool, rng) if domain == "sound" else syn.speech(pool, rng)
    rest = _rest_for(domain, syn, pool, rng, fg)
    return fg, rest, {}


def _snr_scale(fg: Track, rest: Track | None, rng, syn: Synthesizer, domain: str) -> float:
    if rest is None:
        return 0.0
    if domain == "music":  # stems are already balanced by the renderer; a small random lift or cut
        snr = float(rng.uniform(-3.0, 3.0))
        fg.wave = (fg.wave * 10 ** (snr / 20)).astype(np.float32)
        return snr
    lo, hi = syn.s.snr_db
    snr = float(rng.uniform(lo, hi))
    fg.wave = (fg.wave * gain_for_snr(fg.wave, rest.wave, snr, syn.s.sample_rate)).astype(np.float32)
    return snr


def _second_sound(task: str, domain: str, syn: Synthesizer, pool: SplitPool, rng, fg: Track, recipe: dict) -> Track:
    """The new sound of Style Transfer / Replace, with the same placement as ``fg``."""
    sr, n = syn.s.sample_rate, syn.length
    start, stop = int(round(fg.span[0] * sr)), int(round(fg.span[1] * sr))
    if task == "Style Transfer" and domain == "music":
        from audio_omni.data.sources.soundfont import program_name

        current = recipe["programs"][recipe["part"]]
        taken = set(recipe["programs"].values())
        options = [p for p in TRANSFER_PROGRAMS if p not in taken and program_name(p) != program_name(current)]
        program = int(options[int(rng.integers(len(options)))])
        _, _, _, tracks = syn.score_stems(pool, rng, {recipe["part"]: program}, recipe["score"], recipe["offset"])
        new = tracks[recipe["part"]]
        new.wave = match_loudness(new.wave, fg.wave, sr)
        return new
    if task == "Style Transfer" and domain == "speech":
        lang, text = fg.info["language"], fg.info["text"]
        voice = syn.pick_voice(pool, lang, rng, gender_not=SPEECH_LABELS_TO_GENDER.get(fg.label, ""),
                               exclude={fg.info["speaker"]})  # fmt: skip
        wave = syn.utterance(text, voice)
        wave = stretch_to(wave, stop - start, sr)
        tid = text_id(lang, text)
        track = place(wave, n, start)
        # same words, so the same group as the original (a sentence or a recorded prompt)
        new = Track(match_loudness(track, fg.wave, sr), SPEECH_LABELS[voice.gender], SPEECH_DESCRIPTIONS[voice.gender],
                    [f"tts/{voice.id}/{tid}"], list(fg.groups), fg.span,
                    {"speaker": voice.id, "language": lang, "transcript": text})  # fmt: skip
        return new
    # sound (any task), and Replace of speech by a sound: another class in the same place
    length_s = max(0.3, (stop - start) / sr)
    new = syn.sound_event(pool, rng, exclude={fg.label} if fg.label else set(), seconds=length_s, start=start)
    if task == "Style Transfer":
        seg = stretch_to(new.wave[start:stop][: stop - start], stop - start, sr)
        shaped = match_envelope(seg, fg.wave[start:stop], sr)
        new.wave = place(shaped, n, start)
    new.wave = match_loudness(new.wave, fg.wave, sr)
    return new


SPEECH_LABELS_TO_GENDER = {v: k for k, v in SPEECH_LABELS.items()}


def synthesize_pair(task: str, language: str, syn: Synthesizer, pool: SplitPool, rng: np.random.Generator) -> Pair:
    """Make one pair of ``task`` from the material of ``pool``. Raises PairError when this attempt cannot."""
    s = syn.s
    sr, n = s.sample_rate, syn.length
    domains = TASK_DOMAINS[task]
    names = list(domains)
    domain = names[int(rng.choice(len(names), p=np.array(list(domains.values())) / sum(domains.values())))]
    target_lufs = float(rng.uniform(*s.mix_lufs))
    meta: dict = {"domain": domain, "region": None, "target_description": None, "caption": None, "transcript": None}
    fields: dict = {}
    checks: dict = {}
    key = task

    if task in ("T2A", "T2M", "TTS"):
        return _generation(task, language, syn, pool, rng, target_lufs, meta)

    if task == "SpeechEdit":
        langs = [lang for lang in ([language] + sorted(pool.texts))
                 if any(word_swaps(lang, t) for t in pool.texts.get(lang, []))]  # fmt: skip
        langs = [lang for lang in langs if pool.voices.get(lang)]
        if not langs:
            raise PairError(f"no sentence with a word to swap in {pool.split}")
        lang = langs[0]
        texts = [t for t in pool.texts[lang] if word_swaps(lang, t)]
        text = texts[int(rng.integers(len(texts)))]
        swaps = word_swaps(lang, text)
        old, new_word = swaps[int(rng.integers(len(swaps)))]
        voice = syn.pick_voice(pool, lang, rng)
        fg = syn.spoken(text, lang, voice, rng)
        start = int(round(fg.span[0] * sr))
        new_text = swap_word(lang, text, old, new_word)
        wave2 = syn.utterance(new_text, voice)
        if start + len(wave2) > n:
            start = max(0, n - len(wave2))
            fg = syn.spoken(text, lang, voice, rng, start=start)
        fg2 = syn.spoken(new_text, lang, voice, rng, start=start)
        fg2.clip_ids, fg2.groups = fg.clip_ids + [fg2.clip_ids[0]], fg.groups
        rest = _rest_for("speech", syn, pool, rng, fg) if rng.random() < 0.6 else None
        snr = _snr_scale(fg, rest, rng, syn, "speech")
        fg2.wave = (fg2.wave * gain_for_snr(fg2.wave, fg.wave, 0.0, sr)).astype(np.float32)
        fields = {"old": old, "new": new_word}
        meta.update(transcript=new_text, source_transcript=text, speaker=voice.id, speech_language=lang,
                    description=fg.description, target_description=fg2.description)  # fmt: skip
        return _finish(task, key, "speech", fg, fg2, rest, snr, target_lufs, syn, fields, meta, checks)

    fg, rest, recipe = _foreground(domain, syn, pool, rng)
    snr = _snr_scale(fg, rest, rng, syn, domain)
    meta["description"] = fg.description
    if domain == "speech":
        meta.update(transcript=fg.info.get("transcript"), speaker=fg.info.get("speaker"),
                    speech_language=fg.info.get("language"))  # fmt: skip
    if recipe.get("score"):
        meta["score"] = {"id": recipe["score"], "offset_s": recipe["offset"], "part": recipe["part"]}
    fg2 = None
    if task in ("Style Transfer", "Replace"):
        fg2 = _second_sound(task, domain, syn, pool, rng, fg, recipe)
        if fg2.description == fg.description:
            raise PairError("the new sound has the same description as the old one")
        fields = {"x": fg.description, "y": fg2.description}
        meta["target_description"] = fg2.description
        if domain == "speech" and task == "Style Transfer":
            meta["target_speaker"] = fg2.info.get("speaker")
    elif task == "Level":
        db = float(rng.choice([-1, 1]) * rng.uniform(4.0, 12.0))
        db = round(db, 0) or 6.0
        fg2 = Track((fg.wave * 10 ** (db / 20)).astype(np.float32), fg.label, fg.description, [], [], fg.span)
        key = "Level/up" if db > 0 else "Level/down"
        fields = {"x": fg.description, "db": f"{abs(db):g}"}
        meta["level_db"] = db
    elif task == "Region":
        a, b = fg.span
        span = b - a
        if span < 0.6:
            raise PairError("foreground too short for a region edit")
        width = float(rng.uniform(0.4, 0.8)) * span
        r0 = round(float(rng.uniform(a, b - width)), 1)
        r1 = round(min(b, r0 + width), 1)
        if r1 - r0 < 0.3:
            raise PairError("region too short")
        w = region_window(n, int(round(r0 * sr)), int(round(r1 * sr)), int(0.02 * sr))
        removed = Track((fg.wave * w).astype(np.float32), fg.label, fg.description, [], [], (r0, r1))
        kept = Track((fg.wave * (1 - w)).astype(np.float32), fg.label, fg.description, [], [], fg.span)
        fields = {"x": fg.description, "start": r0, "end": r1}
        meta["region"] = [r0, r1]
        meta["region_operation"] = "Remove"
        return _finish_region(kept, removed, fg, rest, snr, target_lufs, syn, fields, meta, checks)
    else:
        fields = {"x": fg.description}
    return _finish(task, key, domain, fg, fg2, rest, snr, target_lufs, syn, fields, meta, checks)


def _finish(task, key, domain, fg, fg2, rest, snr, target_lufs, syn, fields, meta, checks) -> Pair:
    sr = syn.s.sample_rate
    stems = {"fg": fg.wave}
    if rest is not None:
        stems["rest"] = rest.wave
    if fg2 is not None:
        stems["fg2"] = fg2.wave
    r = ["rest"] if rest is not None else []
    if task == "Add":
        source, target, residual = r, r + ["fg"], ["fg"]
        if rest is None:
            raise PairError("Add needs something to add to")
    elif task == "Remove":
        source, target, residual = r + ["fg"], r, ["fg"]
        if rest is None:
            raise PairError("Remove needs something left over")
    elif task == "Extract":
        source, target, residual = r + ["fg"], ["fg"], r
        if rest is None:
            raise PairError("Extract needs something to extract from")
    else:  # Style Transfer, Replace, Level, SpeechEdit: shared residual
        source, target, residual = r + ["fg"], r + ["fg2"], r
    mix = ExactMix(stems, sr).level([source, target], target_lufs, syn.s.peak)
    audio = {"source": mix.mix(source), "target": mix.mix(target)}
    if residual:
        audio["residual"] = mix.mix(residual)
    before = _labels_of(rest) + _labels_of(fg)
    after = {
        "Add": _labels_of(rest) + _labels_of(fg), "Remove": _labels_of(rest), "Extract": _labels_of(fg),
    }.get(task, _labels_of(rest) + _labels_of(fg2))  # fmt: skip
    if task == "Add":
        before = _labels_of(rest)
    meta["labels"] = {"target": fg.label, "present_before": _uniq(before), "present_after": _uniq(after)}
    if fg2 is not None and task in ("Style Transfer", "Replace"):
        meta["labels"]["new"] = fg2.label
    tracks = [t for t in (fg, fg2, rest) if t is not None]
    meta["source_clip_ids"] = _uniq([c for t in tracks for c in t.clip_ids])
    meta["source_groups"] = _uniq([g for t in tracks for g in t.groups])
    meta["layout"] = LAYOUTS[task]
    meta["mix"] = {"gain": round(mix.gain, 6), "snr_db": round(snr, 2), "span": [round(v, 3) for v in fg.span],
                   "effects": [t.info for t in tracks if t.info.get("effect")]}  # fmt: skip
    checks.update(
        foreground=dequantise(mix.stems["fg"]),
        foreground_label=fg.label if domain == "sound" else None,
        rest=dequantise(mix.stems["rest"]) if rest is not None else None,
        new=dequantise(mix.stems["fg2"]) if fg2 is not None else None,
        raw_clipping=max(t.raw_clipping for t in tracks),
        snr_db=snr if rest is not None else None,
    )
    return Pair(task, domain, audio, fields, key, meta, checks)


def _finish_region(kept, removed, fg, rest, snr, target_lufs, syn, fields, meta, checks) -> Pair:
    sr = syn.s.sample_rate
    stems = {"kept": kept.wave, "removed": removed.wave}
    r = []
    if rest is not None:
        stems["rest"] = rest.wave
        r = ["rest"]
    source, target = r + ["kept", "removed"], r + ["kept"]
    mix = ExactMix(stems, sr).level([source, target], target_lufs, syn.s.peak)
    audio = {"source": mix.mix(source), "target": mix.mix(target), "residual": mix.mix(["removed"])}
    labels = _labels_of(rest) + _labels_of(fg)
    meta["labels"] = {"target": fg.label, "present_before": _uniq(labels), "present_after": _uniq(labels)}
    tracks = [fg] + ([rest] if rest is not None else [])
    meta["source_clip_ids"] = _uniq([c for t in tracks for c in t.clip_ids])
    meta["source_groups"] = _uniq([g for t in tracks for g in t.groups])
    meta["layout"] = LAYOUTS["Region"]
    meta["mix"] = {"gain": round(mix.gain, 6), "snr_db": round(snr, 2), "span": [round(v, 3) for v in fg.span],
                   "effects": [t.info for t in tracks if t.info.get("effect")]}  # fmt: skip
    checks.update(
        foreground=dequantise(mix.stems["removed"]),
        foreground_label=fg.label if meta["domain"] == "sound" else None,
        rest=dequantise(mix.stems["rest"]) if rest is not None else None,
        raw_clipping=max(t.raw_clipping for t in tracks),
        snr_db=snr if rest is not None else None,
    )
    return Pair("Region", meta["domain"], audio, fields, "Region", meta, checks)


def _generation(task, language, syn: Synthesizer, pool: SplitPool, rng, target_lufs, meta) -> Pair:
    sr = syn.s.sample_rate
    extra: dict[str, Track] = {}
    if task == "T2A":
        first = syn.sound_event(pool, rng)
        parts = [first]
        if rng.random() < 0.5:
            parts.append(syn.sound_event(pool, rng, exclude={first.label}))
        bed = None
        if pool.beds and rng.random() < 0.5:
            bed = syn.bed(pool, rng, exclude={p.label for p in parts}, music=False)
        caption = " and ".join(p.description for p in parts)
        if bed is not None:
            caption += f", with {bed.description} in the background"
            parts.append(bed)
        target = _sum_tracks(parts, caption) if len(parts) > 1 else first
        meta.update(caption=caption, description=caption)
        labels = [p.label for p in parts]
        domain = "sound"
    elif task == "T2M":
        if pool.scores and (not pool.music_beds or rng.random() < 0.6):
            from audio_omni.data.sources.music import mix as mix_stems

            score, offset, programs, tracks = syn.score_stems(pool, rng)
            instruments = sorted({t.description for t in tracks.values()})
            caption = "a classical piece played by " + (", ".join(instruments[:-1]) + " and " + instruments[-1]
                                                         if len(instruments) > 1 else instruments[0])  # fmt: skip
            wave = mix_stems({k: t.wave for k, t in tracks.items()})
            target = Track(wave, "Music", caption, [c for t in tracks.values() for c in t.clip_ids],
                           [f"music21/{score}"], (0.0, syn.s.seconds))  # fmt: skip
            labels = ["Music"] + sorted({t.label for t in tracks.values()})
            meta["score"] = {"id": score, "offset_s": offset}
        elif pool.music_beds:
            rec = pool.music_beds[int(rng.integers(len(pool.music_beds)))]
            wave = syn.clips.load(rec.path)
            piece = apply_fades(loop_to(excerpt(wave, syn.length, rng), syn.length, sr), sr, 0.05, 0.2)
            caption = rec.caption
            target = Track(piece, rec.label, caption, [rec.id], [rec.group], (0.0, syn.s.seconds), {},
                           clipped_fraction(piece))  # fmt: skip
            labels = [rec.label]
        else:
            raise PairError(f"no music in {pool.split}")
        meta.update(caption=caption, description=caption)
        domain = "music"
    else:  # TTS: the instruction's language where there are sentences for it
        lang = language if pool.texts.get(language) and pool.voices.get(language) else None
        target = syn.speech(pool, rng, language=lang)
        lang = target.info["language"]
        speaker = target.info["speaker"]
        voices = [v for v in syn.speech_sources(pool, lang) if v.id == speaker]
        others = [t for t in pool.texts.get(lang, []) if t != target.info["text"]]
        takes = [r for r in pool.recorded if r.speaker == speaker and r.id not in target.clip_ids]
        if voices and others:
            ref_text = others[int(rng.integers(len(others)))]
            ref = syn.utterance(ref_text, voices[0])
            ref = ref[: syn.length]
            extra["voice"] = Track(ref, None, "", [f"tts/{speaker}/{text_id(lang, ref_text)}"],
                                   [f"text/{text_id(lang, ref_text)}"], (0.0, len(ref) / sr),
                                   {"transcript": ref_text})  # fmt: skip
        elif takes:  # a recorded speaker: another of their prompts (same split) is the voice reference
            take = takes[int(rng.integers(len(takes)))]
            ref = syn.clips.load(take.path)[: syn.length]
            extra["voice"] = Track(ref, None, "", [take.id], [take.group], (0.0, len(ref) / sr),
                                   {"transcript": take.transcript}, clipped_fraction(ref))  # fmt: skip
        caption = target.info["transcript"]
        meta.update(transcript=caption, description=target.description, speaker=speaker, speech_language=lang)
        labels = [target.label]
        domain = "speech"
    stems = {"target": target.wave}
    if "voice" in extra:
        stems["voice"] = np.pad(extra["voice"].wave, (0, max(0, syn.length - len(extra["voice"].wave))))
    mix = ExactMix(stems, sr).level([["target"]], target_lufs, syn.s.peak)
    audio = {"target": mix.mix(["target"])}
    if "voice" in extra:
        n_ref = len(extra["voice"].wave)
        audio["voice"] = mix.mix(["voice"])[:n_ref]
        meta["voice_transcript"] = extra["voice"].info["transcript"]
    meta["domain"] = domain
    meta["labels"] = {"target": labels[0] if labels else None, "present_before": [], "present_after": _uniq(labels)}
    tracks = [target, *extra.values()]
    meta["source_clip_ids"] = _uniq([c for t in tracks for c in t.clip_ids])
    meta["source_groups"] = _uniq([g for t in tracks for g in t.groups])
    meta["layout"] = None
    meta["mix"] = {"gain": round(mix.gain, 6)}
    fields = {"caption": meta["caption"] or meta["description"], "text": meta.get("transcript") or ""}
    checks = {"foreground": dequantise(audio["target"]), "foreground_label": None, "rest": None,
              "raw_clipping": max(t.raw_clipping for t in tracks), "snr_db": None}  # fmt: skip
    if task == "T2A" and len(labels) == 1:
        checks["foreground_label"] = labels[0]
    return Pair(task, domain, audio, fields, task, meta, checks)


def _uniq(items: list) -> list:
    seen: dict = {}
    for item in items:
        if item is not None and item not in seen:
            seen[item] = True
    return list(seen)
