"""Pair shards in the team format: webdataset tars of FLAC + JSON, written atomically and reproducibly.

``DIR/{split}/{split}-{NNNNNN}.tar``; one sample per pair, key = pair id; members ``<key>.source.flac``,
``<key>.target.flac``, ``<key>.residual.flac``, ``<key>.voice.flac`` (as present) and ``<key>.json``.

This module is the one owner of that format: the member names (:data:`AUDIO_MEMBERS`, :func:`audio_member`,
:data:`META_MEMBER`), the writer (:func:`write_shard`), the sequential reader (:func:`read_shard`, used by
finalising a build and by the evaluation suites) and random access by tar offsets (:func:`split_shards` +
:func:`index_pairs` -> :class:`PairRecord`, used by training). Nothing else opens a pair shard by hand.

Reproducible bytes: members are written in sorted order by ``webdataset.TarWriter`` with a fixed mtime, owner
and mode (GNU tar headers); FLAC comes from libsndfile at a fixed compression level (no timestamps in FLAC);
JSON is dumped with sorted keys. The same pairs therefore give the same shard, byte for byte, which is what lets a
killed build resume to exactly the result of an uninterrupted one.

Audio is 24-bit PCM FLAC holding the mixer's integer samples unchanged (see :mod:`audio_omni.data.mixer`).
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf

from audio_omni.atomic import open_atomic
from audio_omni.errors import AudioOmniError

__all__ = [
    "AUDIO_MEMBERS",
    "META_MEMBER",
    "MemberLocation",
    "PairRecord",
    "ShardError",
    "audio_member",
    "decode_audio",
    "decode_flac",
    "encode_flac",
    "dumps",
    "index_pairs",
    "read_shard",
    "shard_name",
    "split_shards",
    "tar_members",
    "write_shard",
]

#: The audio roles a pair may hold, each stored as the member ``<key>.<role>.flac``.
AUDIO_MEMBERS = ("source", "target", "residual", "voice")
#: The member holding the pair's metadata (canonical JSON, see :func:`dumps`).
META_MEMBER = "json"
TAR_MTIME = 0
TAR_MODE = 0o644
TAR_USER = "audio-omni"


class ShardError(AudioOmniError):
    """A shard that cannot be read or written."""


def shard_name(split: str, number: int) -> str:
    return f"{split}/{split}-{number:06d}.tar"


def split_shards(directory: str | Path, split: str) -> list[Path]:
    """The shards of ``split`` in a build directory, in name order (empty when there are none)."""
    return sorted((Path(directory) / split).glob(f"{split}-*.tar"))


def audio_member(role: str) -> str:
    """The member suffix of an audio role: ``"target"`` -> ``"target.flac"``."""
    if role not in AUDIO_MEMBERS:
        raise ShardError(f"unknown audio member {role!r} (one of {', '.join(AUDIO_MEMBERS)})")
    return f"{role}.flac"


def encode_flac(samples: np.ndarray, sample_rate: int) -> bytes:
    """24-bit sample values (int32 in [-2**23, 2**23)) -> FLAC bytes, exactly."""
    samples = np.asarray(samples)
    if samples.dtype != np.int32:
        raise ShardError(f"encode_flac expects int32 24-bit samples, got {samples.dtype}")
    buffer = io.BytesIO()
    # libsndfile takes the top 24 bits of an int32 sample for PCM_24: shift the 24-bit values up
    sf.write(buffer, (samples.astype(np.int64) << 8).astype(np.int32), int(sample_rate), format="FLAC",
             subtype="PCM_24", compression_level=0.5)  # fmt: skip
    return buffer.getvalue()


def decode_flac(data: bytes, dtype: str = "float32") -> tuple[np.ndarray, int]:
    """FLAC bytes -> (mono samples, rate). ``dtype="int32"`` gives the 24-bit sample values back."""
    try:
        if dtype == "int32":
            wave, sr = sf.read(io.BytesIO(data), dtype="int32", always_2d=True)
            return (wave[:, 0].astype(np.int64) >> 8).astype(np.int32), int(sr)
        wave, sr = sf.read(io.BytesIO(data), dtype=dtype, always_2d=True)
    except Exception as exc:
        raise ShardError(f"cannot decode FLAC member: {exc}") from None
    return wave[:, 0], int(sr)


def decode_audio(data: bytes) -> tuple[np.ndarray, int]:
    """Audio bytes (FLAC, WAV, ...) -> (float32 [channels, samples], rate), every channel kept."""
    try:
        wave, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception as exc:
        raise ShardError(f"cannot decode audio member: {exc}") from None
    return np.ascontiguousarray(wave.T), int(sr)


def _round(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v) for v in value]
    if isinstance(value, np.generic):
        return _round(value.item())
    return value


def dumps(meta: dict) -> str:
    """Canonical JSON of a pair's metadata (sorted keys, floats to 4 decimals, UTF-8)."""
    return json.dumps(_round(meta), ensure_ascii=False, sort_keys=True)


