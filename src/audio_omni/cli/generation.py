"""`audio-omni generate`, `edit` and `understand`: every input is checked before the model loads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audio_omni.cli.options import (
    AUDIO_SUFFIXES,
    CfgOpt,
    ConfigOpt,
    DeviceOpt,
    MllmOpt,
    ModelOpt,
    OutOpt,
    RandomOpt,
    SamplerOpt,
    SeedOpt,
    StepsOpt,
    VocabOpt,
    check_model_parts,
)
from audio_omni.validation import MAX_ANSWER_TOKENS


def _load(model: str, device, vocab, mllm, random_init: bool, config):
    from audio_omni.pipeline import AudioOmni

    typer.echo(f"loading {model} ...", err=True)
    return AudioOmni.from_pretrained(model, device, config=config, vocab_file=vocab, mllm_path=mllm,
                                     random_init=random_init)  # fmt: skip


def _sampling_and_device(steps, cfg, sampler, seed, device):
    """The checks that import torch (sampler names, devices), run after the cheap ones."""
    from audio_omni.validation import check_sampling, pick_device

    return check_sampling(steps, cfg, sampler, seed), pick_device(device)


def _write(result, out: Path) -> None:
    """Save; a failure this late (the disk filled up while sampling) says what was lost and how to redo it."""
    from audio_omni.errors import OutputError

    try:
        path = result.save(out)
    except OutputError as err:
        raise OutputError(
            f"the audio was made but not saved: {err}. Fix that and run again with --seed {result.seed}"
        ) from None
    typer.echo(f"wrote {path} ({result.duration:.2f} s, {result.sample_rate} Hz, seed {result.seed})")


def _read_sync_features(path: Path | None):
    """Synchformer features from a .npy or .pt file, as a float32 tensor (the model checks the shape)."""
    if path is None:
        return None
    import numpy as np
    import torch

    from audio_omni.errors import RequestError

    if not path.is_file():
        raise RequestError(f"sync features file not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True) if path.suffix == ".pt" else np.load(path)
        return torch.as_tensor(data, dtype=torch.float32)
    except Exception as exc:  # a pickle, a corrupt file, a non-numeric array: one message for all
        raise RequestError(f"cannot read sync features {path}: {exc}") from None


def generate(
    task: Annotated[str, typer.Argument(help="T2A, T2M, TTS, V2A or V2M")],
    prompt: Annotated[str, typer.Argument(help="caption (T2A/T2M), transcript (TTS) or hint (V2A/V2M)")] = "",
    out: OutOpt = Path("generated.wav"),
    model: ModelOpt = "audio-omni-small",
    duration: Annotated[float | None, typer.Option(help="seconds (default: the model's window)")] = None,
    voice: Annotated[Path | None, typer.Option(help="TTS: voice to clone (audio file)")] = None,
    voice_text: Annotated[str | None, typer.Option(help="TTS: transcript of --voice")] = None,
    sync_features: Annotated[Path | None, typer.Option(help="V2A/V2M: Synchformer features (.npy or .pt)")] = None,
    video: Annotated[Path | None, typer.Option(help="V2A/V2M: video file (-o .mp4/.mov/.mkv: it, with sound)")] = None,
    synchformer: Annotated[Path | None, typer.Option(help="V2A/V2M: synchformer_state_dict.pth")] = None,
    seed: SeedOpt = None,
    steps: StepsOpt = None,
    cfg: CfgOpt = None,
    sampler: SamplerOpt = None,
    device: DeviceOpt = None,
    vocab: VocabOpt = None,
    mllm: MllmOpt = None,
    config: ConfigOpt = None,
    random_init: RandomOpt = False,
) -> None:
    """Generate sound, music or speech."""
    from audio_omni.outputs import check_output_file
    from audio_omni.validation import check_generation
    from audio_omni.video.formats import VIDEO_FORMATS, is_video_path

    into_video = video is not None and is_video_path(out)  # the video back, with its new sound
    suffixes = VIDEO_FORMATS if into_video else AUDIO_SUFFIXES
    out = check_output_file(out, suffixes=suffixes, inputs=(voice, sync_features, video))
    given_sync = None if sync_features is None else str(sync_features)  # read after the cheap checks
    task = check_generation(task, prompt, duration=duration, voice=voice, voice_text=voice_text,
                            sync_features=given_sync, video=video)  # fmt: skip
    check_model_parts(config, vocab, mllm)
    (steps, cfg, sampler, seed), device = _sampling_and_device(steps, cfg, sampler, seed, device)
    features = _read_sync_features(sync_features)
    omni = _load(model, device, vocab, mllm, random_init, config)
    result = omni.generate(task, prompt, duration=duration, voice=voice, voice_text=voice_text,
                           sync_features=features, video=video, synchformer=synchformer, steps=steps,
                           cfg_scale=cfg, sampler=sampler, seed=seed, progress=True)  # fmt: skip
    if into_video:
        from audio_omni.video.mux import mux_audio

        path = mux_audio(video, result.audio, result.sample_rate, out)
        typer.echo(f"wrote {path} (video copied, {result.duration:.2f} s of new audio, seed {result.seed})")
    else:
        _write(result, out)


def _edit_request(instruction: str | None, op: str | None, desc: str | None, target: str | None):
    from audio_omni.errors import InstructionError

    if instruction is not None and op is not None:
        raise InstructionError("give either an INSTRUCTION or --op/--desc, not both")
    if op is None and (desc is not None or target is not None):
        raise InstructionError("--desc and --target describe an --op; give --op too (or a free-form INSTRUCTION)")
    if op is not None:
        return (op, desc or "") if target is None else (op, desc or "", target)
    if instruction is None:
        raise InstructionError("give an INSTRUCTION, or --op with --desc (and --target for Style Transfer)")
    return instruction


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
    config: ConfigOpt = None,
    random_init: RandomOpt = False,
) -> None:
    """Edit audio by instruction: add, remove, extract or change a sound."""
    from audio_omni.outputs import check_output_file
    from audio_omni.validation import check_edit

    out = check_output_file(out, suffixes=AUDIO_SUFFIXES, inputs=(source,))
    request = check_edit(source, _edit_request(instruction, op, desc, target))
    check_model_parts(config, vocab, mllm)
    (steps, cfg, sampler, seed), device = _sampling_and_device(steps, cfg, sampler, seed, device)
    omni = _load(model, device, vocab, mllm, random_init, config)
    result = omni.edit(source, request, steps=steps, cfg_scale=cfg, sampler=sampler, seed=seed, progress=True)
    _write(result, out)


def _printable(text: str) -> str:
    """The answer with control characters shown as U+FFFD: an untrained model's tokens can be anything."""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text)


