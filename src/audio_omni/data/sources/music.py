"""Music with exact stems: music21 corpus scores rendered part by part with a General MIDI soundfont.

Each part of a score is rendered alone (a fresh tinysoundfont synthesiser per part, one channel), so each stem
depends only on its own notes and program, and the mixture is defined as the float32 sum of the stems: it is
exact by construction. Changing one part's program ("same score, another instrument") changes that stem only.

Excerpts are tempo-aware: ``offset_s`` and ``seconds`` are wall-clock seconds through the score's metronome
marks. Parts that do not sound in the excerpt are dropped; fewer than two sounding parts is refused. Renders
are cached under ``cache_dir()/music-stems``. music21 reads its bundled corpus only; nothing is fetched.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import logging
import os
import re
from collections import defaultdict
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from audio_omni.atomic import write_bytes_atomic
from audio_omni.data.catalog import ClipRecord
from audio_omni.data.sources.soundfont import (
    GM_PROGRAMS,
    SOUNDFONT_LICENCES,
    audioset_label,
    program_name,
    soundfont_path,
)
from audio_omni.errors import AssetError, AudioOmniError
from audio_omni.paths import cache_dir

__all__ = [
    "GM_PROGRAMS",
    "ScoreError",
    "audioset_label",
    "default_programs",
    "instrument_label",
    "list_scores",
    "music_records",
    "render_parts",
]

log = logging.getLogger(__name__)

RENDER_VERSION = 2  # bump when rendering changes, so cached renders are not reused
PREROLL_S = 1.0  # render this much before the excerpt so notes struck earlier ring into it
FADE_IN_S = 0.01
FADE_OUT_S = 0.05
MIX_PEAK = 0.95  # each of n stems peaks at MIX_PEAK / n, so their sum can never clip
DEFAULT_VELOCITY = 90
SILENT_PEAK = 1e-4
VOCAL_PROGRAMS = frozenset({52, 53, 54})  # choir/voice programs: replaced by instruments by default
#: Default instruments by register (mean MIDI pitch of the part), for parts whose own program is missing,
#: vocal or taken by another part: violin/flute/oboe/clarinet/trumpet; viola/horn/piano/guitar/harp;
#: cello/bassoon/trombone/contrabass/tuba.
REGISTER_PALETTES = ((66, (40, 73, 68, 71, 56)), (55, (41, 60, 0, 24, 46)), (0, (42, 70, 57, 43, 58)))


class ScoreError(AudioOmniError, ValueError):
    """A score that cannot be rendered into stems: unknown id, fewer than two sounding parts, bad programs."""


def _require_music21():
    try:
        import music21
    except ImportError as exc:
        raise AssetError("music sources need music21: pip install music21") from exc
    return music21


# --------------------------------------------------------------------------------------------------
# Corpus index
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _corpus_index() -> tuple[tuple[str, str, int], ...]:
    """(score id, composer folder, number of parts) for every multi-part work of the bundled core corpus.

    Read from music21's shipped metadata bundle (no score is parsed), then kept as JSON in the cache.
    """
    music21 = _require_music21()
    cached = cache_dir() / "music21" / f"core-index-{music21.__version__}.json"
    if cached.is_file():
        try:
            return tuple(tuple(row) for row in json.loads(cached.read_text()))
        except (OSError, ValueError) as exc:
            log.warning("rebuilding %s: %s", cached, exc)
    from music21.corpus import corpora

    bundle = corpora.CoreCorpus().metadataBundle
    bundle.read()
    # iterating the bundle itself re-validates every entry (~25 s); its entry table holds the same entries
    entries = getattr(bundle, "_metadataEntries", None)
    entries = list(entries.values()) if isinstance(entries, dict) else list(bundle)
    index = []
    for entry in entries:
        meta = entry.metadata
        parts = getattr(meta, "numberOfParts", None) if meta is not None else None
        if not parts:
            continue
        path = str(entry.sourcePath).replace(os.sep, "/")
        score_id = f"{path}#{entry.number}" if entry.number is not None else path
        index.append((score_id, path.split("/", 1)[0], int(parts)))
    index.sort()
    write_bytes_atomic(cached, json.dumps(index).encode("utf-8"))
    return tuple(index)


def list_scores(limit: int | None = None, min_parts: int = 2) -> list[str]:
    """music21 corpus ids with at least ``min_parts`` parts, interleaved across composers (deterministic).

    Ids are corpus paths ("bach/bwv66.6.mxl"), with "#N" for the N-th work of a multi-work file.
    """
    by_composer: dict[str, list[str]] = defaultdict(list)
    for score_id, composer, parts in _corpus_index():
        if parts >= min_parts:
            by_composer[composer].append(score_id)
    queues = [by_composer[c] for c in sorted(by_composer)]
    ordered: list[str] = []
    for round_ in range(max((len(q) for q in queues), default=0)):
        ordered += [q[round_] for q in queues if round_ < len(q)]
    return ordered if limit is None else ordered[:limit]


# --------------------------------------------------------------------------------------------------
# Score -> timed note events
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Note:
    onset: float  # seconds
    end: float
    key: int
    velocity: int


@dataclass(frozen=True)
class _Part:
    name: str
    program: int | None  # the score's own program, if any
    notes: tuple[_Note, ...]

    @property
    def mean_pitch(self) -> float:
        return float(np.mean([n.key for n in self.notes])) if self.notes else 0.0


@dataclass(frozen=True)
class _Score:
    score_id: str
    title: str
    composer: str
    parts: tuple[_Part, ...]
    duration: float


class _TempoMap:
    """Quarter-length offsets -> seconds through the score's metronome marks (default 120 bpm)."""

    def __init__(self, score) -> None:
        spans = [(float(a), float(b), m) for a, b, m in score.metronomeMarkBoundaries() if b > a]
        if not spans:
            spans = [(0.0, float(score.highestTime) or 1.0, None)]
        self.starts = [a for a, _, _ in spans]
        self.seconds_per_quarter = []
        self.start_seconds = []
        elapsed = 0.0
        for a, b, mark in spans:
            spq = 0.5
            if mark is not None:
                try:
                    spq = float(mark.secondsPerQuarter())
                except Exception:  # marks without a number
                    spq = 0.5
                if not (0.01 < spq < 10):
                    spq = 0.5
            self.seconds_per_quarter.append(spq)
            self.start_seconds.append(elapsed)
            elapsed += (b - a) * spq

    def __call__(self, quarter: float) -> float:
        i = max(0, bisect.bisect_right(self.starts, quarter) - 1)
        return self.start_seconds[i] + (quarter - self.starts[i]) * self.seconds_per_quarter[i]


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    return out


