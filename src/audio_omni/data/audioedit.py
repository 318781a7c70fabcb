"""A reader for the official AudioEdit release layout, and its conversion into our pair shards.

The release (HKUSTAudio/AudioEdit) is a folder with ``meta_total.jsonl`` (one line per mixture) and three tars,
``mixed.tar``, ``target.tar`` and ``residual.tar`` (optionally ``meta_transfer.jsonl`` + ``transfer.tar`` for style
transfer). Its field names are not documented, so the reader resolves them tolerantly:

* audio of a role (``mixed`` / ``target`` / ``residual``): the first of ``<role>``, ``<role>_path``,
  ``<role>_audio``, ``<role>_wav``, ``<role>_file`` that names a member of ``<role>.tar`` (matched by its path,
  its path without a leading ``<role>/``, or its base name);
* the sound's name: the first of ``label``, ``target_label``, ``caption``, ``target_caption``, ``class``,
  ``event``, ``text``;
* the id: ``id``, ``key`` or ``name``, else the mixed file's stem.

Tars may also be split (``mixed/*.tar`` ...). Members are read by offset (the tars are indexed once, nothing is
extracted). Each mixture record yields the three paper operations: Add (residual -> mixed), Remove (mixed ->
residual) and Extract (mixed -> target), with the paper's instruction templates. Transfer records (source,
target, and the two names) yield Style Transfer. Unreadable records are skipped with a logged reason.
"""

from __future__ import annotations

import json
import logging
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from audio_omni.atomic import write_text_atomic
from audio_omni.data.shards import (
    META_MEMBER,
    MemberLocation,
    ShardError,
    audio_member,
    decode_audio,
    dumps,
    encode_flac,
    shard_name,
    tar_members,
    write_shard,
)
from audio_omni.errors import AudioOmniError

__all__ = ["AudioEditError", "AudioEditRelease", "OfficialExample", "PAPER_TEMPLATES", "convert_release"]

log = logging.getLogger(__name__)

PAPER_TEMPLATES = {
    "Add": "Add the sound of '{x}' to the input audio.",
    "Remove": "Remove the sound of '{x}' from the input audio.",
    "Extract": "Extract the sound of '{x}' from the input audio.",
    "Style Transfer": "Change the sound of '{x}' to '{y}'.",
}
#: (task, source role, target role) of the three operations one mixture gives.
MIXTURE_TASKS = (("Add", "residual", "mixed"), ("Remove", "mixed", "residual"), ("Extract", "mixed", "target"))
_ROLE_KEYS = ("{role}", "{role}_path", "{role}_audio", "{role}_wav", "{role}_file")
_LABEL_KEYS = ("label", "target_label", "caption", "target_caption", "class", "event", "text")
_ID_KEYS = ("id", "key", "name")
_TRANSFER_KEYS = {
    "source": ("source", "source_path", "input", "input_path", "src", "src_path", "original"),
    "target": ("target", "target_path", "output", "output_path", "tgt", "tgt_path", "transferred"),
    "x": ("source_label", "src_label", "source_caption", "from", "original_label", "label"),
    "y": ("target_label", "tgt_label", "target_caption", "to", "new_label"),
}


class AudioEditError(AudioOmniError):
    """A folder that is not in the AudioEdit release layout, or a member that cannot be read."""


@dataclass
class OfficialExample:
    id: str
    task: str
    instruction: str
    description: str
    target_description: str | None
    source: MemberLocation | None  # (tar, offset, size) of the source audio
    target: MemberLocation
    record: dict = field(default_factory=dict)

    def source_audio(self) -> tuple[np.ndarray, int] | None:
        return None if self.source is None else read_member_audio(self.source)

    def target_audio(self) -> tuple[np.ndarray, int]:
        return read_member_audio(self.target)


def read_member_audio(location: MemberLocation) -> tuple[np.ndarray, int]:
    """(float32 [channels, samples], rate) of one tar member, by offset."""
    try:
        return decode_audio(location.read())
    except ShardError as exc:
        raise AudioEditError(f"{exc} (in {location.path} at offset {location.offset})") from None


class _TarIndex:
    """Members of one role's tar(s), findable by path, by path without the role folder, and by base name."""

    def __init__(self, role: str, tars: list[Path]):
        self.role = role
        self.by_name: dict[str, MemberLocation] = {}
        self.by_base: dict[str, MemberLocation | None] = {}
        for tar_path in tars:
            try:
                for stored, loc in tar_members(tar_path):
                    name = stored.lstrip("./")
                    self.by_name[name] = loc
                    base = PurePosixPath(name).name
                    self.by_base[base] = None if base in self.by_base else loc  # None: ambiguous
            except (tarfile.TarError, OSError) as exc:
                log.warning("skipping %s: unreadable tar (%s)", tar_path, exc)

    def find(self, reference: str) -> MemberLocation | None:
        ref = str(reference).lstrip("./")
        for candidate in (ref, ref.split("/", 1)[1] if ref.startswith(self.role + "/") else None):
            if candidate and candidate in self.by_name:
                return self.by_name[candidate]
        return self.by_base.get(PurePosixPath(ref).name)

    def __len__(self) -> int:
        return len(self.by_name)


def _role_tars(root: Path, role: str) -> list[Path]:
    single = root / f"{role}.tar"
    split = sorted((root / role).glob("*.tar")) if (root / role).is_dir() else []
    return ([single] if single.is_file() else []) + split


def _first(record: dict, keys) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


