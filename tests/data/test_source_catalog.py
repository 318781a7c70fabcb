"""Building the source catalogue from real packages: records, skips with reasons, resume, the CLI."""

from __future__ import annotations

import io
import json
import wave
from collections import Counter

import numpy as np
import pytest
from typer.testing import CliRunner

from audio_omni.cli import app
from audio_omni.data.catalog import read_catalog
from audio_omni.data.sources.catalog_build import build_sources, flag_for, process_item
from audio_omni.data.sources.real_audio import SourceItem
from audio_omni.data.sources.taxonomy import entry

pytestmark = pytest.mark.slow


def _wav_bytes(samples: np.ndarray, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def _item(key: str, data: bytes) -> SourceItem:
    return SourceItem(source="test", key=key, text="dog", title="dog", licence="CC0-1.0", attribution="", data=data)


def test_bad_files_are_skipped_with_a_reason(tmp_path):
    rng = np.random.default_rng(0)
    cases = {
        "corrupt": (b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(rng.integers(0, 255, 64, dtype=np.uint8)), "unreadable"),
        "short": (_wav_bytes(0.3 * rng.standard_normal(4000)), "too short"),
        "silent": (_wav_bytes(np.zeros(32000)), "silent"),
        "empty": (b"", "unreadable"),
    }
    for key, (data, reason) in cases.items():
        result = process_item(_item(key, data), str(tmp_path), tag=False)
        assert result.get("skip") == reason, (key, result)
        assert result["detail"]
    good = process_item(_item("good", _wav_bytes(0.3 * rng.standard_normal(16000))), str(tmp_path), tag=False)
    assert "skip" not in good and good["duration"] == pytest.approx(1.0) and good["path"].endswith(".flac")
    assert sorted(p.name for p in (tmp_path / "test").iterdir()) == ["good.flac"]  # no temp files left


def test_flag_for_uses_related_classes():
    assert flag_for("Dog", [("Animal", 0.9), ("Music", 0.1)]) == (False, "")
    flagged, reason = flag_for("Dog", [("Music", 0.9), ("Speech", 0.2)])
    assert flagged and "'Dog'" in reason
    assert flag_for("Dog", []) == (False, "")


def test_catalogue_of_opensfx_with_tagger_then_resume(tmp_path):
    summary = build_sources(tmp_path, packages=["openttd-opensfx"], tag=True, progress=False)
    records = list(read_catalog(tmp_path / "catalog.jsonl"))
    assert summary.records == len(records) >= 40
    assert summary.skipped["excluded"] >= 10 and summary.skipped["no label"] >= 1
    by_id = {r.id: r for r in records}
    cow = by_id["opensfx/037-cow"]
    assert cow.label == "Cattle, bovinae" and cow.domain == "sound" and cow.licence == "CC0-1.0"
    assert "Jarred Gib" in cow.attribution and cow.caption.startswith("a cow")
    assert cow.sample_rate > 0 and cow.duration > 1 and cow.channels == 1
    assert not cow.flagged and "Cattle, bovinae" in [name for name, _ in cow.tagger[:5]]
    assert all(r.tagger for r in records) and all(r.duration >= 0.5 for r in records)
    assert {r.licence for r in records} <= {"CC-BY-3.0", "CC0-1.0", "CC-BY-SA-3.0"}
    assert all(r.flag_reason for r in records if r.flagged)
    first = (tmp_path / "catalog.jsonl").read_bytes()

    # an interrupted run: drop the last journal lines and a clip, tear the last line
    journal = tmp_path / "journal" / "opensfx.jsonl"
    lines = journal.read_text().splitlines(keepends=True)
    kept = lines[:-5] + [lines[-5][:10]]
    journal.write_text("".join(kept))
    (tmp_path / "clips" / "opensfx" / "037-cow.flac").unlink()
    again = build_sources(tmp_path, packages=["opensfx"], tag=True, progress=False)
    assert (tmp_path / "catalog.jsonl").read_bytes() == first
    assert again.records == summary.records
    assert all(json.loads(line) for line in journal.read_text().splitlines())


def test_cli_prints_counts(tmp_path):
    result = CliRunner().invoke(app, ["data", "sources", "--out", str(tmp_path), "-p", "bucklespring-data", "--no-tag"])
    assert result.exit_code == 0, result.output
    assert "per domain" in result.output and "Computer keyboard" in result.output
    records = list(read_catalog(tmp_path / "catalog.jsonl"))
    assert len(records) == 12 and all(r.duration > 2 for r in records) and records[0].group == "bucklespring/typing"
    bad = CliRunner().invoke(app, ["data", "sources", "--out", str(tmp_path), "-p", "no-such-package"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: ") and "unknown source" in bad.stderr


def test_tux_paint_and_widelands_label_from_their_tables_and_add_to_the_catalogue(tmp_path):
    build_sources(tmp_path, packages=["bucklespring-data"], tag=False, progress=False)
    build_sources(tmp_path, packages=["tuxpaint", "widelands"], tag=False, progress=False)
    records = list(read_catalog(tmp_path / "catalog.jsonl"))
    per_source = Counter(r.source for r in records)
    assert per_source["bucklespring"] == 12  # a source built earlier keeps its records
    assert per_source["tuxpaint"] >= 50 and per_source["widelands"] >= 60
    by_id = {r.id: r for r in records}
    cow = by_id["tuxpaint/animals-mammals-bovines-cow"]
    assert cow.label == "Cattle, bovinae" and cow.licence == "GPL-2" and "Bill Kendrick" in cow.attribution
    # stamps of one kind may be one recording: they share a group, so no two splits share it
    assert by_id["tuxpaint/animals-mammals-bovines-cow-white"].group == cow.group == "tuxpaint/cow"
    assert not any("desc" in r.id or "symbols" in r.id for r in records)  # spoken descriptions stay out
    assert by_id["widelands/animals-wolf-00"].label == "Howl"
    assert by_id["widelands/critters-duck-duck-00"].label == "Duck"
    assert not any("click" in r.id or "message" in r.id for r in records)  # interface sounds stay out
    assert {entry(r.label).domain for r in records if r.source == "widelands"} == {"sound"}
    assert {entry(r.label).domain for r in records if r.source == "tuxpaint"} == {"sound", "music"}  # instruments
