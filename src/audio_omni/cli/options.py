"""Options that several commands share, with their ranges from :mod:`audio_omni.validation`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audio_omni.validation import MAX_CFG_SCALE, MAX_SEED, MAX_STEPS

#: Audio formats the CLI writes (what save_audio encodes).
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")

ModelOpt = Annotated[
    str, typer.Option("--model", "-m", help="checkpoint directory, official .ckpt/.safetensors file, or preset")
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="output audio file (.wav, .flac or .ogg)")]
SeedOpt = Annotated[int | None, typer.Option(min=0, max=MAX_SEED, help="random seed (printed when omitted)")]
StepsOpt = Annotated[
    int | None, typer.Option(min=1, max=MAX_STEPS, help="sampling steps (model default if omitted)")
]
CfgOpt = Annotated[
    float | None, typer.Option("--cfg", min=0.0, max=MAX_CFG_SCALE, help="classifier-free guidance scale")
]
SamplerOpt = Annotated[str | None, typer.Option(help="euler (official), heun or midpoint")]
DeviceOpt = Annotated[str | None, typer.Option(help="cpu, cuda, cuda:N or mps (default: the best available)")]
VocabOpt = Annotated[Path | None, typer.Option(help="speech-text vocab.txt (official checkpoint only)")]
MllmOpt = Annotated[Path | None, typer.Option(help="local Qwen2.5-Omni directory (official checkpoint only)")]
RandomOpt = Annotated[bool, typer.Option("--random-init", help="untrained weights (smoke tests only)")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="model config JSON for an official checkpoint file (default: the "
                              "config.json beside it, else the paper preset)")
]


def check_model_parts(config: Path | None = None, vocab: Path | None = None, mllm: Path | None = None) -> None:
    """The files a model is built from, when given, must exist: checked before anything loads."""
    from audio_omni.errors import CheckpointError

    for given, what in ((config, "config"), (vocab, "vocab file"), (mllm, "MLLM directory")):
        if given is not None and not given.exists():
            raise CheckpointError(f"{what} not found: {given}")
