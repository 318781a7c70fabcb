"""How long the command line takes before it does anything: the old single-module CLI against the cli/ package.

Three measurements, each a fresh process, old and new interleaved so machine load hits both alike:
- ``import audio_omni.cli``;
- ``audio-omni --help``;
- ``audio-omni edit /no/such.wav ...`` -- a typo in the input path: the old CLI loaded the model before it
  looked at the file, the new one checks every input first.
Plus a bare ``python -c pass`` for the interpreter's own start-up. The old code is the ``--baseline`` commit's
``src/`` (``git archive``), run from a temporary folder; the new code is this checkout's ``src/``.

    python benchmarks/bench_cli_import.py [--repeats 7] [--baseline b39ef7f]

Prints the median wall time of each and the ratio old / new.

Measured 2026-11-30 on the 2-core CPU machine under a load average of ~25 (a training run and other test
suites), --repeats 2, medians in s (old / new / ratio): python -c pass 0.44 / 0.63; import audio_omni.cli
119.4 / 6.05 / 19.7x; --help 106.0 / 7.94 / 13.3x; edit of a missing file 192.6 / 9.68 / 19.9x. The absolute
numbers are the load's; `import audio_omni.cli` loads typer and the standard library only (no torch, no numpy).
Again at a load average of ~3.6 (one test suite running), --repeats 3: python -c pass 0.022 / 0.022; import
audio_omni.cli 3.095 / 0.139 / 22.2x; --help 3.024 / 0.248 / 12.2x; edit of a missing file 9.143 / 0.592 / 15.4x.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: main when this was measured: the single-module cli.py that the cli/ package replaces.
BASELINE = "b39ef7f"


def export_src(ref: str, into: Path) -> Path:
    """The ``src/`` folder of commit ``ref``, extracted into ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def seconds(command: list[str], src: Path, cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "2"}
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, capture_output=True, timeout=600)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--baseline", default=BASELINE, help="commit with the old CLI")
    args = parser.parse_args()
    py = sys.executable
    cases = {
        "python -c pass (interpreter start)": [py, "-c", "pass"],
        "import audio_omni.cli": [py, "-c", "import audio_omni.cli"],
        "audio-omni --help": [py, "-m", "audio_omni.cli", "--help"],
        "audio-omni edit /no/such.wav (missing input)": [
            py, "-m", "audio_omni.cli", "edit", "/no/such.wav", "Add rain", "--model", "debug", "--random-init",
            "-o", "out.wav",
        ],
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = {"old": export_src(args.baseline, tmp / "old"), "new": ROOT / "src"}
        times: dict[str, dict[str, list[float]]] = {case: {"old": [], "new": []} for case in cases}
        for case, command in cases.items():
            for _ in range(args.repeats):
                for name, src in sources.items():
                    times[case][name].append(seconds(command, src, tmp))
    print(f"median of {args.repeats} runs each; old = {args.baseline} (cli.py), new = this checkout (cli/)")
    print(f"{'case':<46} {'old (s)':>8} {'new (s)':>8} {'old/new':>8}")
    for case, by in times.items():
        old, new = statistics.median(by["old"]), statistics.median(by["new"])
        print(f"{case:<46} {old:8.3f} {new:8.3f} {old / new:8.1f}")


if __name__ == "__main__":
    main()