class AudioEditRelease:
    """An AudioEdit release folder (see the module docstring)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.meta = self.root / "meta_total.jsonl"
        if not self.meta.is_file():
            raise AudioEditError(f"{self.root} is not an AudioEdit release: meta_total.jsonl is missing")
        self.indexes = {}
        for role in ("mixed", "target", "residual"):
            tars = _role_tars(self.root, role)
            if not tars:
                raise AudioEditError(f"{self.root} has no {role}.tar (nor {role}/*.tar)")
            self.indexes[role] = _TarIndex(role, tars)
        self.transfer_meta = self.root / "meta_transfer.jsonl"
        transfer_tars = _role_tars(self.root, "transfer")
        self.transfer = _TarIndex("transfer", transfer_tars) if transfer_tars and self.transfer_meta.is_file() else None
        self.skipped: dict[str, int] = {}

    def _skip(self, reason: str, where: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        log.warning("skipping %s: %s", where, reason)

    @staticmethod
    def _lines(path: Path) -> Iterator[tuple[int, dict | None]]:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    yield number, None
                    continue
                yield number, record if isinstance(record, dict) else None

    def examples(self, tasks=("Add", "Remove", "Extract", "Style Transfer")) -> Iterator[OfficialExample]:
        """Every usable example of the selected tasks, in file order."""
        if any(t in tasks for t, _, _ in MIXTURE_TASKS):
            for number, record in self._lines(self.meta):
                where = f"{self.meta.name}:{number}"
                if record is None:
                    self._skip("not a JSON object", where)
                    continue
                found = {}
                for role, index in self.indexes.items():
                    ref = _first(record, [k.format(role=role) for k in _ROLE_KEYS])
                    found[role] = index.find(ref) if ref else None
                label = _first(record, _LABEL_KEYS)
                missing = [r for r, loc in found.items() if loc is None]
                if missing or not label:
                    self._skip(f"missing {', '.join(missing) or 'label'}", where)
                    continue
                mixed_ref = _first(record, [k.format(role="mixed") for k in _ROLE_KEYS]) or str(number)
                base_id = _first(record, _ID_KEYS) or PurePosixPath(mixed_ref).stem
                for task, src, tgt in MIXTURE_TASKS:
                    if task in tasks:
                        yield OfficialExample(f"{base_id}-{task.lower()}", task, PAPER_TEMPLATES[task].format(x=label),
                                              label, None, found[src], found[tgt], record)  # fmt: skip
        if "Style Transfer" in tasks and self.transfer is not None:
            for number, record in self._lines(self.transfer_meta):
                where = f"{self.transfer_meta.name}:{number}"
                if record is None:
                    self._skip("not a JSON object", where)
                    continue
                refs = {k: _first(record, keys) for k, keys in _TRANSFER_KEYS.items()}
                locs = {k: self.transfer.find(refs[k]) if refs[k] else None for k in ("source", "target")}
                if None in locs.values() or not refs["x"] or not refs["y"]:
                    self._skip("incomplete transfer record", where)
                    continue
                base_id = _first(record, _ID_KEYS) or PurePosixPath(refs["source"]).stem
                paper = PAPER_TEMPLATES["Style Transfer"].format(x=refs["x"], y=refs["y"])
                instruction = record.get("instruction") or paper
                yield OfficialExample(f"{base_id}-transfer", "Style Transfer", instruction, refs["x"], refs["y"],
                                      locs["source"], locs["target"], record)  # fmt: skip


def convert_release(root: str | Path, out: str | Path, limit: int | None = None, pairs_per_shard: int = 1000) -> int:
    """Write the release's examples as our pair shards (split ``train``, 24-bit FLAC) + ``manifest.jsonl``.

    Returns the number of pairs written. Audio is converted to mono at its own rate.
    """
    from audio_omni.data.mixer import quantise

    release = AudioEditRelease(root)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest, batch, number, written = [], [], 0, 0

    def flush() -> None:
        nonlocal batch, number
        if batch:
            write_shard(out / shard_name("train", number), batch)
            number += 1
            batch = []

    for example in release.examples():
        if limit is not None and written >= limit:
            break
        try:
            target, sr = example.target_audio()
            source = example.source_audio()
        except AudioEditError as exc:
            log.warning("skipping %s: %s", example.id, exc)
            continue
        key = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in example.id)
        members = {audio_member("target"): encode_flac(quantise(target.mean(axis=0)), sr)}
        if source is not None:
            members[audio_member("source")] = encode_flac(quantise(source[0].mean(axis=0)), source[1])
        meta = {
            "id": key, "split": "train", "task": example.task, "instruction": example.instruction, "language": "en",
            "template_id": f"official/{example.task}", "held_out": False, "domain": "sound",
            "description": example.description, "target_description": example.target_description,
            "labels": {"target": example.description, "present_before": [], "present_after": []}, "region": None,
            "sample_rate": sr, "duration": round(target.shape[1] / sr, 4), "source_clip_ids": [key],
            "source_groups": [key], "caption": None, "transcript": None, "origin": "AudioEdit release",
        }  # fmt: skip
        members[META_MEMBER] = dumps(meta).encode("utf-8")
        batch.append((key, members))
        manifest.append({**meta, "shard": shard_name("train", number)})
        written += 1
        if len(batch) >= pairs_per_shard:
            flush()
    flush()
    write_text_atomic(out / "manifest.jsonl", "".join(dumps(m) + "\n" for m in manifest))
    return written
