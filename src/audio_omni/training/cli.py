"""`audio-omni train CONFIG`: the same entry point alone, under `accelerate launch` and under `torchrun`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def train_command(
    config: Annotated[Path, typer.Argument(help="training config (YAML or JSON)")],
    resume: Annotated[
        str | None, typer.Option(help="'latest' or a checkpoint directory to continue from exactly")
    ] = None,
    override: Annotated[
        list[str] | None, typer.Option("--set", help="override a config value, e.g. --set optim.lr=3e-4")
    ] = None,
) -> None:
    """Train or fine-tune with rectified flow (one process, DDP or FSDP2)."""
    import logging

    from audio_omni.training.config import load_train_config
    from audio_omni.training.trainer import run_training

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    cfg = load_train_config(config, override)
    resume_from: str | bool | None = True if resume == "latest" else resume
    out = run_training(cfg, resume_from)
    typer.echo(f"done: {out}")


def preencode_command(
    config: Annotated[Path, typer.Argument(help="training config: its model and data.shards are used")],
    out: Annotated[Path, typer.Option(help="directory for the pre-encoded pairs")],
    split: Annotated[str, typer.Option(help="which split of the shards")] = "train",
    per_part: Annotated[int, typer.Option(min=1, help="pairs per safetensors part")] = 256,
) -> None:
    """Run the frozen codec and MLLM once per pair; point data.shards at OUT to train from it."""
    import torch

    from audio_omni.pipeline import pick_device
    from audio_omni.training.config import load_train_config
    from audio_omni.training.preencode import preencode
    from audio_omni.training.trainer import build_training_model

    cfg = load_train_config(config)
    model = build_training_model(cfg).to(pick_device()).eval()
    with torch.inference_mode():
        preencode(model, cfg.data.shards, out, split=split, per_part=per_part)
    typer.echo(f"pre-encoded into {out}")


def main() -> None:
    """For `torchrun -m audio_omni.training.cli CONFIG` and `accelerate launch -m audio_omni.training.cli`."""
    import os
    import sys

    from audio_omni.errors import AudioOmniError

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(train_command)
    try:
        app()
    except AudioOmniError as err:
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        sys.exit(2)


if __name__ == "__main__":
    main()
