"""Ship a training checkpoint as the package's default weights (half precision, strictly checked).

    python3 scripts/ship_weights.py RUN/checkpoints/step-N [--raw] [--out src/audio_omni/weights/audio-omni-small]

Takes the checkpoint's EMA weights (`--raw`: the optimised weights), stores every floating tensor in fp16, loads
the result strictly into the checkpoint's config (a missing or misnamed key stops here, not in a user's hands),
refuses more than MAX_MEGABYTES, writes config.json + model.safetensors atomically, and prints the SHA-256 that
tests/test_shipped_weights.py must be given.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import WEIGHTS_NAME, load_state_dict_into, read_pretrained_config, save_pretrained

MAX_MEGABYTES = 40  # git history grows by this much per shipped update


def half(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--raw", action="store_true", help="the optimised weights instead of their EMA")
    parser.add_argument("--out", type=Path, default=Path("src/audio_omni/weights/audio-omni-small"))
    args = parser.parse_args(argv)
    source = args.checkpoint / ("model.safetensors" if args.raw else "ema.safetensors")
    if not source.is_file():
        print(f"error: {source} does not exist", file=sys.stderr)
        return 2
    config = read_pretrained_config(args.checkpoint)
    state = half(load_file(str(source)))
    model = build_model(config)
    load_state_dict_into(model, state, source=str(source))  # strict: raises on any key mismatch
    save_pretrained(model, args.out, state=state)
    size = (args.out / WEIGHTS_NAME).stat().st_size / 2**20
    if size > MAX_MEGABYTES:
        print(f"error: {size:.1f} MB is over the {MAX_MEGABYTES} MB the repository takes", file=sys.stderr)
        return 2
    print(f"{args.out / WEIGHTS_NAME}: {size:.1f} MB, sha256 {sha256(args.out / WEIGHTS_NAME)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
