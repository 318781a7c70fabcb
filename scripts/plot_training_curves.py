"""Loss and evaluation curves of a training campaign against CPU-hours, for a model card.

    python3 scripts/plot_training_curves.py RUN_DIR[@OFFSET] ... --cpu MONITOR.tsv [--hours-before H]
        [--evals EVALS.jsonl] --out docs/models/

RUN_DIR: a training run (its `tensorboard/` holds `train/loss`, and `valid/loss` where it was validated on
held-out pairs: drawn as points). A campaign that warm-started a new run from an
earlier one lists the runs in order, each later one with the step it continues from (`runs/v3@4253`): its
steps restart at 0, the curves continue. MONITOR.tsv: lines `unix-time  step  cpu-ticks` (the CPU the campaign's
processes used since the previous line, in 1/100 s), which maps steps to CPU-hours; where its step falls (the
next run started), the next run's offset applies. `--hours-before`: CPU-hours spent before the monitor's first
line (data building, the first steps). EVALS.jsonl: one line per evaluated checkpoint, `{"step": N, "success":
{"Add": 0.4, ...}}`, steps counted across the runs.
Writes `<name>-loss.png` and `<name>-success.png` (atomically).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def read_loss(run: Path, tag: str = "train/loss") -> tuple[np.ndarray, np.ndarray]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    steps, values = [], []
    for events in sorted((run / "tensorboard").glob("events.*")):
        acc = EventAccumulator(str(events), size_guidance={"scalars": 0})
        acc.Reload()
        if tag in acc.Tags()["scalars"]:
            for e in acc.Scalars(tag):
                steps.append(e.step)
                values.append(e.value)
    if not steps:  # a run without this tag (one that was never validated)
        return np.zeros(0, dtype=int), np.zeros(0)
    order = np.argsort(steps, kind="stable")
    steps_arr, values_arr = np.asarray(steps)[order], np.asarray(values)[order]
    # A resumed run logs its first steps again: keep the last value logged for each step.
    keep = np.r_[steps_arr[1:] != steps_arr[:-1], True]
    return steps_arr[keep], values_arr[keep]


def cpu_hours_at(monitor: Path, offsets: list[int], hours_before: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(campaign steps, cumulative CPU-hours) from the monitor; a fall in its step starts the next run's offset."""
    rows = [line.split("\t") for line in monitor.read_text().splitlines() if line.strip()]
    run, previous, steps = 0, -1, []
    for row in rows:
        step = int(row[1])
        if step < previous and run + 1 < len(offsets):
            run += 1
        previous = step
        steps.append(offsets[run] + step)
    hours = hours_before + np.cumsum([int(r[2]) for r in rows]) / 100.0 / 3600.0
    # Steps never go back within the campaign (a resumed run repeats a checkpoint's step at most).
    steps_arr = np.maximum.accumulate(np.asarray(steps))
    return np.r_[0, steps_arr], np.r_[0.0, hours]


def smooth(values: np.ndarray, width: int) -> np.ndarray:
    if values.size < width:
        return values
    kernel = np.ones(width) / width
    return np.convolve(values, kernel, mode="valid")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+", help="RUN_DIR[@OFFSET], in the order the campaign ran them")
    parser.add_argument("--cpu", type=Path, required=True)
    parser.add_argument("--hours-before", type=float, default=0.0)
    parser.add_argument("--evals", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/models"))
    parser.add_argument("--name", default="audio-omni-small")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from audio_omni.atomic import atomic_path

    runs = [(Path(r.split("@")[0]), int(r.split("@")[1]) if "@" in r else 0) for r in args.runs]
    mon_steps, mon_hours = cpu_hours_at(args.cpu, [offset for _, offset in runs], args.hours_before)
    steps, loss = np.zeros(0, dtype=int), np.zeros(0)
    valid_steps, valid_loss = np.zeros(0, dtype=int), np.zeros(0)
    for run, offset in runs:
        run_steps, run_loss = read_loss(run)
        earlier = steps < offset  # the earlier run's steps past this run's start were not continued
        steps, loss = np.r_[steps[earlier], run_steps + offset], np.r_[loss[earlier], run_loss]
        held_steps, held_loss = read_loss(run, "valid/loss")  # runs validated on held-out pairs
        earlier = valid_steps < offset
        valid_steps = np.r_[valid_steps[earlier], held_steps + offset]
        valid_loss = np.r_[valid_loss[earlier], held_loss]

    def hours(at):
        return np.interp(at, mon_steps, mon_hours)

    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(hours(steps), loss, alpha=0.25, lw=0.7, label="loss (every 10 steps)")
    width = 25
    if loss.size >= width:
        ax.plot(hours(steps[width - 1 :]), smooth(loss, width), lw=1.6, label=f"mean of {width}")
    if valid_loss.size:
        ax.plot(hours(valid_steps), valid_loss, marker="o", ms=3, lw=1, color="k", label="held-out pairs")
    ax.set_yscale("log")
    ax.set_xlabel("CPU-hours (2-core machine, all campaign processes)")
    ax.set_ylabel("rectified-flow loss")
    top = ax.secondary_xaxis("top", functions=(lambda h: np.interp(h, mon_hours, mon_steps),
                                               lambda s: np.interp(s, mon_steps, mon_hours)))
    top.set_xlabel("training step")
    ax.legend()
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out / f"{args.name}-loss.png") as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)

    if args.evals and args.evals.is_file():
        rows = [json.loads(line) for line in args.evals.read_text().splitlines() if line.strip()]
        operations = sorted({op for r in rows for op in r["success"]})
        fig, ax = plt.subplots(figsize=(7, 3.5))
        for op in operations:
            pts = [(hours(r["step"]), r["success"][op]) for r in rows if r["success"].get(op) is not None]
            if pts:
                ax.plot(*zip(*pts, strict=True), marker="o", label=op)
        ax.set_xlabel("CPU-hours")
        ax.set_ylabel("success rate (debian-edit)")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        with atomic_path(args.out / f"{args.name}-success.png") as tmp:
            fig.savefig(tmp, dpi=120, format="png")
        plt.close(fig)


if __name__ == "__main__":
    main()
