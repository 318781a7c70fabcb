"""Evaluation suites ("bring your own benchmark"): a directory with ``manifest.jsonl`` and audio beside it.

One JSON object per line (see ``docs/eval.md``)::

    {"id": "...", "operation": "Remove", "instruction": "Remove the sound of 'a dog' from the input audio.",
     "language": "en", "source": "audio/x.source.flac", "target": "audio/x.target.flac",
     "labels": {"target": "Dog", "present_before": ["Water", "Dog"], "present_after": ["Water"]},
     "region": null, "transcript": null, "voice": null}

Paths are relative to the suite directory. Optional extra keys (``domain``, ``caption``, ``duration``,
``template_id``, ``held_out``, ...) are kept. The built-in suites are written in the same format, from the
data engine's test-split pair shards (:func:`build_suite_from_shards`) or from real Debian clips
(:mod:`audio_omni.eval.benchmarks`).
"""

from __future__ import annotations

import io
import json
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from audio_omni.atomic import open_atomic, replacing_directory
from audio_omni.data.shards import AUDIO_MEMBERS, META_MEMBER, ShardError, audio_member, read_shard, split_shards
from audio_omni.errors import AudioOmniError
from audio_omni.tasks import EDIT_TASKS, PAIR_GENERATION_TASKS, UNDERSTANDING_TASKS

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
EDIT_OPERATIONS = EDIT_TASKS
GENERATION_OPERATIONS = PAIR_GENERATION_TASKS
#: Understanding: the model answers ``instruction`` (a question) about ``source``; see eval/understanding.py.
UNDERSTANDING_OPERATIONS = UNDERSTANDING_TASKS
OPERATIONS = EDIT_OPERATIONS + GENERATION_OPERATIONS + UNDERSTANDING_OPERATIONS
_AUDIO_KEYS = ("source", "target", "voice")


class SuiteError(AudioOmniError):
    """A suite directory that cannot be used (no manifest, no valid item)."""


@dataclass
class SuiteItem:
    id: str
    operation: str
    instruction: str
    language: str = "en"
    source: str | None = None
    target: str | None = None
    labels: dict = field(default_factory=lambda: {"target": None, "present_before": [], "present_after": []})
    region: list[float] | None = None
    transcript: str | None = None
    voice: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def domain(self) -> str:
        return self.extra.get("domain") or ("speech" if self.operation in ("TTS", "SpeechEdit") else "sound")

    @property
    def is_generation(self) -> bool:
        return self.operation in GENERATION_OPERATIONS

    @property
    def is_understanding(self) -> bool:
        return self.operation in UNDERSTANDING_OPERATIONS

    def to_json(self) -> dict:
        data = asdict(self)
        extra = data.pop("extra")
        return {**extra, **data}

    @classmethod
    def from_json(cls, data: dict) -> SuiteItem:
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        missing = [k for k in ("id", "operation", "instruction") if not data.get(k)]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        if data["operation"] not in OPERATIONS:
            raise ValueError(f"unknown operation {data['operation']!r} (one of {', '.join(OPERATIONS)})")
        labels = data.get("labels") or {}
        labels = {
            "target": labels.get("target"),
            "present_before": list(labels.get("present_before") or []),
            "present_after": list(labels.get("present_after") or []),
            **{k: v for k, v in labels.items() if k not in ("target", "present_before", "present_after")},
        }
        region = data.get("region")
        if region is not None:
            if len(region) != 2 or not float(region[0]) < float(region[1]):
                raise ValueError(f"region must be [start_s, end_s] with start < end, got {region!r}")
            region = [float(region[0]), float(region[1])]
        fields = {k: data.get(k) for k in known if k in data}
        fields.update(labels=labels, region=region, id=str(data["id"]))
        fields.setdefault("language", "en")
        if fields.get("language") is None:
            fields["language"] = "en"
        return cls(**fields, extra={k: v for k, v in data.items() if k not in known})


@dataclass
class Suite:
    root: Path
    items: list[SuiteItem]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (line or id, reason)

    def path(self, relative: str | None) -> Path | None:
        return None if relative is None else self.root / relative

    @property
    def name(self) -> str:
        return self.root.name


