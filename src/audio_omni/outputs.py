"""Checks that an output location can be written, made before any long work (sampling, a data build, an eval).

A run that samples for minutes and only then finds its folder read-only, its disk full, or its output path
naming the input loses all that work. These checks fail in milliseconds instead. They probe the real file
system (create, write and remove a small temporary file), so permissions, read-only mounts, quotas, a full
disk, /proc and /sys all answer the way the final write would. Light imports only: the CLI runs them before
torch is imported.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from audio_omni.errors import OutputError

__all__ = ["check_output_dir", "check_output_file", "probe_writable"]

#: Bytes the probe writes: one file-system block, so a disk with no free block fails the probe.
PROBE_BYTES = 4096


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists (the write creates the folders in between)."""
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor or ".")


def probe_writable(folder: str | os.PathLike, what: str) -> None:
    """Raise OutputError unless a file can be created and written in ``folder`` (or, when it does not exist
    yet, in its closest existing ancestor)."""
    base = _nearest_existing(Path(folder))
    if not base.is_dir():
        raise OutputError(f"cannot write {what}: '{base}' is a file, not a folder")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".audio-omni-probe-", dir=base)
        with os.fdopen(fd, "wb") as fh:
            fh.write(bytes(PROBE_BYTES))
            fh.flush()
    except OSError as exc:
        raise OutputError(f"cannot write {what} in '{base}': {_reason(exc)}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _same_file(a: Path, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either does not exist (yet): not the same file
        return False


def check_output_file(
    path: str | os.PathLike,
    *,
    what: str = "the output",
    suffixes: Iterable[str] | None = None,
    inputs: Iterable[object] = (),
) -> Path:
    """The output file ``path`` as a Path, after checking that it can be written: a supported suffix, not a
    folder, not a device/pipe/socket (replacing /dev/null would be a disaster, writing a pipe would hang), not
    one of ``inputs`` (paths the run reads; other values are ignored), and its folder writable."""
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise OutputError(f"{what}: expected a file path, got {path!r}")
    p = Path(path).expanduser()
    if suffixes is not None:
        allowed = sorted(suffixes)
        if p.suffix.lower() not in allowed:
            raise OutputError(
                f"unsupported output format {p.suffix or '(none)'} for '{p}'; use {', '.join(allowed)}"
            )
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputError(f"cannot write {what} '{p}': {_reason(exc)}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"{what} '{p}' is a folder; give a file name")
    if mode is not None and not stat.S_ISREG(mode):
        raise OutputError(f"{what} '{p}' exists and is not a regular file (a device, pipe or socket)")
    for source in inputs:
        if isinstance(source, (str, os.PathLike)) and _same_file(p, source):
            raise OutputError(f"{what} '{p}' would overwrite the input '{source}'; choose another output")
    probe_writable(p.parent, what)
    return p


def check_output_dir(path: str | os.PathLike, what: str = "the output folder") -> Path:
    """The output folder ``path`` as a Path, after checking that it is (or can become) a writable folder."""
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise OutputError(f"{what}: expected a folder path, got {path!r}")
    p = Path(path).expanduser()
    if os.path.lexists(p) and not p.is_dir():
        raise OutputError(f"{what} '{p}' is an existing file, not a folder; choose another path")
    probe_writable(p, what)
    return p
