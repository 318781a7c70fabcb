"""The one atomic writer: unique temporary names, nothing left behind, the target intact on failure."""

from __future__ import annotations

import os
import stat

import pytest

from audio_omni.atomic import atomic_path, open_atomic, write_bytes_atomic, write_text_atomic


def test_two_writers_of_one_file_never_share_a_temporary_file(tmp_path):
    target = tmp_path / "latest.txt"
    with atomic_path(target) as first, atomic_path(target) as second:
        assert first != second and first.parent == second.parent == tmp_path
        assert first.name.startswith(".latest.txt.") and first.name.endswith(".tmp")
        first.write_text("first")
        second.write_text("second")
    assert target.read_text() == "first"  # the outer block finished last and won
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.txt"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = write_text_atomic(tmp_path / "report.json", "old ✓")
    with pytest.raises(RuntimeError), open_atomic(target, "w") as f:
        f.write("half of a new")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "old ✓"
    assert list(tmp_path.iterdir()) == [target]


def test_permissions_of_the_replaced_file_are_kept_and_new_files_get_the_usual_ones(tmp_path):
    kept = write_bytes_atomic(tmp_path / "a.bin", b"1")
    os.chmod(kept, 0o600)
    write_bytes_atomic(kept, b"2")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and kept.read_bytes() == b"2"
    umask = os.umask(0o022)
    os.umask(umask)
    fresh = write_bytes_atomic(tmp_path / "sub" / "b.bin", b"3")  # the folder is made too
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(write_bytes_atomic(tmp_path / "c.tar", b"", permissions=0o644).stat().st_mode) == 0o644