def read_suite(root: str | Path, limit: int | None = None) -> Suite:
    """Read and check a suite. Invalid lines and items whose audio is missing are skipped with a reason."""
    root = Path(root)
    manifest = root / MANIFEST
    if not manifest.is_file():
        raise SuiteError(f"{root} is not an evaluation suite: {MANIFEST} not found (see docs/eval.md)")
    items, skipped, seen = [], [], set()
    with open(manifest, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                item = SuiteItem.from_json(json.loads(line))
            except (ValueError, TypeError, KeyError) as exc:
                skipped.append((f"line {number}", str(exc)))
                log.warning("suite %s line %d skipped: %s", root, number, exc)
                continue
            reason = _missing_audio(root, item)
            if item.id in seen:
                reason = "duplicate id"
            if reason:
                skipped.append((item.id, reason))
                log.warning("suite %s item %s skipped: %s", root, item.id, reason)
                continue
            seen.add(item.id)
            items.append(item)
            if limit is not None and len(items) >= limit:
                break
    if not items:
        raise SuiteError(f"no usable item in {manifest} ({len(skipped)} skipped)")
    return Suite(root=root, items=items, skipped=skipped)


def _missing_audio(root: Path, item: SuiteItem) -> str | None:
    if not item.is_generation and item.source is None:
        return "item without source audio (the audio to edit or to ask about)"
    if item.target is None and item.operation != "SpeechEdit" and not item.is_understanding:
        return "no target audio"
    for key in _AUDIO_KEYS:
        rel = getattr(item, key)
        if rel is not None:
            path = (root / rel).resolve()
            if not path.is_file():
                return f"{key} audio not found: {rel}"
    return None


def write_manifest(root: Path, items: list[SuiteItem]) -> Path:
    """Write ``root/manifest.jsonl`` atomically."""
    with open_atomic(root / MANIFEST, "w") as f:
        for item in items:
            f.write(json.dumps(item.to_json(), ensure_ascii=False, sort_keys=True) + "\n")
    return root / MANIFEST


# ---------------------------------------------------------------------------------------------------------
# Built-in suites from the data engine's pair shards
# ---------------------------------------------------------------------------------------------------------

def build_suite_from_shards(
    shards: str | Path,
    out: str | Path,
    split: str = "test",
    per_group: int | None = 4,
    limit: int | None = None,
    verify: bool = False,
) -> Suite:
    """Convert the ``split`` pair shards in ``shards`` (team format) into a suite directory ``out``.

    ``per_group`` keeps at most that many pairs per (task, domain, language) so that every operation, domain
    and language is covered while the suite stays small; None keeps all. Unreadable samples are skipped and
    logged. The suite is built in a temporary sibling directory and renamed into place.

    ``verify`` keeps only pairs whose success checks can be judged on their own reference pair (the instructed
    change is heard between source and target; for generation, the judges recognise the target), as the
    built-in Debian benchmark does; the rejected pairs are counted per check key in suite.json, so the
    selection is visible.
    """
    rejected: dict[str, int] = defaultdict(int)
    judges = None
    if verify:  # the evaluation's own checks; imported here so reading a suite stays free of torch
        from audio_omni.eval.success import Judges, unjudgeable_keys

        judges = Judges()
    shards, out = Path(shards), Path(out)
    tars = split_shards(shards, split)
    if not tars:
        raise SuiteError(f"no {split} shards in {shards / split} (expected {split}-NNNNNN.tar)")
    with replacing_directory(out) as tmp:
        (tmp / "audio").mkdir()
        counts: dict[tuple, int] = defaultdict(int)
        items: list[SuiteItem] = []
        for tar_path in tars:
            try:
                samples = list(read_shard(tar_path))
            except ShardError as exc:
                log.warning("shard %s skipped: %s", tar_path, exc)
                continue
            for key, members in samples:
                item = _item_from_sample(key, members, tmp, split, counts, per_group)
                if item is not None and judges is not None:
                    failed = unjudgeable_keys(item, tmp, judges)
                    if failed:
                        for label in failed:
                            rejected[label] += 1
                        counts[(item.operation, item.domain, item.language)] -= 1
                        for key_name in (*_AUDIO_KEYS, "residual"):
                            rel = getattr(item, key_name, None) or item.extra.get(key_name)
                            if rel:
                                (tmp / rel).unlink(missing_ok=True)
                        item = None
                if item is not None:
                    items.append(item)
                if limit is not None and len(items) >= limit:
                    break
            if limit is not None and len(items) >= limit:
                break
        if not items:
            raise SuiteError(f"no usable {split} pair in {shards}")
        items.sort(key=lambda i: (i.operation, i.id))
        write_manifest(tmp, items)
        (tmp / "suite.json").write_text(json.dumps({
            "built_from": str(shards), "split": split, "per_group": per_group, "items": len(items),
            "verified": verify, "rejected_pairs_per_check": dict(sorted(rejected.items())),
        }, indent=2))
    return read_suite(out)


def _item_from_sample(key, members, root: Path, split, counts, per_group) -> SuiteItem | None:
    try:
        meta = json.loads(members[META_MEMBER].decode("utf-8"))
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        log.warning("pair %s skipped: unreadable json (%s)", key, exc)
        return None
    if meta.get("split", split) != split:
        return None
    group = (meta.get("task"), meta.get("domain"), meta.get("language"))
    if per_group is not None and counts[group] >= per_group:
        return None
    paths = {}
    for role in AUDIO_MEMBERS:
        suffix = audio_member(role)
        data = members.get(suffix)
        if data is None:
            continue
        try:
            sf.info(io.BytesIO(data))
        except Exception as exc:
            log.warning("pair %s skipped: %s audio unreadable (%s)", key, role, exc)
            return None
        rel = f"audio/{key}.{suffix}"
        (root / rel).write_bytes(data)
        paths[role] = rel
    data = {
        **{k: v for k, v in meta.items() if k not in ("task", "split", "shard")},
        "id": meta.get("id", key),
        "operation": meta.get("task"),
        "instruction": meta.get("instruction") or meta.get("caption") or meta.get("transcript") or "",
        "source": paths.get("source"),
        "target": paths.get("target"),
        "voice": paths.get("voice"),
        "residual": paths.get("residual"),
    }
    try:
        item = SuiteItem.from_json(data)
    except ValueError as exc:
        log.warning("pair %s skipped: %s", key, exc)
        return None
    reason = _missing_audio(root, item)
    if reason:
        log.warning("pair %s skipped: %s", key, reason)
        return None
    counts[group] += 1
    return item


def save_flac(path: Path, wave: np.ndarray, rate: int) -> None:
    """Write [T] or [C, T] float audio as 24-bit FLAC (atomic via audio.io.save_audio)."""
    from audio_omni.audio.io import save_audio

    save_audio(path, np.asarray(wave, np.float32), rate, subtype="PCM_24")
