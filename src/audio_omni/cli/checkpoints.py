"""`audio-omni info` and `convert-official`: what a model is, and the official checkpoint in our format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audio_omni.cli.options import MllmOpt, VocabOpt, check_model_parts


def _config_of(model: str):
    """The config of a config .json file, else of what the model resolver finds for a preset, a checkpoint
    directory or file (no weights are read)."""
    from audio_omni.models.config import load_config
    from audio_omni.models.locate import resolve_model

    path = Path(model).expanduser()
    if path.suffix == ".json" and path.is_file():
        return load_config(path)
    return resolve_model(model, random_init=True).config


def info(
    model: Annotated[str, typer.Argument(help="checkpoint directory, config .json, or preset")] = "audio-omni-small",
) -> None:
    """Show a model's configuration and parameter counts (builds it on the meta device: no memory)."""
    cfg = _config_of(model)
    import torch

    from audio_omni.models.builders import build_model

    with torch.device("meta"):
        built = build_model(cfg, load_mllm=False, load_vocoder=False)
    dit = cfg.model.diffusion.config
    typer.echo(f"model        {cfg.name or model}")
    window = cfg.sample_size / cfg.sample_rate
    pre = cfg.model.pretransform
    typer.echo(f"audio        {cfg.sample_rate} Hz, {cfg.audio_channels} ch, window {window:.4g} s")
    typer.echo(f"latents      {pre.latent_dim} x {cfg.latent_length} ({pre.type})")
    typer.echo(f"DiT          depth {dit.depth}, width {dit.embed_dim}, heads {dit.num_heads}")
    for name, module in (("DiT", built.model), ("conditioners", built.conditioner), ("codec", built.pretransform)):
        count = sum(p.numel() for p in module.parameters())
        typer.echo(f"{name:<12} {count / 1e6:,.1f} M parameters (MLLM backbone not counted)")
    routing = cfg.model.diffusion
    typer.echo(f"cross-attn   {', '.join(routing.high_level_cond_ids)}")
    typer.echo(f"prepended    {', '.join(routing.low_level_cond_ids)}")


def convert_official(
    checkpoint: Annotated[Path, typer.Argument(help="official model.ckpt or .safetensors")],
    out_dir: Annotated[Path, typer.Argument(help="directory to write (config.json + model.safetensors)")],
    config: Annotated[Path | None, typer.Option(help="official config JSON (default: the paper preset)")] = None,
    vocab: VocabOpt = None,
    mllm: MllmOpt = None,
) -> None:
    """Load an official checkpoint strictly and save it in our self-describing format (the --vocab and --mllm
    paths are recorded in it)."""
    from audio_omni.errors import CheckpointError
    from audio_omni.outputs import check_output_dir

    if not checkpoint.exists():
        raise CheckpointError(f"checkpoint not found: {checkpoint}")
    check_model_parts(config, vocab, mllm)
    if checkpoint.resolve().is_relative_to(out_dir.resolve()):  # writing OUT_DIR replaces what is in it
        raise CheckpointError("the output directory would replace the checkpoint; choose another OUT_DIR")
    check_output_dir(out_dir)
    from audio_omni.models.checkpoints import convert_official as convert
    from audio_omni.models.config import load_config
    from audio_omni.models.presets import preset_config

    cfg = load_config(config) if config else preset_config("audio-omni")
    report = convert(checkpoint, out_dir, cfg, vocab_file=vocab, mllm_path=mllm)
    typer.echo(f"{report.describe()}; wrote {out_dir}")


def register(app: typer.Typer) -> None:
    app.command()(info)
    app.command("convert-official")(convert_official)
