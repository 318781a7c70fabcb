"""Loading the small preset's Gemma: the converted safetensors cache vs the GGUF it was converted from.

    python3 benchmarks/bench_gemma_load.py [--repeats R]

Each load runs in a fresh process (imports included, as a user's first call pays them), alternating the two
ways R times. Prints the median seconds of each and their ratio; the ratio is the result (the cache exists so
that a load does not dequantise the GGUF every time). Moved here from a timed test (load < 10 s).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys

LOAD = {
    "cache": "from audio_omni.models.mllm.gemma import GemmaBackbone; GemmaBackbone.from_installed()",
    "gguf": "from audio_omni.models.mllm.gemma import load_gguf_reference; load_gguf_reference()",
}
TIMED = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from audio_omni.models.mllm.gemma import converted_cache

    converted_cache()  # built once beforehand: both ways then read files that already exist
    seconds: dict[str, list[float]] = {name: [] for name in LOAD}
    for _ in range(args.repeats):
        for name, code in LOAD.items():
            out = subprocess.run([sys.executable, "-c", TIMED.format(code=code)], capture_output=True, text=True,
                                 check=True)
            seconds[name].append(float(out.stdout.strip().splitlines()[-1]))
    cache, gguf = (statistics.median(seconds[n]) for n in ("cache", "gguf"))
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    for name, values in seconds.items():
        print(f"{name:6s} median {statistics.median(values):7.2f} s  ({', '.join(f'{v:.2f}' for v in values)})")
    print(f"the cache loads {gguf / cache:.1f}x faster than the GGUF")


if __name__ == "__main__":
    main()
