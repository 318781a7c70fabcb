"""The `audio-omni` command line: generate, edit and understand audio; inspect and convert checkpoints.

Every expected failure (bad audio, bad instruction, missing weights) prints one line and exits non-zero.
"""

from __future__ import annotations

import os

# Nothing is ever fetched from a model hub at run time; without these, a hub lookup hangs before failing.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402

from audio_omni.errors import AudioOmniError  # noqa: E402

app = typer.Typer(
    name="audio-omni",
    help="Understand, generate and edit sound, music and speech with one model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ModelOpt = Annotated[
    str, typer.Option("--model", "-m", help="checkpoint directory, official .ckpt/.safetensors file, or preset")
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="output audio file (.wav, .flac or .ogg)")]
SeedOpt = Annotated[int | None, typer.Option(help="random seed (printed when omitted)")]
StepsOpt = Annotated[int | None, typer.Option(min=1, max=1000, help="sampling steps (model default if omitted)")]
CfgOpt = Annotated[float | None, typer.Option("--cfg", min=0.0, max=50.0, help="classifier-free guidance scale")]
SamplerOpt = Annotated[str | None, typer.Option(help="euler (official), heun or midpoint")]
DeviceOpt = Annotated[str | None, typer.Option(help="cuda, mps or cpu (default: the best available)")]
VocabOpt = Annotated[Path | None, typer.Option(help="speech-text vocab.txt (official checkpoint only)")]
MllmOpt = Annotated[Path | None, typer.Option(help="local Qwen2.5-Omni directory (official checkpoint only)")]
RandomOpt = Annotated[bool, typer.Option("--random-init", help="untrained weights (smoke tests only)")]


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def _load(model: str, device, vocab, mllm, random_init):
    from audio_omni.pipeline import AudioOmni

    typer.echo(f"loading {model} ...", err=True)
    return AudioOmni.from_pretrained(model, device, vocab_file=vocab, mllm_path=mllm, random_init=random_init)


def _check_out(out: Path) -> None:
    if out.suffix.lower() not in (".wav", ".flac", ".ogg"):
        _fail(f"unsupported output format {out.suffix or '(none)'}; use .wav, .flac or .ogg")
    if out.exists() and out.is_dir():
        _fail(f"output {out} is a directory")


def _report(result, out: Path) -> None:
    path = result.save(out)
    typer.echo(f"wrote {path} ({result.duration:.2f} s, {result.sample_rate} Hz, seed {result.seed})")


