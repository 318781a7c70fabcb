"""End to end: the real-clip benchmark, baselines through the CLI, and the report's acceptance numbers."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from audio_omni.eval.command import eval_command, eval_suite_command
from audio_omni.models.presets import preset_config


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    from audio_omni.eval.benchmarks import build_debian_benchmark

    return build_debian_benchmark(tmp_path_factory.mktemp("suite") / "debian", per_operation=1, seconds=3.0)


def _cli():
    app = typer.Typer()
    app.command("eval")(eval_command)
    app.command("eval-suite")(eval_suite_command)
    return app


def test_identity_and_oracle_reports(bench, tmp_path):
    runner = CliRunner()
    reports = {}
    for model in ("identity", "oracle"):
        out = tmp_path / model
        result = runner.invoke(_cli(), ["eval", model, "--suite", str(bench.root), "--out", str(out)])
        assert result.exit_code == 0, result.output
        for name in ("report.json", "report.md", "operations.png", "spectrograms.png"):
            assert (out / name).is_file(), name
        reports[model] = json.loads((out / "report.json").read_text())
    ops = reports["oracle"]["summary"]["operations"]
    assert set(ops) == {"Add", "Remove", "Extract", "Style Transfer", "Replace", "Level", "Region", "SpeechEdit",
                        "T2A", "T2M", "TTS"}
    for op, entry in ops.items():
        assert entry["judged"] >= 1, op
        assert entry["success_rate"] >= 0.95, (op, entry)
        assert entry["si_sdr"] > 100  # the output is the target itself
    identity = reports["identity"]["summary"]["operations"]
    for op in ("Add", "Remove"):
        assert identity[op]["success_rate"] <= 0.05, identity[op]
    # every report carries the reference rows for both baselines
    assert identity["Add"]["oracle_success_rate"] >= 0.95
    md = (tmp_path / "identity" / "report.md").read_text()
    assert "| Add |" in md and "identity" in md and "oracle" in md


def test_unknown_model_and_missing_suite_fail_cleanly(bench, tmp_path):
    runner = CliRunner()
    result = runner.invoke(_cli(), ["eval", "no-such-model", "--suite", str(bench.root), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "error:" in result.output
    result = runner.invoke(_cli(), ["eval", "identity", "--suite", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "manifest.jsonl" in result.output


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
    result = CliRunner().invoke(_cli(), args)
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
    result = CliRunner().invoke(_cli(), ["eval", "outputs:/no/such/dir", "--suite", str(bench.root),
                                         "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "not found" in result.output
