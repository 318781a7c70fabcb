"""Synchformer feature extraction for 10 s of video: what it costs on this machine (and on a GPU when present).

    python3 benchmarks/bench_synchformer.py [--threads 1 2] [--seconds 10] [--size 1280x720] [--json OUT]

One run measures, side by side:

* reading: decode a synthetic H.264 clip of `--seconds` at 25 fps and `--size`, and pick + resize its sync
  frames (250 at 224 x 224) and MLLM frames (50) in one pass (`read_frames` with the official recipes);
* encoding: the full-size encoder (768 wide, 12 blocks, 12 heads; random weights: the arithmetic is the same as
  with the released ones) turning the 250 frames into [240, 768], per thread count, float32 on the CPU;
  on CUDA also float32 and bfloat16 autocast.

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


def best_time(fn, repeat: int, warm_up) -> float:
    warm_up()  # allocator, kernels, CUDA context: one segment is enough
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=10.0)
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
        start = time.perf_counter()
        _, (sync, _) = read_frames(clip, [SYNC_FRAMES, mllm_frames()])
        results["read_s"] = round(time.perf_counter() - start, 2)
    frames = sync.slot_frames()[None]  # [1, 250, 3, 224, 224] uint8

    torch.manual_seed(0)
    encoder = SyncFeatureEncoder(SynchformerConfig()).eval()
    one_segment = frames[:, :16]
    for threads in args.threads:
        torch.set_num_threads(threads)
        seconds = best_time(lambda: encoder.features(frames), args.repeat, lambda: encoder.features(one_segment))
        results[f"cpu_{threads}_threads_s"] = round(seconds, 2)
        print(f"CPU, {threads} thread(s): {seconds:.1f} s for {args.seconds:g} s of video", flush=True)
    if torch.cuda.is_available():
        gpu = encoder.to("cuda")
        torch.backends.cuda.matmul.allow_tf32 = False  # the official pipeline turns TF32 off
        torch.backends.cudnn.allow_tf32 = False
        results["gpu"] = torch.cuda.get_device_name()
        def run():
            return gpu.features(frames, segments_per_call=30)

        results["gpu_float32_s"] = round(best_time(run, 3, run), 3)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            results["gpu_bfloat16_s"] = round(best_time(run, 3, run), 3)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