def understand(
    question: Annotated[str, typer.Argument(help="a question for the model's language model")],
    audio: Annotated[Path | None, typer.Option(help="audio the question is about")] = None,
    model: ModelOpt = "audio-omni-small",
    max_tokens: Annotated[int, typer.Option(min=1, max=MAX_ANSWER_TOKENS, help="longest answer, in tokens")] = 128,
    device: DeviceOpt = None,
    vocab: VocabOpt = None,
    mllm: MllmOpt = None,
    config: ConfigOpt = None,
    random_init: RandomOpt = False,
) -> None:
    """Answer a question with the frozen MLLM (about audio with a text-only MLLM: the frozen listeners)."""
    from audio_omni.audio.io import check_audio_file
    from audio_omni.task_prompts import check_text
    from audio_omni.validation import MIN_SECONDS, check_max_tokens, pick_device

    check_text(question, "question")
    check_max_tokens(max_tokens)
    if audio is not None:
        check_audio_file(audio, min_seconds=MIN_SECONDS)
    check_model_parts(config, vocab, mllm)
    from audio_omni.understanding import listens_for

    ears = listens_for(model) if audio is not None and config is None else None
    if ears is not None:  # a text-only MLLM: the frozen listeners answer, no DiT weights needed
        typer.echo(ears.answer(question, audio))
        return
    omni = _load(model, pick_device(device), vocab, mllm, random_init, config)
    typer.echo(f"answering (at most {max_tokens} tokens) ...", err=True)
    if random_init:
        typer.echo("note: an untrained model (--random-init) answers with random tokens", err=True)
    typer.echo(_printable(omni.understand(question, audio=audio, max_new_tokens=max_tokens)))


def register(app: typer.Typer) -> None:
    app.command()(generate)
    app.command()(edit)
    app.command()(understand)
