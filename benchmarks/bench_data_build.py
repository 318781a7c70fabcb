"""Pair-build throughput: pairs per second per core, peak memory, and the time 1M pairs would take on 64 cores.

    python3 benchmarks/bench_data_build.py [--catalog PATH] [--pairs N] [--workers W] [--seconds S]
                                           [--sample-rate HZ] [--speech-engine E ...] [--no-tagger] [--json OUT]

Builds ``--pairs`` pairs into a temporary folder with ``audio-omni data build`` (the same code path) and measures:

* wall time of the build (library loading, worker start-up and the final manifest included);
* pairs / s and pairs / s / core (divided by the number of worker processes; each worker is one process on one
  core, and the cluster job array scales the same way: independent shards, no shared state);
* peak resident memory of the main process and of the largest worker (``getrusage``);
* the extrapolated wall time for 1,000,000 pairs on a 64-core machine (64 workers), assuming per-core throughput
  stays what it was here (shards are independent, so the build is embarrassingly parallel; I/O and caches
  shared between processes are the main risks to that assumption).

Caches matter: music renders (``<cache>/music-stems``) and synthesised utterances (``<cache>/tts-utterances``)
are reused across builds, so run with ``--repeat 2`` to see a cold and a warm figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from audio_omni.data.build import BuildConfig, build, default_catalog


def _rss_mib(who: int) -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS)
    scale = 1 if platform.system() == "Darwin" else 1024
    return resource.getrusage(who).ru_maxrss * scale / 2**20


def run_once(args, out: Path) -> dict:
    config = BuildConfig(
        pairs=args.pairs, seed=args.seed, sample_rate=args.sample_rate, seconds=args.seconds,
        pairs_per_shard=args.pairs_per_shard, catalog=str(args.catalog), max_scores=args.max_scores,
        speech_engines=tuple(args.speech_engine), tagger=args.tagger,
    )  # fmt: skip
    start = time.perf_counter()
    result = build(out, config, workers=args.workers, progress=False)
    wall = time.perf_counter() - start
    pairs = result.report.get("pairs", result.pairs_written_now)
    per_s = pairs / wall
    per_core = per_s / args.workers
    size = sum(p.stat().st_size for p in out.rglob("*.tar"))
    return {
        "pairs": pairs,
        "wall_s": round(wall, 2),
        "pairs_per_s": round(per_s, 3),
        "pairs_per_s_per_core": round(per_core, 3),
        "peak_rss_main_mib": round(_rss_mib(resource.RUSAGE_SELF), 1),
        "peak_rss_largest_worker_mib": round(_rss_mib(resource.RUSAGE_CHILDREN), 1),
        "bytes_per_pair": int(size / max(1, pairs)),
        "extrapolated_1M_pairs_64_cores_h": round(1_000_000 / (per_core * 64) / 3600, 2),
        "extrapolated_1M_pairs_disk_gb": round(size / max(1, pairs) * 1e6 / 1e9, 1),
        "filters": result.report.get("filters"),
        "dropped": result.report.get("dropped"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=default_catalog())
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--sample-rate", type=int, default=22050)
    parser.add_argument("--pairs-per-shard", type=int, default=25)
    parser.add_argument("--max-scores", type=int, default=60)
    parser.add_argument("--speech-engine", action="append", default=None)
    parser.add_argument("--no-tagger", dest="tagger", action="store_false")
    parser.add_argument("--repeat", type=int, default=1, help="runs in fresh folders (the first may fill caches)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    args.speech_engine = args.speech_engine or ["piper", "kokoro", "espeak"]
    if not args.catalog.is_file():
        raise SystemExit(f"no catalogue at {args.catalog}: run `audio-omni data sources` or pass --catalog")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    runs = []
    for i in range(args.repeat):
        out = Path(tempfile.mkdtemp(prefix="bench-data-build-"))
        try:
            runs.append(run_once(args, out))
        finally:
            shutil.rmtree(out, ignore_errors=True)
        print(f"run {i + 1}: " + json.dumps(runs[-1]))
    summary = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "json"},
        "runs": runs,
    }
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    best = max(runs, key=lambda r: r["pairs_per_s_per_core"])
    print(f"pairs/s/core: {best['pairs_per_s_per_core']} (workers {args.workers}); peak RSS main "
          f"{best['peak_rss_main_mib']} MiB, largest worker {best['peak_rss_largest_worker_mib']} MiB; "
          f"1M pairs on 64 cores: ~{best['extrapolated_1M_pairs_64_cores_h']} h, "
          f"~{best['extrapolated_1M_pairs_disk_gb']} GB of shards")  # fmt: skip


if __name__ == "__main__":
    main()
