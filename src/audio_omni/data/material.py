"""The material pairs are made of, assigned to splits: catalogued clips, score stems, sentences and voices.

:class:`SourceLibrary` reads the source catalogue (and the recorded speech), drops what is flagged or
unreadable, and assigns every group of material (a clip's group, a score, a sentence) to one split
(:mod:`audio_omni.data.splits`), so no source is shared between train, valid and test. Each split's material is a
:class:`SplitPool`; the recipes (:mod:`audio_omni.data.recipes`) draw from one pool.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from audio_omni.data.catalog import ClipRecord, read_catalog
from audio_omni.data.instructions import SPEECH_TEXTS, text_id
from audio_omni.data.mixer import MixSettings
from audio_omni.data.splits import SPLITS, assign_groups
from audio_omni.errors import AudioOmniError

__all__ = ["SourceLibrary", "SpeechSource", "SplitPool", "gender_of"]

log = logging.getLogger(__name__)


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


def gender_of(text: str) -> str:
    """"female", "male" or "" (unknown), guessed from a voice's id, name or a recording's caption."""
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
            SpeechSource(v.id, lang, gender_of(f"{v.id} {v.name}"), v)
            for v in available_voices(lang)
            if v.engine in engines
        ]
    return out
