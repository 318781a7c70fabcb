"""Load on the HTTP API: `audio-omni serve` in its own process on loopback, a fixed number of requests at a
fixed concurrency, bounded in time.

    python3 benchmarks/bench_server.py --model debug --random-init --requests 200 --concurrency 8
    python3 benchmarks/bench_server.py --model audio-omni-small --requests 20 --concurrency 4   # trained weights

Reports throughput (answered requests per second), latency percentiles of the successful ones, how many were
refused with 503 (the waiting line is full) and any other 5xx (there should be none), and the server's resident
memory: peak, after warm-up and at the end (flat memory: the end within 10% of after warm-up). Traffic goes to
127.0.0.1 only; the run stops after --requests or --time-limit, whichever comes first.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import psutil
import soundfile as sf

from audio_omni.serve.app import example_edits


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of the server and any children it started."""
    total = 0
    for proc in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):  # a child may end while we look
            total += proc.memory_info().rss
    return total


class MemoryWatch(threading.Thread):
    def __init__(self, process: psutil.Process, every: float = 0.2):
        super().__init__(daemon=True)
        self.process, self.every, self.peak, self.stop = process, every, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss(self.process))
            time.sleep(self.every)


def example_audio(seconds: float) -> bytes:
    """The first `seconds` of the shipped example recording, as FLAC bytes."""
    clip = next(e["file"] for e in example_edits())
    data, rate = sf.read(clip, always_2d=True)
    buffer = io.BytesIO()
    sf.write(buffer, data[: int(seconds * rate)], rate, format="FLAC")
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="debug")
    parser.add_argument("--random-init", action="store_true")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--kind", choices=("edit", "generate"), default="edit")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--max-waiting", type=int, default=4, help="the server's waiting line")
    parser.add_argument("--server-timeout", type=float, default=600, help="the server's time limit per request")
    parser.add_argument("--seconds", type=float, default=3.0, help="edit: the first seconds of the example clip")
    parser.add_argument("--retry-cap", type=float, default=2.0, help="longest wait after a 503, seconds")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=900, help="seconds of load at most")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-m", "audio_omni.cli", "serve", "--model", args.model, "--port", str(port),
               "--max-waiting", str(args.max_waiting), "--timeout", str(args.server_timeout)]
    if args.random_init:
        command.append("--random-init")
    # The server's log goes to a file: a pipe nobody reads would fill up with access-log lines and stall it.
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the server, removed when closed at exit
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while server.poll() is None:
            try:
                if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        if server.poll() is not None:
            log.seek(0)
            print(f"the server did not start:\n{log.read()}", file=sys.stderr)
            return 1
        load_seconds = time.monotonic() - started
        process = psutil.Process(server.pid)
        audio = example_audio(args.seconds)

        def request(i: int) -> tuple[int, float]:
            """One HTTP request. A refused client waits as Retry-After says (at most --retry-cap s) before its
            thread sends the next one, as a polite client would, so 503s do not use up the run at once."""
            begin = time.monotonic()
            try:
                if args.kind == "edit":
                    response = httpx.post(f"{url}/v1/edit", timeout=900, files={"audio": ("clip.flac", audio)},
                                          data={"operation": "Remove", "description": "cow mooing",
                                                "steps": str(args.steps), "seed": str(i)})
                else:
                    response = httpx.post(f"{url}/v1/generate", timeout=900, json={
                        "task": "T2A", "prompt": "rain on a tin roof", "duration": 2.0, "steps": args.steps,
                        "seed": i})
                status = response.status_code
            except httpx.TransportError:
                status = -1  # lost: no answer at all
            seconds = time.monotonic() - begin
            if status == 503:
                time.sleep(min(args.retry_cap, float(response.headers.get("retry-after", 1))))
            return status, seconds

        for i in range(args.warmup):
            assert request(i)[0] == 200, "warm-up request failed"
        after_warmup = tree_rss(process)
        watch = MemoryWatch(process)
        watch.start()
        deadline = time.monotonic() + args.time_limit
        results: list[tuple[int, float]] = []
        load_start = time.monotonic()

        def bounded(i: int):
            return request(i) if time.monotonic() < deadline else (0, 0.0)

        with ThreadPoolExecutor(args.concurrency) as pool:
            results = [r for r in pool.map(bounded, range(args.requests)) if r[0] != 0]
        wall = time.monotonic() - load_start
        at_end = tree_rss(process)
        watch.stop.set()
        watch.join()
        server.send_signal(signal.SIGTERM)
        exit_code = server.wait(120)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    codes = [status for status, _ in results]
    ok = np.array([seconds for status, seconds in results if status == 200])
    figures = {
        "model": args.model + (" (untrained weights: same compute as trained)" if args.random_init else ""),
        "kind": args.kind, "steps": args.steps, "clip_s": args.seconds if args.kind == "edit" else None,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
        "requests_sent": len(results), "concurrency": args.concurrency, "max_waiting": args.max_waiting,
        "ok_200": int((np.array(codes) == 200).sum()), "refused_503": codes.count(503),
        "other_5xx": sum(1 for c in codes if c >= 500 and c != 503), "4xx": sum(1 for c in codes if 400 <= c < 500),
        "lost": codes.count(-1), "wall_s": round(wall, 1), "throughput_per_s": round(len(ok) / wall, 3),
        "latency_s": {f"p{q}": round(float(np.percentile(ok, q)), 3) for q in (50, 95, 99)} if len(ok) else {},
        "model_load_s": round(load_seconds, 1),
        "rss_mb": {"after_warmup": round(after_warmup / 2**20), "peak": round(watch.peak / 2**20),
                   "end": round(at_end / 2**20), "end_vs_warmup": round(at_end / after_warmup, 3)},
        "server_exit_code": exit_code,
    }
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0 if figures["other_5xx"] == 0 and figures["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
