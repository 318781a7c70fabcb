"""Default sampling of audio-omni-small: the time of one edit and the accuracy of a trained model, per setting.

    python3 benchmarks/bench_sampler_steps.py [--train-steps 900] [--seconds 5]
    python3 benchmarks/bench_sampler_steps.py --trained [--suite debian-edit] [--items 4]

One run, two tables side by side for each sampler setting (the preset's default is 10 Euler steps):
1. wall time of one edit of a real recording with the small preset (random DiT weights, real shapes and the
   real frozen Gemma and HiFi-GAN), and its ratio to the default;
2. a tiny model of the same layout trained on two real edit pairs (as in tests/training): mean |log-mel error|
   of its samples against the target (3 seeds, CFG 3), beside the identity error (the unedited source).
Absolute CPU times mean little; the ratios and the error columns are the result.

``--trained``: instead, the shipped (trained) default model on real suite items (``--items`` each of Add, Remove
and Extract of ``--suite``): per setting, the time of the edits and their mean multi-resolution log-mel distance
to the ground truth, beside the unedited source's (identity). This is what chooses the preset's step count.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "training"))
from pair_shards import edit_errors, real_clips, train_tiny_editor  # noqa: E402

from audio_omni import AudioOmni  # noqa: E402

SETTINGS = [("euler", 100), ("heun", 32), ("euler", 32), ("euler", 16), ("euler", 10), ("euler", 8)]
DEFAULT = ("euler", 10)


TRAINED_SETTINGS = [("euler", 2), ("euler", 4), ("euler", 8), ("euler", 16), ("heun", 8)]


def trained(suite_name: str, items: int) -> None:
    """Step counts of the trained default model: edit time and distance to the ground truth on suite items."""
    from audio_omni.audio.io import load_audio
    from audio_omni.eval.command import resolve_suite
    from audio_omni.eval.metrics import mel_distance
    from audio_omni.eval.suites import read_suite

    omni = AudioOmni.from_pretrained("audio-omni-small", device="cpu")
    suite = read_suite(resolve_suite(suite_name))
    chosen = [i for op in ("Add", "Remove", "Extract") for i in [j for j in suite.items if j.operation == op][:items]]
    rate = omni.sample_rate
    pairs = [(i, load_audio(suite.path(i.source), sample_rate=rate, channels=1)[0][0],
              load_audio(suite.path(i.target), sample_rate=rate, channels=1)[0][0]) for i in chosen]
    omni.edit(pairs[0][1], pairs[0][0].instruction, sample_rate=rate, steps=1, progress=False)  # warm-up
    identity = {op: [] for op in ("Add", "Remove", "Extract")}
    for item, source, target in pairs:
        identity[item.operation].append(mel_distance(source, target, rate))
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}; shipped audio-omni-small on {len(pairs)} items of {suite.name} "
          f"(edit guidance {omni.model.config.sampling.edit_cfg_scale})")
    print(f"{'setting':<10} {'s/item':>7}" + "".join(f" {op + ' mel':>12}" for op in identity) + f" {'mean':>7}")
    print(f"{'identity':<10} {'':>7}" + "".join(f" {np.mean(v):>12.3f}" for v in identity.values())
          + f" {np.mean([x for v in identity.values() for x in v]):>7.3f}")
    for sampler, steps in TRAINED_SETTINGS:
        dist = {op: [] for op in identity}
        start = time.perf_counter()
        for item, source, target in pairs:
            out = omni.edit(source, item.instruction, sample_rate=rate, steps=steps, sampler=sampler, seed=0,
                            progress=False)
            dist[item.operation].append(mel_distance(out.audio.reshape(-1), target, rate))
        per_item = (time.perf_counter() - start) / len(pairs)
        print(f"{sampler + str(steps):<10} {per_item:>7.2f}" + "".join(f" {np.mean(v):>12.3f}" for v in dist.values())
              + f" {np.mean([x for v in dist.values() for x in v]):>7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-steps", type=int, default=900)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--trained", action="store_true", help="the shipped model on real suite items")
    parser.add_argument("--suite", default="debian-edit")
    parser.add_argument("--items", type=int, default=4, help="items of each operation (--trained)")
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.trained:
        trained(args.suite, args.items)
        return

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