def _load_sync_features(path: Path | None):
    if path is None:
        return None
    import numpy as np
    import torch

    if not path.is_file():
        _fail(f"sync features file not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True) if path.suffix == ".pt" else np.load(path)
    except Exception as err:
        _fail(f"cannot read sync features {path}: {err}")
    return torch.as_tensor(data, dtype=torch.float32)


@app.command()
def generate(
    task: Annotated[str, typer.Argument(help="T2A, T2M, TTS, V2A or V2M")],
    prompt: Annotated[str, typer.Argument(help="caption (T2A/T2M), transcript (TTS) or hint (V2A/V2M)")] = "",
    out: OutOpt = Path("generated.wav"),
    model: ModelOpt = "audio-omni-small",
    duration: Annotated[float | None, typer.Option(help="seconds (default: the model's window)")] = None,
    voice: Annotated[Path | None, typer.Option(help="TTS: voice to clone (audio file)")] = None,
    voice_text: Annotated[str | None, typer.Option(help="TTS: transcript of --voice")] = None,
    sync_features: Annotated[Path | None, typer.Option(help="V2A/V2M: Synchformer features (.npy or .pt)")] = None,
    seed: SeedOpt = None,
    steps: StepsOpt = None,
    cfg: CfgOpt = None,
    sampler: SamplerOpt = None,
    device: DeviceOpt = None,
    vocab: VocabOpt = None,
    mllm: MllmOpt = None,
    random_init: RandomOpt = False,
) -> None:
    """Generate sound, music or speech."""
    _check_out(out)
    omni = _load(model, device, vocab, mllm, random_init)
    result = omni.generate(
        task, prompt, duration=duration, voice=voice, voice_text=voice_text,
        sync_features=_load_sync_features(sync_features), steps=steps, cfg_scale=cfg, sampler=sampler,
        seed=seed, progress=True,
    )
    _report(result, out)


@app.command()
def edit(
    source: Annotated[Path, typer.Argument(help="audio file to edit (never modified)")],
    instruction: Annotated[str | None, typer.Argument(help="free-form instruction")] = None,
    op: Annotated[str | None, typer.Option(help="Add, Remove, Extract or 'Style Transfer'")] = None,
    desc: Annotated[str | None, typer.Option(help="the sound the operation is about")] = None,
    target: Annotated[str | None, typer.Option(help="Style Transfer: the sound to change it into")] = None,
    out: OutOpt = Path("edited.wav"),
    model: ModelOpt = "audio-omni-small",
    seed: SeedOpt = None,
    steps: StepsOpt = None,
    cfg: CfgOpt = None,
    sampler: SamplerOpt = None,
    device: DeviceOpt = None,
    vocab: VocabOpt = None,
    mllm: MllmOpt = None,
    random_init: RandomOpt = False,
) -> None:
    """Edit audio by instruction: add, remove, extract or change a sound."""
    _check_out(out)
    if out.resolve() == source.resolve():
        _fail("the output would overwrite the input; choose another --out")
    if op is not None:
        request = (op, desc or "", target) if target is not None else (op, desc or "")
    elif instruction:
        request = instruction
    else:
        _fail("give an INSTRUCTION, or --op with --desc (and --target for Style Transfer)")
    omni = _load(model, device, vocab, mllm, random_init)
    result = omni.edit(source, request, steps=steps, cfg_scale=cfg, sampler=sampler, seed=seed, progress=True)
    _report(result, out)


@app.command()
def understand(
    question: Annotated[str, typer.Argument(help="a question for the model's language model")],
    audio: Annotated[Path | None, typer.Option(help="audio the question is about")] = None,
    model: ModelOpt = "audio-omni-small",
    max_tokens: Annotated[int, typer.Option(min=1, max=4096)] = 128,
    device: DeviceOpt = None,
    vocab: VocabOpt = None,
    mllm: MllmOpt = None,
    random_init: RandomOpt = False,
) -> None:
    """Answer a question with the frozen MLLM."""
    omni = _load(model, device, vocab, mllm, random_init)
    typer.echo(omni.understand(question, audio=audio, max_new_tokens=max_tokens))


@app.command()
def info(
    model: Annotated[str, typer.Argument(help="checkpoint directory, config .json, or preset")] = "audio-omni-small",
) -> None:
    """Show a model's configuration and parameter counts (builds it on the meta device: no memory)."""
    import torch

    from audio_omni.models.builders import build_model
    from audio_omni.models.checkpoints import read_pretrained_config
    from audio_omni.models.config import load_config
    from audio_omni.models.presets import PRESETS, preset_config

    path = Path(model)
    if model in PRESETS:
        cfg = preset_config(model)
    elif path.is_dir():
        cfg = read_pretrained_config(path)
    elif path.suffix == ".json":
        cfg = load_config(path)
    else:
        _fail(f"{model!r} is not a preset ({', '.join(PRESETS)}), a checkpoint directory or a config file")
    with torch.device("meta"):
        built = build_model(cfg, load_mllm=False, load_vocoder=False)
    dit = cfg.model.diffusion.config
    typer.echo(f"model        {cfg.name or path}")
    window = cfg.sample_size / cfg.sample_rate
    pre = cfg.model.pretransform
    typer.echo(f"audio        {cfg.sample_rate} Hz, {cfg.audio_channels} ch, window {window:.2f} s")
    typer.echo(f"latents      {pre.latent_dim} x {cfg.latent_length} ({pre.type})")
    typer.echo(f"DiT          depth {dit.depth}, width {dit.embed_dim}, heads {dit.num_heads}")
    for name, module in (("DiT", built.model), ("conditioners", built.conditioner), ("codec", built.pretransform)):
        count = sum(p.numel() for p in module.parameters())
        typer.echo(f"{name:<12} {count / 1e6:,.1f} M parameters (MLLM backbone not counted)")
    routing = cfg.model.diffusion
    typer.echo(f"cross-attn   {', '.join(routing.high_level_cond_ids)}")
    typer.echo(f"prepended    {', '.join(routing.low_level_cond_ids)}")


@app.command("convert-official")
def convert_official(
    checkpoint: Annotated[Path, typer.Argument(help="official model.ckpt or .safetensors")],
    out_dir: Annotated[Path, typer.Argument(help="directory to write (config.json + model.safetensors)")],
    config: Annotated[Path | None, typer.Option(help="official config JSON (default: the paper preset)")] = None,
    vocab: VocabOpt = None,
    mllm: MllmOpt = None,
) -> None:
    """Load an official checkpoint strictly and save it in our self-describing format."""
    from audio_omni.models.builders import build_model
    from audio_omni.models.checkpoints import load_official_checkpoint, save_pretrained
    from audio_omni.models.config import load_config
    from audio_omni.models.presets import preset_config

    cfg = load_config(config) if config else preset_config("audio-omni")
    model = build_model(cfg, vocab_file=vocab, mllm_path=mllm)
    report = load_official_checkpoint(model, checkpoint)
    save_pretrained(model, out_dir)
    typer.echo(f"{report.describe()}; wrote {out_dir}")


PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="TCP port")]
HostOpt = Annotated[str, typer.Option(help="address to bind (127.0.0.1: this machine only)")]
WaitingOpt = Annotated[int, typer.Option(min=0, max=1000, help="requests that may wait while one runs")]
TimeoutOpt = Annotated[float, typer.Option(min=1, help="seconds a request may take, waiting included")]
UploadOpt = Annotated[float, typer.Option(min=0.1, help="largest upload in MB")]
SecondsOpt = Annotated[float, typer.Option(min=0.1, help="longest recording or generation in seconds")]


