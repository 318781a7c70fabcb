"""Default sampling of audio-omni-small: the time of one edit and the accuracy of a trained model, per setting.

    python3 benchmarks/bench_sampler_steps.py [--train-steps 900] [--seconds 5]

One run, two tables side by side for each sampler setting (the preset's default is 10 Euler steps):
1. wall time of one edit of a real recording with the small preset (random DiT weights, real shapes and the
   real frozen Gemma and HiFi-GAN), and its ratio to the default;
2. a tiny model of the same layout trained on two real edit pairs (as in tests/training): mean |log-mel error|
   of its samples against the target (3 seeds, CFG 3), beside the identity error (the unedited source).
Absolute CPU times mean little; the ratios and the error columns are the result.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "training"))
from pair_shards import edit_errors, real_clips, train_tiny_editor  # noqa: E402

from audio_omni import AudioOmni  # noqa: E402

SETTINGS = [("euler", 100), ("heun", 32), ("euler", 32), ("euler", 16), ("euler", 10), ("euler", 8)]
DEFAULT = ("euler", 10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-steps", type=int, default=900)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    torch.manual_seed(0)

    omni = AudioOmni.from_pretrained("audio-omni-small", device="cpu", random_init=True)
    clip = torch.from_numpy(real_clips(omni.sample_rate, 1, args.seconds)[0])
    omni.edit(clip, "Remove the dog barking.", sample_rate=omni.sample_rate, steps=1, progress=False)  # warm-up
    seconds = {}
    for sampler, steps in SETTINGS:
        start = time.perf_counter()
        omni.edit(clip, "Remove the dog barking.", sample_rate=omni.sample_rate, steps=steps, sampler=sampler,
                  progress=False)
        seconds[(sampler, steps)] = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        trainer = train_tiny_editor(Path(tmp), args.train_steps)
        rows = edit_errors(trainer, SETTINGS, cfg_scale=3.0, seeds=3)

    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"one {args.seconds:g} s edit with audio-omni-small; tiny editor trained {args.train_steps} steps")
    header = f"{'setting':<10} {'DiT evals':>9} {'edit s':>7} {'x default':>9}"
    header += "".join(f" {task + ' err':>13}" for task, _, _ in rows)
    print(header)
    print(f"{'identity':<10} {'':>9} {'':>7} {'':>9}" + "".join(f" {identity:>13.3f}" for _, identity, _ in rows))
    for setting in SETTINGS:
        sampler, steps = setting
        evals = steps * 2 - 1 if sampler == "heun" else steps  # Heun's last step is a plain Euler step
        line = f"{sampler + str(steps):<10} {evals:>9} {seconds[setting]:>7.2f} "
        line += f"{seconds[setting] / seconds[DEFAULT]:>9.2f}"
        print(line + "".join(f" {errors[setting]:>13.3f}" for _, _, errors in rows))


if __name__ == "__main__":
    main()
