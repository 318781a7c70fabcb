"""Synchformer feature extraction for 10 s of video: what it costs on this machine (and on a GPU when present).

    python3 benchmarks/bench_synchformer.py [--threads 2 1] [--segments 30] [--size 1280x720] [--json OUT]

One run measures, side by side:

* reading: decode a synthetic H.264 clip of `--seconds` at 25 fps and `--size`, and pick + resize its sync
  frames (250 at 224 x 224) and MLLM frames (50) in one pass (`read_frames` with the official recipes);
* encoding: the full-size encoder (768 wide, 12 blocks, 12 heads; random weights: the arithmetic is the same as
  with the released ones) turning the 250 frames into [240, 768], per thread count, float32 on the CPU;
  on CUDA also float32 and bfloat16 autocast. Segments are independent and cost the same, so on a slow or
  shared machine `--segments N` encodes the first N of the 30 and scales the time by 30 / N.

Each figure is the best of `--repeat` runs after a one-segment warm-up (reading is timed once).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import torch

from audio_omni.models.video.synchformer import SyncFeatureEncoder, SynchformerConfig
from audio_omni.video.conditions import SYNC_FRAMES, mllm_frames
from audio_omni.video.reader import read_frames


def write_clip(path: Path, seconds: float, width: int, height: int) -> Path:
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        base = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
        for i in range(int(seconds * 25)):
            image = np.roll(base, 4 * i, axis=1)  # moving content, so the encoder does real work
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def best_time(fn, repeat: int, warm_up) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of the fastest run. On a shared machine the CPU seconds
    are the honest figure: wall time there also counts the time other processes held the cores."""
    warm_up()  # allocator, kernels, CUDA context: one segment is enough
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--segments", type=int, default=30, help="encode this many of the 30 segments (CPU)")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    results: dict = {"machine": platform.processor() or platform.machine(), "torch": torch.__version__,
                     "seconds_of_video": args.seconds, "size": args.size}

    with tempfile.TemporaryDirectory() as tmp:
        clip = write_clip(Path(tmp) / "clip.mp4", args.seconds, width, height)
        torch.set_num_threads(max(args.threads))
        wall, cpu = time.perf_counter(), time.process_time()
        _, (sync, _) = read_frames(clip, [SYNC_FRAMES, mllm_frames()])
        results["read"] = {"wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2)}
    frames = sync.slot_frames()[None]  # [1, 250, 3, 224, 224] uint8

    torch.manual_seed(0)
    encoder = SyncFeatureEncoder(SynchformerConfig()).eval()
    one_segment = frames[:, :16]
    part = frames[:, : (args.segments - 1) * 8 + 16]
    scale = 30 / args.segments
    results["segments_timed"] = args.segments
    for threads in args.threads:
        torch.set_num_threads(threads)
        wall, cpu = best_time(lambda: encoder.features(part), args.repeat, lambda: encoder.features(one_segment))
        results[f"cpu_{threads}_threads"] = {"wall_s": round(wall * scale, 1), "cpu_s": round(cpu * scale, 1)}
        print(f"CPU, {threads} thread(s): {wall * scale:.0f} s wall, {cpu * scale:.0f} CPU-s", flush=True)
    if torch.cuda.is_available():
        gpu = encoder.to("cuda")
        torch.backends.cuda.matmul.allow_tf32 = False  # the official pipeline turns TF32 off
        torch.backends.cudnn.allow_tf32 = False
        results["gpu"] = torch.cuda.get_device_name()
        def run():
            return gpu.features(frames, segments_per_call=30)

        results["gpu_float32_s"] = round(best_time(run, 3, run)[0], 3)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            results["gpu_bfloat16_s"] = round(best_time(run, 3, run)[0], 3)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
