"""Score checkpoints on held-out pairs without training: the trainer's own validation (training.validation).

For each checkpoint directory (or exported model directory): the objective on the pairs, and the error of its
edits at t = 1 per task beside copying the source, on the same pairs, noise and timesteps for every checkpoint.
Compare the training pairs with held-out ones to see whether a model has learnt its recordings or the
operations (docs/models/audio-omni-small.md).

    python scripts/validate_checkpoints.py CKPT_DIR... --shards ENC_DIR [--split valid] [--items 192] [--json OUT]
        [--without-tags]

`--without-tags`: an ablation for models with the source_tags condition: the tagger's class probabilities are
replaced by zeros (what the model saw before it had them), which shows how much the model relies on them.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", help="checkpoint or model directories (config.json + weights)")
    parser.add_argument("--shards", nargs="+", required=True, help="pair-shard or pre-encoded directories")
    parser.add_argument("--split", default="valid")
    parser.add_argument("--items", type=int, default=192)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--json", help="write every record here")
    parser.add_argument("--without-tags", action="store_true", help="zero the source_tags condition (ablation)")
    args = parser.parse_args()

    import torch

    if args.without_tags:
        from audio_omni.models.conditioners.source_tags import SourceTags

        def no_tags(self, inputs, device, frames):
            return torch.zeros(len(inputs), self.output_dim, frames, device=device)

        SourceTags.forward = no_tags  # this process only: every model it builds reads zeros for the classes

    from audio_omni.training.config import parse_train_config
    from audio_omni.training.trainer import Trainer

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    records = {}
    with tempfile.TemporaryDirectory() as tmp:
        for checkpoint in args.checkpoints:
            config = parse_train_config({
                "model": {"preset": None, "init_from": checkpoint},
                "data": {"shards": args.shards, "split": args.split},  # read, never trained on
                "valid": {"shards": args.shards, "split": args.split, "items": args.items},
                "out_dir": tmp, "batch_size": args.batch_size, "tensorboard": False,
            })
            records[checkpoint] = Trainer(config).validate()
    tasks = sorted({t for r in records.values() for t in r["edit_t1"]})
    first = next(iter(records.values()))
    print("| checkpoint | loss | edits at t = 1 | " + " | ".join(tasks) + " |")
    print("|---" * (3 + len(tasks)) + "|")
    print("| copying the source | - | " + f"{first.get('copy_mean', float('nan')):.3f} | "
          + " | ".join(f"{first['copy'].get(t, float('nan')):.3f}" for t in tasks) + " |")
    for name, r in records.items():
        print(f"| {name} | {r.get('loss', float('nan')):.4f} | {r.get('edit_t1_mean', float('nan')):.3f} | "
              + " | ".join(f"{r['edit_t1'].get(t, float('nan')):.3f}" for t in tasks) + " |")
    if args.json:
        from audio_omni.atomic import write_text_atomic

        write_text_atomic(args.json, json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
