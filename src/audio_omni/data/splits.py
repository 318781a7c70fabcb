"""Train / valid / test splits with disjoint source material, and the leak check that proves it.

Two independent, deterministic assignments:

* **Source groups -> split.** Every source clip belongs to a group (``ClipRecord.group``: the takes of one
  recording, the stems of one score, one sentence of synthetic speech). Groups are assigned by a hash of their
  name, independent of the build seed, so builds with different seeds (or on different machines) can be merged
  without leakage. Within each kind of source (sound clips, music beds, scores, sentences, ...) the two groups
  with the smallest hashes go to test and valid first, so every split has material of every kind.
* **Pair index -> split.** A fixed repeating schedule (18 train, 1 valid, 1 test per 20 pairs), so the split
  and position of pair ``i`` are known without building any other pair; that is what makes builds
  resumable and shardable.

A pair only uses clips of its own split, so no clip or group can appear in two splits; :func:`leak_check`
verifies it on a finished build (from the manifest).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "SPLITS",
    "SCHEDULE",
    "LeakReport",
    "assign_groups",
    "group_hash",
    "leak_check",
    "pair_split",
    "split_counts",
]

SPLITS = ("train", "valid", "test")
#: One period of the pair-index schedule.
SCHEDULE = ("train",) * 18 + ("valid", "test")
#: Share of source groups per split (after the first test and valid group of each kind).
GROUP_SHARES = {"test": 0.1, "valid": 0.1}


def group_hash(group: str) -> float:
    """A uniform number in [0, 1) from the group name alone (stable across seeds, machines and runs)."""
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:13], 16) / float(1 << 52)


def assign_groups(groups: Iterable[str]) -> dict[str, str]:
    """Split one kind of source groups; with three groups or more, test and valid get at least one each."""
    ordered = sorted(set(groups), key=lambda g: (group_hash(g), g))
    assigned: dict[str, str] = {}
    for i, group in enumerate(ordered):
        if len(ordered) >= 3 and i < 2:
            assigned[group] = ("test", "valid")[i]
            continue
        h = group_hash(group + "#split")
        assigned[group] = "test" if h < GROUP_SHARES["test"] else "valid" if h < sum(GROUP_SHARES.values()) else "train"
    return assigned


def pair_split(index: int) -> tuple[str, int, int]:
    """(split, position of the pair within its split, position among all evaluation pairs or -1)."""
    period, phase = divmod(int(index), len(SCHEDULE))
    split = SCHEDULE[phase]
    per = {s: SCHEDULE.count(s) for s in SPLITS}
    before = sum(1 for s in SCHEDULE[:phase] if s == split)
    position = period * per[split] + before
    n_eval = per["valid"] + per["test"]
    eval_before = sum(1 for s in SCHEDULE[:phase] if s != "train")
    eval_position = period * n_eval + eval_before if split != "train" else -1
    return split, position, eval_position


def split_counts(pairs: int) -> dict[str, int]:
    """How many of the pair indices ``0..pairs-1`` fall in each split."""
    counts = dict.fromkeys(SPLITS, 0)
    full, rest = divmod(pairs, len(SCHEDULE))
    for s in SPLITS:
        counts[s] = full * SCHEDULE.count(s) + SCHEDULE[:rest].count(s)
    return counts


@dataclass
class LeakReport:
    """Source clips and groups found in more than one split (empty when the splits are clean)."""

    pairs: int = 0
    clips: dict[str, list[str]] = field(default_factory=dict)  # clip id -> splits
    groups: dict[str, list[str]] = field(default_factory=dict)  # group -> splits

    @property
    def ok(self) -> bool:
        return not self.clips and not self.groups

    def summary(self) -> str:
        if self.ok:
            return f"no leaks: {self.pairs} pairs, no source clip or group in two splits"
        first = next(iter({**self.groups, **self.clips}.items()))
        return (f"LEAK: {len(self.clips)} clips and {len(self.groups)} groups in several splits "
                f"(e.g. {first[0]!r} in {', '.join(first[1])})")  # fmt: skip


def leak_check(records: str | Path | Iterable[dict]) -> LeakReport:
    """Check a manifest (path to ``manifest.jsonl``, a build directory, or the parsed records).

    Uses each record's ``source_clip_ids`` and ``source_groups``.
    """
    if isinstance(records, (str, Path)):
        path = Path(records)
        path = path / "manifest.jsonl" if path.is_dir() else path
        with open(path, encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
    clip_splits: dict[str, set[str]] = defaultdict(set)
    group_splits: dict[str, set[str]] = defaultdict(set)
    report = LeakReport()
    for record in records:
        report.pairs += 1
        split = record["split"]
        for clip in record.get("source_clip_ids") or []:
            clip_splits[clip].add(split)
        for group in record.get("source_groups") or []:
            group_splits[group].add(split)
    report.clips = {k: sorted(v) for k, v in sorted(clip_splits.items()) if len(v) > 1}
    report.groups = {k: sorted(v) for k, v in sorted(group_splits.items()) if len(v) > 1}
    return report