def _serve_limits(max_waiting: int, timeout: float, max_upload_mb: float, max_seconds: float):
    from audio_omni.serve.worker import ServeLimits

    return ServeLimits(max_waiting=max_waiting, timeout_seconds=timeout,
                       max_upload_bytes=int(max_upload_mb * 2**20), max_audio_seconds=max_seconds)


@app.command("serve")
def serve(
    model: ModelOpt = "audio-omni-small",
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    api_key: Annotated[str | None, typer.Option(envvar="AUDIO_OMNI_API_KEY", show_envvar=True,
                                                help="bearer token clients must send (required off loopback)")] = None,
    max_waiting: WaitingOpt = 8,
    timeout: TimeoutOpt = 300.0,
    max_upload_mb: UploadOpt = 25.0,
    max_seconds: SecondsOpt = 60.0,
    device: DeviceOpt = None,
    random_init: RandomOpt = False,
) -> None:
    """Serve the HTTP API (/v1/edit, /v1/generate, /v1/understand; docs at /docs) until interrupted."""
    from audio_omni.serve.api import run_server

    typer.echo(f"loading {model} ...", err=True)
    run_server(model, host, port, device=device, random_init=random_init, api_key=api_key,
               limits=_serve_limits(max_waiting, timeout, max_upload_mb, max_seconds))


@app.command("app")
def web_app(
    model: ModelOpt = "audio-omni-small",
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 7860,
    device: DeviceOpt = None,
    random_init: RandomOpt = False,
    max_waiting: WaitingOpt = 8,
    timeout: TimeoutOpt = 300.0,
    max_upload_mb: UploadOpt = 25.0,
    max_seconds: SecondsOpt = 60.0,
) -> None:
    """Open the web app (Edit, Generate, Understand) in a browser at http://HOST:PORT until interrupted."""
    from audio_omni.serve.app import run_app

    typer.echo(f"loading {model} ...", err=True)
    run_app(model, host, port, device=device, random_init=random_init,
            limits=_serve_limits(max_waiting, timeout, max_upload_mb, max_seconds))


def _register_subsystems() -> None:
    """Training, data and evaluation commands live with their subsystems; they are mounted here."""
    from audio_omni.data.build import build_command
    from audio_omni.data.sources.catalog_build import sources_command
    from audio_omni.data.stats import stats_command
    from audio_omni.eval.command import eval_command, eval_suite_command
    from audio_omni.training.cli import preencode_command, train_command

    app.command("train")(train_command)
    app.command("preencode")(preencode_command)
    data_app = typer.Typer(help="Build editing data: sources, pairs, statistics.", no_args_is_help=True)
    data_app.command("sources")(sources_command)
    data_app.command("build")(build_command)
    data_app.command("stats")(stats_command)
    app.add_typer(data_app, name="data")
    app.command("eval")(eval_command)
    app.command("eval-suite")(eval_suite_command)


_register_subsystems()


def main() -> None:
    try:
        app()
    except AudioOmniError as err:
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.secho("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
