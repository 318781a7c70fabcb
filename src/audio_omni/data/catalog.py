"""The source catalogue: one record per usable clip, shared by every source and by the pair builder.

Sources (real recordings from Debian/PyPI packages, rendered music stems, synthesised or recorded speech) each
write records; the pair builder reads them. Stored as JSON Lines, written atomically.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from audio_omni.atomic import open_atomic

Domain = Literal["sound", "music", "speech"]


@dataclass
class ClipRecord:
    """One clip on disk.

    id: stable and unique across sources ("<source>/<name>"), so splits and leak checks can key on it.
    path: the extracted/rendered audio file (absolute, under the cache).
    label: one class from the curated taxonomy (AudioSet class names where they exist).
    group: clips that must stay in the same split (e.g. the stems of one score, the takes of one speaker);
      defaults to the id.
    stems: for rendered music, {"instrument name": path} of the exact separate stems of this mixture.
    tagger: top classes of the frozen tagger with probabilities; flagged=True when they disagree with label.
    """

    id: str
    path: str
    domain: Domain
    label: str
    caption: str
    duration: float
    sample_rate: int
    channels: int
    source: str
    licence: str
    attribution: str = ""
    group: str = ""
    language: str | None = None
    transcript: str | None = None
    speaker: str | None = None
    instrument: str | None = None
    stems: dict[str, str] = field(default_factory=dict)
    tagger: list[tuple[str, float]] = field(default_factory=list)
    flagged: bool = False
    flag_reason: str = ""

    def __post_init__(self) -> None:
        if not self.group:
            self.group = self.id

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> ClipRecord:
        data = json.loads(line)
        data["tagger"] = [tuple(item) for item in data.get("tagger", [])]
        return cls(**data)


def read_catalog(path: str | Path) -> Iterator[ClipRecord]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield ClipRecord.from_json(line)


def write_catalog(path: str | Path, records: Iterable[ClipRecord]) -> Path:
    """Write all records atomically (temp file in the same directory + rename), sorted by id."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(records, key=lambda r: r.id)
    ids = [r.id for r in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("catalog ids must be unique")
    with open_atomic(path, "w") as f:
        for record in ordered:
            f.write(record.to_json() + "\n")
    return path
