"""How well the evaluation tells edits apart: judged items and pass rates of every baseline, per operation.

Runs the success checks of ``audio_omni.eval.success`` on a suite for several systems at once (the reference
pair of each item is judged once and shared), and prints one table per operation: how many items are judged,
and the success rate of identity, oracle, the codec ceiling, the signal-processing editor and the degenerate
baselines (noise, silence, low-pass, gain, another item's target), each over the judged items.

    python benchmarks/bench_eval_baselines.py SUITE [--out results.json] [--operations Add Remove ...]

Only the success checks are computed (no SI-SDR, pitch or tempo), so this is several times cheaper than one
``audio-omni eval`` run per baseline; the numbers are the same as those runs' success rates.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from audio_omni.eval import baselines
from audio_omni.eval.ceiling import load_ceiling
from audio_omni.eval.runner import _as_output
from audio_omni.eval.success import Evidence, Judges, checks_for, item_success, load_waves
from audio_omni.eval.suites import read_suite

SYSTEMS = ("codec-ceiling", "spectral-gate", *baselines.DEGENERATE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--operations", nargs="*", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--systems", nargs="*", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument("--per-operation", type=int, default=None, help="only the first N items of each operation")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    suite = read_suite(args.suite)
    items = [i for i in suite.items if not i.is_understanding and not i.is_generation
             and (args.operations is None or i.operation in args.operations)]
    if args.per_operation is not None:
        by_op: dict[str, list] = defaultdict(list)
        for item in items:
            by_op[item.operation].append(item)
        items = [i for group in by_op.values() for i in group[: args.per_operation]]
    systems = {name: load_ceiling(name) if name == "codec-ceiling" else baselines.make_system(name, suite=suite)[1]
               for name in args.systems}
    judges = Judges()
    rows = []
    started = time.perf_counter()
    for n, item in enumerate(items, 1):
        waves, rate, voice_rate = load_waves(item, suite.root)
        base = Evidence(item, {**waves, "output": waves["target"]}, rate, judges, voice_rate=voice_rate)
        oracle_checks = checks_for(base)
        row = {"id": item.id, "operation": item.operation, "domain": item.domain,
               "reference": item_success(oracle_checks),
               "dropped": {c.key: c.why_not for c in oracle_checks if not c.judgeable}}
        for name, system in systems.items():
            answer = system(item, waves["source"], waves["target"], rate, 0)
            if answer is None:
                row[name] = None
                continue
            evidence = base.with_output(_as_output(answer, rate))
            checks = checks_for(evidence)
            row[name] = item_success(checks)["success"]
            # each judgeable check's verdict and, for the band checks, its value (to study thresholds)
            row[name + " checks"] = {c.key: [c.output, c.detail.get("value")] for c in checks if c.judgeable}
        rows.append(row)
        if n % 10 == 0:
            print(f"{n}/{len(items)} items, {time.perf_counter() - started:.0f} s", flush=True)
    summary = summarise(rows, list(systems))
    print(markdown(summary, list(systems)))
    print(f"{len(items)} items in {time.perf_counter() - started:.0f} s")
    if args.out:
        args.out.write_text(json.dumps({"suite": str(args.suite), "summary": summary, "rows": rows}, indent=1))


def summarise(rows: list[dict], systems: list[str]) -> dict:
    per_op: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        per_op[row["operation"]].append(row)
    out = {}
    for op, group in sorted(per_op.items()):
        judged = [r for r in group if r["reference"]["success"] is not None]
        entry = {"items": len(group), "judged": len(judged),
                 "identity": _rate([r["reference"]["identity_success"] for r in judged]),
                 "oracle": _rate([r["reference"]["oracle_success"] for r in judged])}
        for name in systems:
            entry[name] = _rate([r.get(name) for r in judged])
        out[op] = entry
    return out


def _rate(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return float(np.mean(values)) if values else None


def markdown(summary: dict, systems: list[str]) -> str:
    columns = ["identity", "oracle", *systems]
    lines = ["| operation | items | judged | " + " | ".join(columns) + " |",
             "|---|---:|---:|" + "---:|" * len(columns)]
    for op, e in summary.items():
        cells = ["-" if e[c] is None else f"{100 * e[c]:.0f}%" for c in columns]
        lines.append(f"| {op} | {e['items']} | {e['judged']} ({100 * e['judged'] / e['items']:.0f}%) | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
