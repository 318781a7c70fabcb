"""The campaign plot maps steps to CPU-hours across runs: a warm-started run restarts its step count, the curve
continues from the step it continued (its offset)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "plot_training_curves.py"


def _script():
    spec = importlib.util.spec_from_file_location("plot_training_curves", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_second_run_continues_the_first_runs_steps(tmp_path):
    monitor = tmp_path / "monitor.tsv"
    # time, step, CPU ticks since the previous line: run 1 to step 300, then run 2 (from step 400 of run 1)
    rows = [(0, 100, 36_000), (1, 200, 36_000), (2, 300, 36_000), (3, 0, 0), (4, 100, 72_000), (5, 200, 72_000)]
    monitor.write_text("".join(f"{t}\t{s}\t{c}\n" for t, s, c in rows))
    steps, hours = _script().cpu_hours_at(monitor, [0, 400], hours_before=0.5)
    assert steps.tolist() == [0, 100, 200, 300, 400, 500, 600]
    assert np.allclose(hours, [0.0, 0.6, 0.7, 0.8, 0.8, 1.0, 1.2])
    assert np.all(np.diff(steps) >= 0)
