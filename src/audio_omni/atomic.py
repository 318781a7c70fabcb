"""Writing files and directories so that a reader never sees a half-written one.

The one way the project replaces a file: write a temporary sibling with a unique name (``.<name>.<random>.tmp``,
so two writers never share it and a build's leftover sweep recognises it), flush it to disk, rename it over the
target in one step, then sync the directory so the rename itself survives a crash. A failed write removes its
temporary file and leaves the target as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

__all__ = ["atomic_path", "open_atomic", "replacing_directory", "write_bytes_atomic", "write_text_atomic"]

TEMP_SUFFIX = ".tmp"


def _new_file_mode() -> int:
    """The mode ``open()`` would give a new file (0o666 less the umask), read without changing the umask."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    return 0o644


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable; skipped where directories cannot be opened (Windows)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def atomic_path(path: str | Path, permissions: int | None = None) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path`` for a writer that needs a file name (savefig, save_file, ...).

    When the block succeeds the file is synced to disk, given ``permissions`` (default: those of the file it
    replaces, else those a new file gets) and renamed onto ``path``. When it fails the temporary file is
    removed. The parent directory is created if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if permissions is None:
            try:
                permissions = stat.S_IMODE(path.stat().st_mode)
            except OSError:
                permissions = _new_file_mode()
        with contextlib.suppress(OSError):
            os.chmod(tmp, permissions)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _fsync_directory(path.parent)


@contextmanager
def open_atomic(
    path: str | Path, mode: str = "wb", encoding: str | None = None, permissions: int | None = None
) -> Iterator[IO]:
    """``open(path, mode)`` for writing, made atomic (see :func:`atomic_path`); text defaults to UTF-8."""
    if "b" not in mode and encoding is None:
        encoding = "utf-8"
    with atomic_path(path, permissions) as tmp, open(tmp, mode, encoding=encoding) as f:
        yield f


def write_bytes_atomic(path: str | Path, data: bytes, permissions: int | None = None) -> Path:
    """Replace ``path`` with ``data`` in one rename."""
    with open_atomic(path, "wb", permissions=permissions) as f:
        f.write(data)
    return Path(path)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Replace ``path`` with ``text`` (UTF-8) in one rename."""
    return write_bytes_atomic(path, text.encode("utf-8"))


@contextmanager
def replacing_directory(target: str | Path) -> Iterator[Path]:
    """Yield an empty temporary sibling of `target`; when the block succeeds it becomes `target` (an existing
    one is moved aside first and removed after), when it fails it is deleted and `target` is left as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            backup = target.with_name(f".{target.name}.old")
            if backup.exists():
                shutil.rmtree(backup)
            os.replace(target, backup)
            os.replace(tmp, target)
            shutil.rmtree(backup)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
