"""``audio-omni data stats`` on a real (small) build: tables and PNG plots."""

from __future__ import annotations

import json

import pytest
from edit_sources import write_real_catalog
from typer.testing import CliRunner

from audio_omni.cli import app
from audio_omni.data.build import BuildConfig, build
from audio_omni.data.stats import PLOTS, load_manifest, summarize
from audio_omni.errors import AudioOmniError


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("stats")
    catalog = write_real_catalog(root / "sources")
    config = BuildConfig(pairs=20, sample_rate=16000, seconds=3.0, pairs_per_shard=10, catalog=str(catalog),
                         max_scores=2, speech_engines=("espeak",), tagger=False)  # fmt: skip
    build(root / "pairs", config, progress=False)
    return root / "pairs"


def test_summary_counts_match_the_manifest(built):
    records = load_manifest(built)
    summary = summarize(records)
    assert summary["pairs"] == 20 == sum(summary["per_task"].values()) == sum(summary["per_language"].values())
    assert summary["per_split"] == {"train": 18, "test": 1, "valid": 1}
    assert summary["duration_s"]["min"] == summary["duration_s"]["max"] == 3.0
    loud = summary["loudness_lufs"]["target"]
    assert -45 <= loud["min"] <= loud["mean"] <= loud["max"] <= -10
    built_stats = json.loads((built / "stats.json").read_text())
    assert built_stats["per_task"] == summary["per_task"]


def test_stats_command_prints_and_plots(built, tmp_path):
    result = CliRunner().invoke(app, ["data", "stats", str(built), "--out", str(tmp_path / "plots")])
    assert result.exit_code == 0, result.output
    for heading in ("operation:", "language:", "target class:", "duration (s):", "loudness of target", "leak check:"):
        assert heading in result.output
    for name in PLOTS:
        png = tmp_path / "plots" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert not list((tmp_path / "plots").glob(".*"))


def test_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(AudioOmniError, match="no manifest"):
        load_manifest(tmp_path)
