"""End to end: the real-clip benchmark, baselines through the CLI, and the report's acceptance numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from audio_omni.cli import app
from audio_omni.models.presets import preset_config


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    from audio_omni.eval.benchmarks import build_debian_benchmark

    return build_debian_benchmark(tmp_path_factory.mktemp("suite") / "debian", per_operation=1, seconds=3.0)


def _at_snr(target: np.ndarray, snr_db: float, rng) -> np.ndarray:
    """``target`` plus white noise orthogonal to it, channel by channel, at exactly ``snr_db``: SI-SDR = snr_db."""
    out = np.empty_like(target)
    for c, ref in enumerate(target.astype(np.float64)):
        noise = rng.standard_normal(ref.shape)
        noise -= (noise @ ref) / (ref @ ref) * ref
        noise *= np.sqrt((ref @ ref) / (noise @ noise) * 10 ** (-snr_db / 10))
        out[c] = ref + noise
    return out


def test_report_files_and_an_exact_si_sdr(bench, tmp_path):
    """Outputs made at a known distance from the target: the report's SI-SDR is that distance, for every
    operation, through the command and its files."""
    import soundfile as sf

    from audio_omni.audio.io import load_audio

    rng = np.random.default_rng(0)
    made = tmp_path / "made"
    made.mkdir()
    for item in bench.items:
        target, rate = load_audio(bench.root / item.target)
        sf.write(made / f"{item.id}.flac", _at_snr(target.numpy(), 20.0, rng).T, rate, subtype="PCM_24")
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["eval", f"outputs:{made}", "--suite", str(bench.root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("report.json", "report.md", "operations.png", "spectrograms.png"):
        assert (out / name).is_file(), name
    ops = json.loads((out / "report.json").read_text())["summary"]["operations"]
    assert set(ops) == {"Add", "Remove", "Extract", "Style Transfer", "Replace", "Level", "Region", "SpeechEdit",
                        "T2A", "T2M", "TTS"}
    for op, entry in ops.items():
        assert entry["si_sdr"] == pytest.approx(20.0, abs=0.01), (op, entry)  # 24-bit files: rounding only
    # every report carries the reference rows of both baselines
    assert all(entry["oracle_success_rate"] in (1.0, None) for entry in ops.values())
    md = (out / "report.md").read_text()
    assert "| Add |" in md and "identity" in md and "oracle" in md


def test_unknown_model_and_missing_suite_fail_cleanly(bench, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "no-such-model", "--suite", str(bench.root), "--out", str(tmp_path)])
    assert result.exit_code == 2 and result.stderr.startswith("error:")
    result = runner.invoke(app, ["eval", "identity", "--suite", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "manifest.jsonl" in result.stderr


def test_flagged_class_is_dropped_for_its_item_only(bench, tmp_path):
    """A class the tagger cannot hear (a label outside its vocabulary) is flagged with a reason; its item is
    still judged by its other checks."""
    from audio_omni.eval.command import run_evaluation
    from audio_omni.eval.suites import read_suite, write_manifest

    suite = read_suite(bench.root)
    items = [i for i in suite.items if i.operation == "Remove"]
    for item in items:
        item.source = str(bench.root / item.source)
        item.target = str(bench.root / item.target)
        if item.extra.get("residual"):
            item.extra["residual"] = str(bench.root / item.extra["residual"])
    unknown = "Thing that is not an AudioSet class"
    items[0].labels = {**items[0].labels, "target": unknown,
                       "present_before": items[0].labels["present_before"][:1] + [unknown]}
    write_manifest(tmp_path / "s", items)
    report = run_evaluation("identity", tmp_path / "s", tmp_path / "out", progress=False)
    flagged = report["summary"]["flagged_classes"]
    assert [f["class"] for f in flagged] == [unknown]
    assert "label set" in flagged[0]["reason"]
    assert report["summary"]["operations"]["Remove"]["judged"] == len(items)
    first = next(r for r in report["records"] if r["id"] == items[0].id)
    assert first["dropped_checks"][unknown] == "not a class of the tagger's label set"


def test_debug_model_runs_through_the_suite(bench, tmp_path):
    """A tiny untrained model: the report is written and items longer than its window are cropped."""
    out = tmp_path / "debug"
    args = ["eval", "debug", "--suite", str(bench.root), "--out", str(out), "--limit", "2", "--steps", "2",
            "--random-init"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    records = report["records"]
    assert len(records) == 2 and all(r["status"] == "ok" for r in records)
    assert all(r["cropped_to_seconds"] < 3.0 for r in records)
    assert all((out / r["output"]).is_file() for r in records)
    sampler = preset_config("debug").sampling.sampler
    assert report["sampling"] == {"steps": 2, "sampler": sampler}  # what the items were drawn with
    assert f"2 {sampler} steps" in (out / "report.md").read_text()


def test_outputs_made_elsewhere_are_judged_like_a_model(bench, tmp_path):
    """`outputs:DIR` re-judges audio from an earlier run (or another system) without re-making it."""
    from audio_omni.eval.command import run_evaluation

    first = run_evaluation("oracle", bench.root, tmp_path / "oracle", progress=False)
    again = run_evaluation(f"outputs:{tmp_path / 'oracle' / 'audio'}", bench.root, tmp_path / "again",
                           progress=False)
    for op, entry in first["summary"]["operations"].items():
        assert again["summary"]["operations"][op]["success_rate"] == entry["success_rate"], op
    missing = run_evaluation(f"outputs:{tmp_path}", bench.root, tmp_path / "none", progress=False)
    assert all(r["status"] == "no output" for r in missing["records"])
    result = CliRunner().invoke(app, ["eval", "outputs:/no/such/dir", "--suite", str(bench.root),
                                         "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "not found" in result.stderr