def _part_notes(part, tempo: _TempoMap) -> tuple[_Note, ...]:
    """Sounding notes of one part in seconds, tied notes merged (music21's stripTies deep-copies the whole
    part and takes minutes on a long quartet; this is one pass)."""
    events: list[_Note] = []
    open_ties: dict[int, tuple[float, int]] = {}  # midi key -> (onset quarters, velocity) of a tie in progress
    for element in part.flatten().notes:
        pitches = getattr(element, "pitches", ())
        length = float(element.duration.quarterLength)
        if not pitches or length <= 0:
            continue  # unpitched percussion, grace notes
        start = float(element.offset)  # in the flattened part: quarters from the start
        velocity = element.volume.velocity if element.volume.velocity is not None else DEFAULT_VELOCITY
        velocity = int(np.clip(velocity, 1, 127))
        chord_tie = getattr(element, "tie", None)
        for item in getattr(element, "notes", None) or [element]:
            key = int(item.pitch.midi)
            if not 0 <= key <= 127:
                continue
            tie = (item.tie or chord_tie).type if (item.tie or chord_tie) is not None else None
            if tie in ("stop", "continue") and key in open_ties:
                onset_q, velocity_q = open_ties[key]
                if tie == "continue":
                    continue
                del open_ties[key]
                events.append(_Note(tempo(onset_q), tempo(start + length), key, velocity_q))
            elif tie in ("start", "continue"):
                open_ties[key] = (start, velocity)
            else:
                events.append(_Note(tempo(start), tempo(start + length), key, velocity))
    # a tie that never stops (a broken score) ends where its last note ends
    events += [_Note(tempo(q), tempo(q + 1.0), key, v) for key, (q, v) in open_ties.items()]
    return tuple(sorted(events, key=lambda n: (n.onset, n.key)))


