"""`audio-omni eval` and `eval-suite` (:mod:`audio_omni.eval`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audio_omni.validation import MAX_SEED, MAX_STEPS


def eval_model(
    model: Annotated[str, typer.Argument(help="checkpoint dir/file, preset name, or a baseline: identity, "
                                              "oracle, spectral-gate, codec-ceiling[:PRESET|CHECKPOINT], "
                                              "outputs:DIR (audio made elsewhere, DIR/<id>.flac), the degenerate "
                                              "noise, silence, lowpass, gain, shuffled for editing; oracle, "
                                              "empty, tagger, whisper for understanding")],
    suite: Annotated[Path, typer.Option(help="suite directory (manifest.jsonl + audio) or a built-in "
                                             "suite name: debian-edit")] = Path("debian-edit"),
    out: Annotated[Path, typer.Option(help="output directory for report.json, report.md, plots, audio")] = Path(
        "eval-out"),
    limit: Annotated[int | None, typer.Option(min=1, help="evaluate only the first N items")] = None,
    per_operation: Annotated[int | None, typer.Option(min=1, help="evaluate only the first N items of each "
                                                                  "operation (a quick pass over all of them)")] = None,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="sampling seed for the model")] = 0,
    steps: Annotated[int | None, typer.Option(min=1, max=MAX_STEPS,
                                              help="sampling steps (model default if omitted)")] = None,
    random_init: Annotated[bool, typer.Option(help="untrained weights for a preset (smoke tests)")] = False,
) -> None:
    """Evaluate a model or a baseline on an evaluation suite and write a report."""
    from audio_omni.outputs import check_output_dir

    out = check_output_dir(out)
    from audio_omni.eval.command import run_evaluation

    report = run_evaluation(model, suite, out, limit=limit, seed=seed, steps=steps, random_init=random_init,
                            per_operation=per_operation)  # fmt: skip
    for op, entry in report["summary"]["operations"].items():
        rate = entry.get("success_rate")
        typer.echo(f"{op:15s} success {'-' if rate is None else f'{100 * rate:.0f}%':>5s}  "
                   f"SI-SDR {entry.get('si_sdr', float('nan')):6.2f} dB")  # fmt: skip
    if report["summary"].get("understanding"):
        from audio_omni.eval.understanding import console_lines

        for line in console_lines(report["summary"]["understanding"]):
            typer.echo(line)
    for note in report["notes"]:
        typer.echo(f"note: {note}")
    typer.echo(f"report: {out / 'report.md'} ({report['total_seconds']:.0f} s)")


def eval_suite(
    out: Annotated[Path, typer.Option(help="suite directory to write")],
    shards: Annotated[Path | None, typer.Option(help="pair-shard directory (team format); omitted: the "
                                                     "built-in benchmark of real Debian clips")] = None,
    split: Annotated[str, typer.Option(help="shard split to convert")] = "test",
    per_group: Annotated[int, typer.Option(min=1, help="pairs kept per (operation, domain, language); "
                                                       "per operation for the built-in benchmark")] = 8,
    verify: Annotated[bool, typer.Option(help="shards: keep only pairs whose instructed change the judges can "
                                              "tell on the reference pair itself (rejections counted in suite.json)")
                      ] = True,
    questions: Annotated[bool, typer.Option(help="also ask understanding questions (Tagging, ASR) about the "
                                                 "generation targets")] = True,
) -> None:
    """Build an evaluation suite: from the data engine's test shards, or from real Debian clips."""
    from audio_omni.errors import AudioOmniError
    from audio_omni.outputs import check_output_dir

    out = check_output_dir(out)
    if shards is not None and not shards.is_dir():
        raise AudioOmniError(f"shard directory not found: {shards}")
    from audio_omni.eval.benchmarks import build_debian_benchmark
    from audio_omni.eval.command import with_questions
    from audio_omni.eval.suites import build_suite_from_shards

    if shards is None:
        suite = build_debian_benchmark(out, per_operation=per_group)
    else:
        suite = build_suite_from_shards(shards, out, split=split, per_group=per_group, verify=verify)
    if questions:
        suite = with_questions(suite)
    typer.echo(f"{len(suite.items)} items written to {suite.root}")


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_model)
    app.command("eval-suite")(eval_suite)
