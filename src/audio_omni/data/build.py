"""``audio-omni data build``: many exact edit pairs, in parallel, sharded for clusters, resumable byte for byte.

Every pair is a pure function of (build settings, source library, pair index): its split comes from a fixed
schedule over the index (:func:`audio_omni.data.splits.pair_split`), its task and instruction language from
balanced cycles over the position within the split, and its random choices from ``np.random.default_rng([seed,
index, attempt])``. A pair whose attempt fails (no suitable material, an unreadable clip) or is rejected by a
quality filter is retried with the next attempt number; after ``max_attempts`` it is dropped (counted).

The work unit is one shard (``pairs_per_shard`` consecutive pairs of one split). Units run in worker processes;
``--shard-index I --num-shards K`` takes every K-th unit from the I-th, for a cluster job array. ``--split``
builds only the units of the chosen splits (e.g. ``--split test`` for an evaluation benchmark): their names and
bytes are those of the same units in a build of every split, and the other splits' pairs are never made. A shard is
written to a temporary file and renamed into place, so it either exists whole or not at all: a killed run
resumes by skipping the shards that exist, and because a shard's bytes depend only on its pairs, the resumed
build is identical to an uninterrupted one. When every shard (of the chosen splits) exists, ``manifest.jsonl`` and
``stats.json`` are (re)written from the shards (also atomically and reproducibly).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import os
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from audio_omni.atomic import open_atomic, write_text_atomic
from audio_omni.data.catalog import read_catalog
from audio_omni.data.filters import FilterSettings, QualityFilters
from audio_omni.data.instructions import LANGUAGES, choose, render
from audio_omni.data.mixer import MixSettings, dequantise, lufs
from audio_omni.data.pairs import PairError, SourceLibrary, Synthesizer, synthesize_pair
from audio_omni.data.shards import META_MEMBER, audio_member, dumps, encode_flac, read_shard, shard_name, write_shard
from audio_omni.data.splits import SPLITS, leak_check, pair_split
from audio_omni.errors import AudioOmniError
from audio_omni.paths import cache_dir

__all__ = [
    "SPEECH_ENGINES", "BuildConfig", "BuildResult", "Unit", "build", "default_catalog", "finalize", "plan_units",
    "schedule",
]  # fmt: skip

log = logging.getLogger(__name__)

#: One cycle of tasks (weights: the paper's three mixture edits most often).
TASK_CYCLE = (
    "Add", "Remove", "Extract", "Add", "Remove", "Extract", "Extract", "Style Transfer", "Style Transfer",
    "Replace", "Level", "Region", "SpeechEdit", "T2A", "T2M", "TTS",
)  # fmt: skip
#: Instruction languages of training pairs (held-out languages never appear in training).
TRAIN_LANGUAGES = ("en", "en", "en", "zh", "ja", "de", "fr")
#: Mapping of the three mixture edits onto the official (mixed, target, residual) triplet.
OFFICIAL_TRIPLET = {
    "Add": {"mixed": "target", "target": "residual", "residual": "source"},
    "Remove": {"mixed": "source", "target": "residual", "residual": "target"},
    "Extract": {"mixed": "source", "target": "target", "residual": "residual"},
}
WORK_DIR = ".build"
#: Text-to-speech engines the build can voice speech with.
SPEECH_ENGINES = ("piper", "kokoro", "espeak")


@dataclass(frozen=True)
class BuildConfig:
    pairs: int
    seed: int = 0
    sample_rate: int = 22050
    seconds: float = 6.0
    pairs_per_shard: int = 100
    catalog: str | None = None
    max_scores: int = 60
    speech_engines: tuple[str, ...] = SPEECH_ENGINES
    recorded_speech: bool = True
    use_flagged: bool = False
    tagger: bool = True
    max_attempts: int = 8
    splits: tuple[str, ...] = SPLITS
    vary: float = 0.0  # probability that a sound clip or bed is re-voiced (mixer.vary_timbre)

    def __post_init__(self) -> None:
        object.__setattr__(self, "splits", _chosen_splits(self.splits))
        if not 0.0 <= self.vary <= 1.0:
            raise AudioOmniError(f"vary is a probability between 0 and 1, got {self.vary}")
        unknown = sorted(set(self.speech_engines) - set(SPEECH_ENGINES))
        if unknown:
            raise AudioOmniError(f"unknown speech engine(s) {unknown}; choose from {', '.join(SPEECH_ENGINES)}")

    def settings(self) -> MixSettings:
        return MixSettings(sample_rate=self.sample_rate, seconds=self.seconds, vary_probability=self.vary)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["speech_engines"] = list(self.speech_engines)
        data["splits"] = list(self.splits)
        return data


@dataclass(frozen=True)
class Unit:
    split: str
    number: int
    indices: tuple[int, ...]

    @property
    def name(self) -> str:
        return shard_name(self.split, self.number)


@dataclass
class BuildResult:
    out: Path
    units_total: int
    units_done_now: int
    units_skipped: int
    pairs_written_now: int
    finalized: bool
    seconds: float
    report: dict = field(default_factory=dict)


def _stable_int(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def _cycled(items: tuple[str, ...], position: int, seed: int, tag: str) -> str:
    block, r = divmod(position, len(items))
    order = np.random.default_rng([seed, _stable_int(tag), block]).permutation(len(items))
    return items[int(order[r])]


def schedule(index: int, seed: int) -> tuple[str, str, str]:
    """(split, task, language) of pair ``index``: balanced cycles, so small builds cover every task and language."""
    split, position, eval_position = pair_split(index)
    if split == "train":
        task = _cycled(TASK_CYCLE, position, seed, "task/train")
        return split, task, _cycled(TRAIN_LANGUAGES, position, seed, "lang/train")
    task = _cycled(TASK_CYCLE, eval_position, seed, "task/eval")
    return split, task, _cycled(LANGUAGES, eval_position, seed, "lang/eval")


def pair_id(seed: int, index: int) -> str:
    return f"s{seed}-{index:09d}"


def _chosen_splits(splits) -> tuple[str, ...]:
    """The chosen split names, checked, without repeats, in the fixed order (train, valid, test)."""
    names = [splits] if isinstance(splits, str) else list(splits)
    unknown = sorted(set(names) - set(SPLITS))
    if unknown:
        raise AudioOmniError(f"unknown split(s) {unknown}; choose from {', '.join(SPLITS)}")
    if not names:
        raise AudioOmniError(f"choose at least one split from {', '.join(SPLITS)}")
    return tuple(s for s in SPLITS if s in names)


def plan_units(pairs: int, pairs_per_shard: int, splits=SPLITS) -> list[Unit]:
    """The shards of the chosen splits, in a fixed order (train, valid, test; by number).

    A unit's number and pairs do not depend on which splits are chosen.
    """
    if pairs < 1 or pairs_per_shard < 1:
        raise AudioOmniError("--pairs and --pairs-per-shard must be at least 1")
    splits = _chosen_splits(splits)
    by_split: dict[str, list[int]] = {s: [] for s in SPLITS}
    for index in range(pairs):
        by_split[pair_split(index)[0]].append(index)
    units = []
    for split in splits:
        indices = by_split[split]
        for number, start in enumerate(range(0, len(indices), pairs_per_shard)):
            units.append(Unit(split, number, tuple(indices[start : start + pairs_per_shard])))
    return units


# --------------------------------------------------------------------------------------------------
# One unit (runs in a worker)
# --------------------------------------------------------------------------------------------------


class _Worker:
    def __init__(self, config: BuildConfig, library: SourceLibrary):
        self.config = config
        self.library = library
        self.synth = Synthesizer(config.settings())
        self.filters = QualityFilters(config.sample_rate, FilterSettings(tagger=config.tagger))

    def unit(self, unit: Unit, on_pair=None) -> tuple[list[tuple[str, dict[str, bytes]]], dict]:
        """The pairs of one shard and its report; ``on_pair()`` is called after each pair index (progress)."""
        cfg = self.config
        self.filters.reset_scope()
        before = Counter(self.filters.counts)
        passed_before = self.filters.passed
        failures: Counter[str] = Counter()
        samples = []
        dropped = 0
        for index in unit.indices:
            split, task, language = schedule(index, cfg.seed)
            pool = self.library.pools[split]
            for attempt in range(cfg.max_attempts):
                rng = np.random.default_rng([cfg.seed, index, attempt])
                try:
                    pair = synthesize_pair(task, language, self.synth, pool, rng)
                except PairError as exc:
                    failures["no material"] += 1
                    log.debug("pair %d attempt %d (%s): %s", index, attempt, task, exc)
                    continue
                except AudioOmniError as exc:  # an unreadable or corrupt source clip: skip it, keep building
                    failures["unreadable source"] += 1
                    log.warning("pair %d attempt %d: skipping a source: %s", index, attempt, exc)
                    continue
                if self.filters.check(pair) is not None:
                    continue
                samples.append(self._encode(pair, index, attempt, split, language, rng))
                break
            else:
                dropped += 1
                log.warning("pair %d (%s) dropped after %d attempts", index, task, cfg.max_attempts)
            if on_pair is not None:
                on_pair()
        rejected = Counter(self.filters.counts)
        rejected.subtract(before)
        report = {
            "shard": unit.name,
            "pairs": len(samples),
            "dropped": dropped,
            "attempt_failures": dict(sorted(failures.items())),
            "rejected": {k: int(v) for k, v in sorted(rejected.items()) if v},
            "passed": self.filters.passed - passed_before,
            "tagger_active": self.filters.tagger_active,
        }
        return samples, report

    def _encode(self, pair, index: int, attempt: int, split: str, language: str, rng) -> tuple[str, dict[str, bytes]]:
        cfg = self.config
        template = choose(pair.template_key, language, rng, allow_held_out=split != "train")
        key = pair_id(cfg.seed, index)
        meta = {
            "id": key,
            "split": split,
            "task": pair.task,
            "instruction": render(template, **pair.fields),
            "language": language,
            "template_id": template.id,
            "held_out": template.held_out,
            "sample_rate": cfg.sample_rate,
            "duration": round(len(pair.audio["target"]) / cfg.sample_rate, 4),
            "build": {"seed": cfg.seed, "index": index, "attempt": attempt},
            "loudness": {k: round(lufs(dequantise(pair.audio[k]), cfg.sample_rate), 2)
                         for k in ("source", "target") if k in pair.audio},  # fmt: skip
            **pair.meta,
        }
        meta["domain"] = pair.domain
        if pair.task in OFFICIAL_TRIPLET:
            meta["official_triplet"] = OFFICIAL_TRIPLET[pair.task]
        members = {audio_member(name): encode_flac(pair.audio[name], cfg.sample_rate) for name in sorted(pair.audio)}
        members[META_MEMBER] = dumps(meta).encode("utf-8")
        return key, members


_WORKER: _Worker | None = None
#: Where a worker process reports each finished pair index (the parent's progress bar moves per pair, not per
#: shard of a hundred pairs); None in the parent process, which counts its own.
_PAIRS_DONE = None


def _init_worker(config: BuildConfig, library: SourceLibrary, level: int, pairs_done=None) -> None:
    global _WORKER, _PAIRS_DONE
    _PAIRS_DONE = pairs_done
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _WORKER = _Worker(config, library)


def _run_unit(args: tuple[Unit, str], on_pair=None) -> tuple[str, int, dict]:
    unit, out = args
    assert _WORKER is not None
    if on_pair is None and _PAIRS_DONE is not None:
        on_pair = lambda: _PAIRS_DONE.put(1)  # noqa: E731
    samples, report = _WORKER.unit(unit, on_pair)
    root = Path(out)
    _write_json(root / WORK_DIR / (unit.name.replace("/", "__") + ".json"), report)
    write_shard(root / unit.name, samples)
    return unit.name, len(samples), report


# --------------------------------------------------------------------------------------------------
# The build
# --------------------------------------------------------------------------------------------------


def _write_json(path: Path, data: dict) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _remove_leftovers(out: Path) -> None:
    """Temporary files of killed runs (ours only: ``.<name>.*.tmp`` beside shards and reports)."""
    for folder in [out, out / WORK_DIR, *(out / s for s in SPLITS)]:
        if folder.is_dir():
            for leftover in folder.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)


def _check_settings(out: Path, config: BuildConfig, library: SourceLibrary) -> None:
    state = {"config": config.as_dict(), "library": library.catalog_digest}
    path = out / "build.json"
    if path.is_file():
        previous = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(previous.get("config"), dict):  # build.json of a build from before --split: every split
            previous["config"].setdefault("splits", list(SPLITS))
            previous["config"].setdefault("vary", 0.0)  # a build from before --vary
        if previous != state:
            raise AudioOmniError(
                f"{out} already holds a build with other settings or sources ({path}); "
                "resume with the same settings, or choose a new --out"
            )
    else:
        _write_json(path, state)


def default_catalog() -> Path:
    return cache_dir() / "sources" / "catalog.jsonl"


def build(
    out: Path,
    config: BuildConfig,
    workers: int = 1,
    shard_index: int = 0,
    num_shards: int = 1,
    progress: bool = True,
    library: SourceLibrary | None = None,
) -> BuildResult:
    """Build (or resume) this job's share of the shards; finalize when every shard of the build exists.

    Only the shards of ``config.splits`` belong to the build (``manifest.jsonl`` and ``stats.json`` cover those).
    """
    from tqdm.auto import tqdm

    if not (0 <= shard_index < num_shards):
        raise AudioOmniError(f"--shard-index must be in 0..{num_shards - 1}, got {shard_index}")
    if workers < 1:
        raise AudioOmniError("--workers must be at least 1")
    start = time.perf_counter()
    out = Path(out)
    catalog = Path(config.catalog) if config.catalog else None
    if catalog is not None and not catalog.is_file():
        raise AudioOmniError(f"catalogue {catalog} not found; run `audio-omni data sources` first or pass --catalog")
    if catalog is not None and next(read_catalog(catalog), None) is None:
        raise AudioOmniError(f"catalogue {catalog} holds no clips; run `audio-omni data sources` (its summary says "
                             "why clips were skipped) or pass another --catalog")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    if library is None:
        library = SourceLibrary.build(catalog, config.settings(), config.max_scores, config.speech_engines,
                                      config.recorded_speech, config.use_flagged)  # fmt: skip
    _check_settings(out, config, library)
    _remove_leftovers(out)
    units = plan_units(config.pairs, config.pairs_per_shard, config.splits)
    mine = [u for i, u in enumerate(units) if i % num_shards == shard_index]
    todo = [u for u in mine if not (out / u.name).is_file()]
    bar = tqdm(total=sum(len(u.indices) for u in mine), initial=sum(len(u.indices) for u in mine if u not in todo),
               desc="pairs", unit="pair", disable=not progress)  # fmt: skip
    written = 0
    level = logging.getLogger().getEffectiveLevel()
    try:
        if workers == 1 or len(todo) <= 1:
            _init_worker(config, library, level)
            for unit in todo:
                written += _run_unit((unit, str(out)), on_pair=lambda: bar.update(1))[1]
        else:
            ctx = mp.get_context("spawn")  # no forked onnxruntime/espeak state; same behaviour on every OS
            pairs_done = ctx.SimpleQueue()
            counter = threading.Thread(target=_count_pairs, args=(pairs_done, bar), daemon=True)
            counter.start()
            try:
                with ctx.Pool(min(workers, len(todo)), initializer=_init_worker,
                              initargs=(config, library, level, pairs_done)) as pool:  # fmt: skip
                    for _name, n, _ in pool.imap_unordered(_run_unit, [(u, str(out)) for u in todo]):
                        written += n
            finally:
                pairs_done.put(None)
                counter.join()
    finally:
        bar.close()
    finalized = all((out / u.name).is_file() for u in units)
    report = finalize(out, units, library) if finalized else {}
    return BuildResult(out, len(units), len(todo), len(mine) - len(todo), written, finalized,
                       time.perf_counter() - start, report)  # fmt: skip


def _count_pairs(pairs_done, bar) -> None:
    """Move the progress bar by the pairs the worker processes report, until the None that ends the build."""
    while pairs_done.get() is not None:
        bar.update(1)


def finalize(out: Path, units: list[Unit], library: SourceLibrary) -> dict:
    """Write ``manifest.jsonl`` and ``stats.json`` from the finished shards (atomically, reproducibly)."""
    out = Path(out)
    records = []
    for unit in units:
        for _key, members in read_shard(out / unit.name):
            meta = json.loads(members[META_MEMBER].decode("utf-8"))
            meta["shard"] = unit.name
            records.append(meta)
    with open_atomic(out / "manifest.jsonl", "w") as f:
        for meta in records:
            f.write(dumps(meta) + "\n")
    rejected: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    dropped = passed = 0
    tagger = True
    for unit in units:
        path = out / WORK_DIR / (unit.name.replace("/", "__") + ".json")
        if path.is_file():
            rep = json.loads(path.read_text(encoding="utf-8"))
            rejected.update(rep.get("rejected", {}))
            failures.update(rep.get("attempt_failures", {}))
            dropped += rep.get("dropped", 0)
            passed += rep.get("passed", 0)
            tagger = tagger and rep.get("tagger_active", False)
    leaks = leak_check(records)

    def count(key) -> dict:
        return dict(sorted(Counter(key(r) for r in records).items(), key=lambda kv: (-kv[1], str(kv[0]))))

    stats = {
        "pairs": len(records),
        "shards": len(units),
        "per_split": count(lambda r: r["split"]),
        "per_task": count(lambda r: r["task"]),
        "per_language": count(lambda r: r["language"]),
        "per_domain": count(lambda r: r["domain"]),
        "held_out": count(lambda r: r["held_out"]),
        "per_target_label": count(lambda r: r["labels"]["target"]),
        "filters": {"passed": passed, "rejected": dict(sorted(rejected.items())), "tagger_active": tagger},
        "attempt_failures": dict(sorted(failures.items())),
        "dropped": dropped,
        "leak_check": {"ok": leaks.ok, "clips": len(leaks.clips), "groups": len(leaks.groups)},
        "library": library.summary(),
        "library_skipped": dict(sorted(library.skipped.items())),
    }
    _write_json(out / "stats.json", stats)
    return stats