@lru_cache(maxsize=32)
def _load_score(score_id: str) -> _Score:
    """The score's parts as timed notes; parsed once, then read from a JSON cache (parsing takes up to seconds)."""
    music21 = _require_music21()
    digest = hashlib.sha1(f"{RENDER_VERSION}|{music21.__version__}|{score_id}".encode()).hexdigest()
    cached = cache_dir() / "music21" / "scores" / f"{digest}.json"
    if cached.is_file():
        try:
            data = json.loads(cached.read_text(encoding="utf-8"))
            parts = tuple(_Part(p["name"], p["program"], tuple(_Note(*n) for n in p["notes"])) for p in data["parts"])
            return _Score(score_id, data["title"], data["composer"], parts, float(data["duration"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("re-parsing %s: cached %s unreadable (%s)", score_id, cached, exc)
    score = _parse_score(score_id)
    data = {
        "title": score.title, "composer": score.composer, "duration": score.duration,
        "parts": [{"name": p.name, "program": p.program, "notes": [list(astuple(n)) for n in p.notes]}
                  for p in score.parts],
    }
    write_bytes_atomic(cached, json.dumps(data, ensure_ascii=False).encode("utf-8"))
    return score


def _parse_score(score_id: str) -> _Score:
    music21 = _require_music21()
    path, _, number = score_id.partition("#")
    try:
        score = music21.corpus.parse(path, number=number or None)
    except Exception as exc:
        raise ScoreError(f"cannot read score {score_id!r} from the music21 corpus: {exc}") from None
    if not hasattr(score, "parts"):
        raise ScoreError(f"{score_id!r} is not a score")
    tempo = _TempoMap(score)
    raw_names, programs, notes = [], [], []
    for i, part in enumerate(score.parts):
        instrument = part.getInstrument(returnDefault=False)
        name = (part.partName or (instrument.instrumentName if instrument else None) or f"Part {i + 1}").strip()
        raw_names.append(re.sub(r"\s+", " ", name))
        programs.append(getattr(instrument, "midiProgram", None) if instrument else None)
        notes.append(_part_notes(part, tempo))
    parts = tuple(_Part(n, p, e) for n, p, e in zip(_unique(raw_names), programs, notes, strict=True))
    meta = score.metadata
    title = (meta.title if meta and meta.title else None) or Path(path).stem.replace("_", " ")
    composer = (meta.composer if meta and meta.composer else None) or path.split("/", 1)[0].replace("_", " ").title()
    title, composer = (re.sub(r"\s+", " ", str(t)).strip() for t in (title, composer))
    return _Score(score_id, title, composer, parts, tempo(float(score.highestTime)))


def default_programs(score_id: str) -> dict[str, int]:
    """A sensible General MIDI program per part, all different: the score's own program unless it is vocal or
    already taken, otherwise the first free instrument of the part's register (high: violin, flute, ...;
    middle: viola, horn, ...; low: cello, bassoon, ...)."""
    score = _load_score(score_id)
    chosen: dict[str, int] = {}
    for part in score.parts:
        if part.program is not None and part.program not in VOCAL_PROGRAMS and part.program not in chosen.values():
            chosen[part.name] = int(part.program)
    for part in sorted((p for p in score.parts if p.name not in chosen), key=lambda p: -p.mean_pitch):
        own = next(palette for floor, palette in REGISTER_PALETTES if part.mean_pitch >= floor)
        others = [p for _, palette in REGISTER_PALETTES for p in palette]
        candidates = [p for p in (*own, *others, *GM_PROGRAMS) if p not in chosen.values()]
        chosen[part.name] = candidates[0]
    return {p.name: chosen[p.name] for p in score.parts}


def instrument_label(instrument: str) -> str:
    """AudioSet class of a stem named by its GM instrument name ("Violin", "Violin 2", ...)."""
    by_name = {name: program for program, name in GM_PROGRAMS.items()}
    base = re.sub(r" \d+$", "", instrument) if instrument not in by_name else instrument
    if base not in by_name:
        raise ScoreError(f"{instrument!r} is not a General MIDI instrument name")
    return audioset_label(by_name[base])


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _soundfont_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def _render_part(font: bytes, program: int, notes: tuple[_Note, ...], start: float, stop: float, sr: int):
    """Mono float32 of one part alone, from ``start`` to ``stop`` seconds (notes struck before start restart there)."""
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=sr)
    sfid = synth.sfload(font)
    try:
        synth.program_select(0, sfid, 0, int(program))
    except Exception as exc:
        raise ScoreError(f"the soundfont has no General MIDI program {program} ({program_name(program)})") from exc
    total = int(round((stop - start) * sr))
    events = []  # (sample, order, key, velocity): note-offs sort before note-ons at the same sample
    for note in notes:
        if note.onset >= stop or note.end <= start:
            continue
        on = max(0, int(round((note.onset - start) * sr)))
        off = int(round((note.end - start) * sr))
        events.append((on, 1, note.key, note.velocity))
        if off < total:
            events.append((max(off, on + 1), 0, note.key, 0))
    events.sort()
    pieces, cursor = [], 0
    for sample, order, key, velocity in events:
        if sample > cursor:
            pieces.append(np.frombuffer(synth.generate(sample - cursor), dtype=np.float32).copy())
            cursor = sample
        if order:
            synth.noteon(0, key, velocity)
        else:
            synth.noteoff(0, key)
    if total > cursor:
        pieces.append(np.frombuffer(synth.generate(total - cursor), dtype=np.float32).copy())
    stereo = np.concatenate(pieces) if pieces else np.zeros(2 * total, np.float32)
    return stereo.reshape(-1, 2).mean(axis=1).astype(np.float32)


def _fade(audio: np.ndarray, sr: int, fade_in: bool) -> np.ndarray:
    out = audio.copy()
    n_out = min(len(out), int(FADE_OUT_S * sr))
    if n_out:
        out[-n_out:] *= np.linspace(1.0, 0.0, n_out, dtype=np.float32)
    n_in = min(len(out), int(FADE_IN_S * sr))
    if fade_in and n_in:
        out[:n_in] *= np.linspace(0.0, 1.0, n_in, dtype=np.float32)
    return out


def _cache_file(key: dict) -> Path:
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()
    return cache_dir() / "music-stems" / digest[:2] / f"{digest}.npz"


def _save_npz(path: Path, names: list[str], stems: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, names=np.array(names, dtype=str), stems=stems)
    write_bytes_atomic(path, buffer.getvalue())


def render_parts(
    score_id: str,
    programs: dict[str, int] | None = None,
    seconds: float = 6.0,
    sample_rate: int = 22050,
    offset_s: float = 0.0,
    soundfont: str | None = None,
) -> dict[str, np.ndarray]:
    """Render ``seconds`` of ``score_id`` from ``offset_s`` into one mono float32 stem per sounding part.

    All stems have the same length; ``sum(stems.values())`` is the mixture, exactly. ``programs`` maps part
    names (see :func:`default_programs`) to General MIDI programs; parts not named keep their default.
    Raises :class:`ScoreError` for a score (or excerpt) with fewer than two sounding parts.
    """
    if not (0 < seconds <= 600) or offset_s < 0:
        raise ScoreError(f"need 0 < seconds <= 600 and offset_s >= 0, got seconds={seconds}, offset_s={offset_s}")
    score = _load_score(score_id)
    if len(score.parts) < 2:
        raise ScoreError(f"{score_id!r} has {len(score.parts)} part(s); stems need at least two")
    if offset_s >= score.duration:
        raise ScoreError(f"{score_id!r} lasts {score.duration:.1f} s; offset {offset_s} s is past its end")
    chosen = default_programs(score_id)
    for name, program in (programs or {}).items():
        if name not in chosen:
            raise ScoreError(f"{score_id!r} has no part {name!r}; parts: {', '.join(chosen)}")
        program_name(int(program))
        chosen[name] = int(program)
    font_path, font_name = soundfont_path(soundfont)
    start, stop = float(offset_s), float(offset_s) + float(seconds)
    sounding = [p for p in score.parts if any(n.onset < stop and n.end > start for n in p.notes)]
    if len(sounding) < 2:
        raise ScoreError(f"fewer than two parts of {score_id!r} sound between {start:.1f} and {stop:.1f} s")
    key = {
        "v": RENDER_VERSION,
        "score": score_id,
        "programs": {p.name: chosen[p.name] for p in sounding},
        "seconds": float(seconds),
        "sr": int(sample_rate),
        "offset": start,
        "font": [font_name, font_path.stat().st_size],
    }
    cached = _cache_file(key)
    if cached.is_file():
        try:
            with np.load(cached) as data:
                return dict(zip([str(n) for n in data["names"]], data["stems"].astype(np.float32), strict=True))
        except Exception as exc:  # a damaged cache entry is rebuilt
            log.warning("re-rendering %s: cached %s unreadable (%s)", score_id, cached, exc)
    font = _soundfont_bytes(str(font_path))
    render_from = max(0.0, start - PREROLL_S)
    skip, length = int(round((start - render_from) * sample_rate)), int(round(seconds * sample_rate))
    raw = {}
    for part in sounding:
        audio = _render_part(font, chosen[part.name], part.notes, render_from, stop, int(sample_rate))
        audio = np.pad(audio, (0, max(0, skip + length - len(audio))))[skip : skip + length]
        if float(np.abs(audio).max()) > SILENT_PEAK:
            raw[part.name] = _fade(audio, int(sample_rate), fade_in=start > 0)
    if len(raw) < 2:
        raise ScoreError(f"fewer than two parts of {score_id!r} are audible between {start:.1f} and {stop:.1f} s")
    stems = {
        name: (audio * np.float32(MIX_PEAK / len(raw) / float(np.abs(audio).max()))).astype(np.float32)
        for name, audio in raw.items()
    }
    _save_npz(cached, list(stems), np.stack(list(stems.values())))
    return stems


def mix(stems: dict[str, np.ndarray]) -> np.ndarray:
    """The mixture of rendered stems: their sum, accumulated in float64 and rounded to float32 once, so it
    does not depend on the order (or names) of the stems."""
    return np.sum(np.stack(list(stems.values())).astype(np.float64), axis=0).astype(np.float32)


# --------------------------------------------------------------------------------------------------
# Catalogue records
# --------------------------------------------------------------------------------------------------


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def music_records(
    n_scores: int, seconds: float, sample_rate: int, soundfont: str | None = None, offset_s: float = 0.0
) -> list[ClipRecord]:
    """Render the first ``n_scores`` usable scores of :func:`list_scores` and catalogue them.

    One record per score: ``path`` is the mixture, ``stems`` maps GM instrument names to the separate stems
    (float32 WAV, so mixture == sum of stems survives the file round trip bit for bit). Scores that fail to
    parse or render are skipped with a logged reason. Files live under ``cache_dir()/music-records``.
    """
    from audio_omni.audio.io import save_audio

    font_path, font_name = soundfont_path(soundfont)
    licence = SOUNDFONT_LICENCES.get(font_name, f"see the licence of {font_path.name}")
    records: list[ClipRecord] = []
    for score_id in list_scores():
        if len(records) >= n_scores:
            break
        try:
            score = _load_score(score_id)
            programs = default_programs(score_id)
            stems = render_parts(score_id, programs, seconds, sample_rate, offset_s, soundfont=str(font_path))
        except (ScoreError, AssetError) as exc:
            log.warning("skipping score %s: %s", score_id, exc)
            continue
        names = dict(zip(stems, _unique([program_name(programs[p]) for p in stems]), strict=True))
        tag = hashlib.sha1(f"{score_id}|{seconds}|{sample_rate}|{offset_s}|{font_name}".encode()).hexdigest()[:10]
        folder = cache_dir() / "music-records" / f"{_safe(score_id)}-{tag}"
        stem_paths = {}
        for part, audio in stems.items():
            stem_file = folder / f"stem-{_safe(names[part])}.wav"
            if not stem_file.is_file():
                save_audio(stem_file, audio, sample_rate, subtype="FLOAT")
            stem_paths[names[part]] = str(stem_file)
        mix_file = folder / "mix.wav"
        if not mix_file.is_file():  # written last: its presence means the folder is complete
            save_audio(mix_file, mix(stems), sample_rate, subtype="FLOAT")
        instruments = [names[p].lower() for p in stems]
        records.append(
            ClipRecord(
                id=f"music21/{score_id}@{offset_s:g}",
                path=str(mix_file),
                domain="music",
                label="Music",
                caption=f"{score.title} by {score.composer}, played by {_join(instruments)}",
                duration=len(next(iter(stems.values()))) / sample_rate,
                sample_rate=int(sample_rate),
                channels=1,
                source=f"music21+{font_name}",
                licence=f"score: music21 corpus (BSD-3-Clause); sounds: {licence}",
                attribution=f"{score.composer}, {score.title} (music21 corpus {score_id})",
                group=f"music21/{score_id}",
                stems=stem_paths,
            )
        )
    return records
