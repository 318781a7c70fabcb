"""`audio-omni train` and `preencode`. The same entry point runs alone, under `accelerate launch -m
audio_omni.cli train CONFIG` and under `torchrun -m audio_omni.cli train CONFIG`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _latest_checkpoint_exists(out_dir: Path) -> bool:
    from audio_omni.training.trainer import CHECKPOINTS, LATEST

    return (Path(out_dir) / CHECKPOINTS / LATEST).is_file()


def train(
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

    from audio_omni.errors import CheckpointError
    from audio_omni.training.config import load_train_config

    cfg = load_train_config(config, override)
    if resume == "latest" and not _latest_checkpoint_exists(cfg.out_dir):
        # Starting over here would silently throw away the run the user meant to continue.
        raise CheckpointError(
            f"--resume latest: no checkpoint under {cfg.out_dir}; omit --resume to start a new run"
        )
    if resume not in (None, "latest") and not Path(resume).is_dir():
        raise CheckpointError(f"--resume {resume}: no such checkpoint directory")
    from audio_omni.training.trainer import run_training

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    out = run_training(cfg, True if resume == "latest" else resume)
    typer.echo(f"done: {out}")


def preencode(
    config: Annotated[Path, typer.Argument(help="training config: its model and data.shards are used")],
    out: Annotated[Path, typer.Option(help="directory for the pre-encoded pairs")],
    split: Annotated[str, typer.Option(help="which split of the shards")] = "train",
    per_part: Annotated[int, typer.Option(min=1, help="pairs per safetensors part")] = 256,
    half: Annotated[bool, typer.Option(help="store latents in float16 and MLLM features in bfloat16")] = False,
    override: Annotated[
        list[str] | None, typer.Option("--set", help="override a config value, e.g. --set data.shards=[pairs/a]")
    ] = None,
) -> None:
    """Run the frozen codec and MLLM once per pair; point data.shards at OUT to train from it."""
    from audio_omni.outputs import check_output_dir
    from audio_omni.training.config import load_train_config

    cfg = load_train_config(config, override)
    check_output_dir(out)
    import torch

    from audio_omni.training.preencode import preencode as run_preencode
    from audio_omni.training.trainer import build_training_model
    from audio_omni.validation import pick_device

    model = build_training_model(cfg).to(pick_device()).eval()
    with torch.inference_mode():
        run_preencode(model, cfg.data.shards, out, split=split, per_part=per_part, half=half)
    typer.echo(f"pre-encoded into {out}")


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(preencode)
