"""Pair shards in the team format: webdataset tars of FLAC + JSON, written atomically and reproducibly.

``DIR/{split}/{split}-{NNNNNN}.tar``; one sample per pair, key = pair id; members ``<key>.source.flac``,
``<key>.target.flac``, ``<key>.residual.flac``, ``<key>.voice.flac`` (as present) and ``<key>.json``.

Reproducible bytes: members are written in sorted order by ``webdataset.TarWriter`` with a fixed mtime, owner
and mode (GNU tar headers); FLAC comes from libsndfile at a fixed compression level (no timestamps in FLAC);
JSON is dumped with sorted keys. The same pairs therefore give the same shard, byte for byte, which is what lets a
killed build resume to exactly the result of an uninterrupted one.

Audio is 24-bit PCM FLAC holding the mixer's integer samples unchanged (see :mod:`audio_omni.data.mixer`).
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from audio_omni.errors import AudioOmniError

__all__ = [
    "AUDIO_MEMBERS",
    "ShardError",
    "decode_flac",
    "encode_flac",
    "dumps",
    "read_shard",
    "shard_name",
    "write_shard",
]

AUDIO_MEMBERS = ("source", "target", "residual", "voice")
TAR_MTIME = 0
TAR_MODE = 0o644
TAR_USER = "audio-omni"


class ShardError(AudioOmniError):
    """A shard that cannot be read or written."""


def shard_name(split: str, number: int) -> str:
    return f"{split}/{split}-{number:06d}.tar"


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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            writer = wds.TarWriter(f, user=TAR_USER, group=TAR_USER, mode=TAR_MODE, encoder=False, mtime=TAR_MTIME,
                                   format="GNU_FORMAT")  # fmt: skip
            for key, members in samples:
                if "." in key or "/" in key:
                    raise ShardError(f"pair key {key!r} must not contain '.' or '/'")
                writer.write({"__key__": key, **members})
            writer.close()
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
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
