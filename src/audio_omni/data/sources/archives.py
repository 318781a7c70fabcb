"""Readers for the two bundle formats that hold real audio in our source packages.

* OpenTTD sound catalogues (``opensfx.cat``): a table of ``(offset, size)`` little-endian uint32 pairs (offsets
  carry a 0x80000000 flag in the newer layout), the table's length given by the first offset. Each entry is a
  one-byte name length, a NUL-terminated name (OpenSFX writes the clip's description, credits and licence
  there), then a RIFF/WAVE file of ``size`` bytes.
* Qt binary resources (``.rcc``, as shipped by GCompris): a ``qres`` header (version, offsets of the tree, the
  data and the names), a tree of fixed-size nodes (directories point at their children, files at a data
  blob), names as UTF-16BE, and data blobs prefixed by their uint32 length, optionally zlib-compressed
  (``qCompress``: uint32 size + zlib stream) or zstd-compressed.

Both readers return entries lazily from bytes already in memory (the bundles are a few MB each) and raise
:class:`ArchiveError` on malformed input instead of reading out of bounds.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from audio_omni.errors import AudioOmniError

__all__ = ["ArchiveError", "CatEntry", "RccEntry", "read_cat", "read_rcc", "parse_opensfx_description"]


class ArchiveError(AudioOmniError):
    """A sound bundle that cannot be parsed."""


@dataclass(frozen=True)
class CatEntry:
    index: int
    name: str
    data: bytes  # a complete RIFF/WAVE file (possibly a header with no samples)


@dataclass(frozen=True)
class RccEntry:
    path: str  # "/"-separated path inside the bundle, without the leading ":/"
    data: bytes


def read_cat(path: str | Path) -> list[CatEntry]:
    """All entries of an OpenTTD ``.cat`` sound catalogue, in file order."""
    blob = Path(path).read_bytes()
    if len(blob) < 8:
        raise ArchiveError(f"{path}: too short for an OpenTTD sound catalogue")
    first = struct.unpack_from("<I", blob, 0)[0] & 0x7FFFFFFF
    if first % 8 or not 8 <= first <= len(blob):
        raise ArchiveError(f"{path}: not an OpenTTD sound catalogue (bad table size {first})")
    entries = []
    for index in range(first // 8):
        offset, size = struct.unpack_from("<II", blob, index * 8)
        offset &= 0x7FFFFFFF
        if offset >= len(blob):
            raise ArchiveError(f"{path}: entry {index} starts past the end of the file")
        name_len = blob[offset]
        start = offset + 1 + name_len
        if start + size > len(blob):
            raise ArchiveError(f"{path}: entry {index} runs past the end of the file")
        name = blob[offset + 1 : start].split(b"\0", 1)[0].decode("utf-8", "replace")
        entries.append(CatEntry(index=index, name=name, data=blob[start : start + size]))
    return entries


_QUOTED = re.compile(r'^"(?P<title>[^"]*)"\.?\s*(?P<rest>.*)$', re.S)
_LICENCE = re.compile(r"Licen[cs]e:\s*(?P<licence>[^.]+(?:\.\d+[^.]*)*)\.?", re.I)


def parse_opensfx_description(name: str) -> dict[str, str]:
    """Split an OpenSFX entry name into title, credits and licence.

    ``'"Cow". Original "Cow.wav" by "X". Edited by "Y". License: Creative Commons Zero 1.0.'`` ->
    ``{"title": "Cow", "credits": 'Original "Cow.wav" by "X". Edited by "Y".', "licence": "Creative Commons
    Zero 1.0"}``.
    """
    text = " ".join(name.split())
    match = _QUOTED.match(text)
    title, rest = (match.group("title"), match.group("rest")) if match else (text, "")
    licence_match = _LICENCE.search(rest)
    licence = licence_match.group("licence").strip() if licence_match else ""
    credits = rest[: licence_match.start()].strip() if licence_match else rest.strip()
    extra = rest[licence_match.end() :].strip() if licence_match else ""
    if extra:
        credits = f"{credits} {extra}".strip()
    return {"title": title.strip(), "credits": credits, "licence": licence}


# -- Qt resources ------------------------------------------------------------------------------------------

_RCC_DIRECTORY = 0x02
_RCC_ZLIB = 0x01
_RCC_ZSTD = 0x04


def _rcc_name(blob: bytes, names: int, offset: int) -> str:
    at = names + offset
    if at + 6 > len(blob):
        raise ArchiveError("rcc name offset out of range")
    (length,) = struct.unpack_from(">H", blob, at)
    raw = blob[at + 6 : at + 6 + 2 * length]
    if len(raw) != 2 * length:
        raise ArchiveError("rcc name runs past the end")
    return raw.decode("utf-16-be", "replace")


def _rcc_payload(blob: bytes, data: int, offset: int, flags: int) -> bytes:
    at = data + offset
    if at + 4 > len(blob):
        raise ArchiveError("rcc data offset out of range")
    (length,) = struct.unpack_from(">I", blob, at)
    payload = blob[at + 4 : at + 4 + length]
    if len(payload) != length:
        raise ArchiveError("rcc data runs past the end")
    if flags & _RCC_ZLIB:
        try:
            return zlib.decompress(payload[4:])  # qCompress: big-endian uncompressed size, then zlib
        except zlib.error as exc:
            raise ArchiveError(f"rcc zlib data is corrupt: {exc}") from None
    if flags & _RCC_ZSTD:
        try:
            import zstandard
        except ImportError:
            raise ArchiveError("rcc entry is zstd-compressed; pip install zstandard") from None
        return zstandard.ZstdDecompressor().decompress(payload, max_output_size=1 << 30)
    return payload


def read_rcc(path: str | Path, name_filter: re.Pattern[str] | None = None) -> Iterator[RccEntry]:
    """Files inside a Qt binary resource bundle, depth first; ``name_filter`` (searched in the path) skips the
    rest without decompressing them."""
    blob = Path(path).read_bytes()
    if blob[:4] != b"qres" or len(blob) < 20:
        raise ArchiveError(f"{path}: not a Qt binary resource file (no 'qres' magic)")
    version, tree, data, names = struct.unpack_from(">IIII", blob, 4)
    if version not in (1, 2, 3):
        raise ArchiveError(f"{path}: unsupported rcc format version {version}")
    node_size = 14 if version == 1 else 22
    if max(tree, data, names) >= len(blob):
        raise ArchiveError(f"{path}: rcc header offsets out of range")

    def node(index: int) -> tuple[int, int, int, int]:
        at = tree + index * node_size
        if at + 14 > len(blob):
            raise ArchiveError(f"{path}: rcc tree node {index} out of range")
        name_offset, flags = struct.unpack_from(">IH", blob, at)
        a, b = struct.unpack_from(">II", blob, at + 6)
        return name_offset, flags, a, b

    seen: set[int] = set()
    stack: list[tuple[int, str]] = [(0, "")]
    while stack:
        index, prefix = stack.pop()
        if index in seen:
            raise ArchiveError(f"{path}: rcc tree has a cycle")
        seen.add(index)
        name_offset, flags, a, b = node(index)
        name = "" if index == 0 else _rcc_name(blob, names, name_offset)
        full = f"{prefix}/{name}" if prefix else name
        if flags & _RCC_DIRECTORY:
            count, first = a, b
            if first + count > len(blob) // node_size:
                raise ArchiveError(f"{path}: rcc directory {full!r} points past the tree")
            for child in reversed(range(first, first + count)):
                stack.append((child, full))
        else:
            if name_filter is not None and not name_filter.search(full):
                continue
            yield RccEntry(path=full, data=_rcc_payload(blob, data, b, flags))