def write_shard(path: Path, samples: Iterable[tuple[str, dict[str, bytes]]]) -> Path:
    """Write ``(key, {suffix: bytes})`` samples to ``path`` atomically (temp file + rename), in the given order."""
    import webdataset as wds

    path = Path(path)
    with open_atomic(path, "wb", permissions=TAR_MODE) as f:
        writer = wds.TarWriter(f, user=TAR_USER, group=TAR_USER, mode=TAR_MODE, encoder=False, mtime=TAR_MTIME,
                               format="GNU_FORMAT")  # fmt: skip
        for key, members in samples:
            if "." in key or "/" in key:
                raise ShardError(f"pair key {key!r} must not contain '.' or '/'")
            writer.write({"__key__": key, **members})
        writer.close()
    return path


def read_shard(path: Path) -> Iterator[tuple[str, dict[str, bytes]]]:
    """``(key, {suffix: bytes})`` per sample, in shard order. Raises ShardError for a damaged tar."""
    try:
        with tarfile.open(path) as tar:
            current, members = None, {}
            for member in tar:
                if not member.isfile():
                    continue
                key, _, suffix = member.name.partition(".")
                if current is not None and key != current:
                    yield current, members
                    members = {}
                current = key
                members[suffix] = tar.extractfile(member).read()
            if current is not None:
                yield current, members
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ShardError(f"cannot read shard {path}: {exc}") from None


# ---------------------------------------------------------------------------------------------------------
# Random access: members found by their offset in the tar, read without unpacking anything
# ---------------------------------------------------------------------------------------------------------


class MemberLocation(NamedTuple):
    """Where one tar member's bytes lie: (tar path, offset of the data, size)."""

    path: str
    offset: int
    size: int

    def read(self) -> bytes:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            return f.read(self.size)


def tar_members(path: str | Path) -> Iterator[tuple[str, MemberLocation]]:
    """``(member name, location)`` of every regular file in a tar, in tar order (names as stored)."""
    with tarfile.open(path) as tar:
        for member in tar:
            if member.isfile():
                yield member.name, MemberLocation(str(path), member.offset_data, member.size)


@dataclass
class PairRecord:
    """One pair of a shard directory: its key, where its members lie (suffix -> location) and its metadata."""

    key: str
    members: dict[str, MemberLocation]
    meta: dict

    def has(self, role: str) -> bool:
        """Whether the pair holds audio for ``role`` ("source", "target", "residual", "voice")."""
        return audio_member(role) in self.members

    def data(self, role: str) -> bytes:
        """The encoded bytes of the audio member ``role`` (as written)."""
        if not self.has(role):
            raise ShardError(f"pair {self.key} has no {role} audio")
        return self.members[audio_member(role)].read()

    def audio(self, role: str) -> tuple[np.ndarray, int]:
        """(float32 [channels, samples], rate) of the audio member ``role``."""
        return decode_audio(self.data(role))


def index_pairs(tars: Iterable[str | Path]) -> list[PairRecord]:
    """Index the members of the given shards by offset; complete pairs (metadata and target) sorted by key."""
    grouped: dict[str, dict[str, MemberLocation]] = {}
    for tar_path in tars:
        try:
            for name, location in tar_members(tar_path):
                key, _, suffix = name.partition(".")
                grouped.setdefault(key, {})[suffix] = location
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ShardError(f"cannot index shard {tar_path}: {exc}") from None
    records = []
    for key in sorted(grouped):
        members = grouped[key]
        if META_MEMBER not in members or audio_member("target") not in members:
            continue
        try:
            meta = json.loads(members[META_MEMBER].read())
        except ValueError as exc:
            raise ShardError(f"pair {key}: unreadable metadata ({exc})") from None
        records.append(PairRecord(key, members, meta))
    return records
