"""Pre-encoding: run the frozen parts (codec encoder, MLLM) once per pair and store what training needs.

Layout of a pre-encoded directory (the trainer accepts it wherever it accepts pair shards):
    config.json            the model config it was encoded for (codec, MLLM and window must match)
    index.jsonl            one line per pair: {"key", "task", "part", "meta"}
    <split>/part-NNNNNN.safetensors
        <key>/latent_mean [D, L]    codec posterior mean (or the deterministic latent)
        <key>/latent_std  [D, L]    VAE posterior std (absent for deterministic codecs)
        <key>/length      [1]       valid audio samples of the window
        <key>/mllm        [n, F]    the real rows of the MLLM features fitted to pad_length (n <= pad_length),
                                    before the trainable projection; zero padding is restored at load
        <key>/mel_wave    [T]       source / voice audio at the mel conditioner's rate (prepended-mel models)
        <key>/source_latents [D, L] the codec's latents of the source (frame-layout models, edits)
        <key>/voice_latents  [D, K] the codec's latents of the voice reference (frame-layout models, TTS)
        <key>/source_tags [521, P]  the frozen tagger's class probabilities of the source (models with a
                                    source_tags condition, edits)
The trainable conditioners (projections, speech-text encoder, mel projections) still run during training.
`half=True` stores latents in float16 and MLLM features in bfloat16 (their range needs its exponent), which
halves the disk and page cache a large campaign needs; training reads both back as float32.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from audio_omni.atomic import atomic_path, write_text_atomic
from audio_omni.errors import ConfigError
from audio_omni.models.audio_omni_model import AudioOmniModel
from audio_omni.models.codecs.base import VariationalCodec
from audio_omni.models.requests import condition_inputs
from audio_omni.training.data import ExampleBuilder, index_shards

INDEX = "index.jsonl"


def save_tensors_atomic(tensors: dict[str, torch.Tensor], path: Path) -> None:
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp))


@torch.no_grad()
def preencode(
    model: AudioOmniModel, shard_dirs: list[str | Path], out: str | Path, split: str = "train", per_part: int = 256,
    progress: bool = True, half: bool = False, batch_size: int = 16,
) -> Path:
    """Encode every pair of `shard_dirs/split` into `out` (resumable: finished parts are kept)."""
    out = Path(out)
    builder = ExampleBuilder(model)
    roles = model.conditioner.role_ids()
    mllm = model.conditioner.conditioners[roles["mllm"]]
    if mllm.model is None:
        raise ConfigError("pre-encoding needs the model's MLLM backbone")
    frames_module = model.conditioner.conditioners[roles["frames"]] if "frames" in roles else None
    tags_module = model.conditioner.conditioners[roles["tags"]] if "tags" in roles else None
    codec = model.pretransform
    entries = [e for d in shard_dirs for e in index_shards(d, split)]
    device = next(model.model.parameters()).device
    lines = []
    from tqdm.auto import tqdm

    def store(tensor: torch.Tensor, dtype: torch.dtype = torch.float16) -> torch.Tensor:
        # A copy: pairs that share a prompt share its feature rows, and safetensors stores no shared memory.
        return tensor.to(dtype if half else torch.float32).cpu().contiguous().clone()

    for start in tqdm(range(0, len(entries), per_part), desc="pre-encoding", disable=not progress, unit="part"):
        chunk = entries[start : start + per_part]
        part = f"{split}/part-{start // per_part:06d}.safetensors"
        lines += [{"key": e.key, "task": e.meta["task"], "part": part, "meta": e.meta} for e in chunk]
        if (out / part).is_file():
            continue  # finished by an earlier, interrupted run
        tensors: dict[str, torch.Tensor] = {}
        requests = [builder.request(entry) for entry in chunk]
        prompts = [condition_inputs(model, r, builder.templates)[roles["mllm"]].text for r in requests]
        prompt_rows = _prompt_features(mllm, prompts, device, batch_size)
        for i, (entry, request) in enumerate(zip(chunk, requests, strict=True)):
            key = entry.key
            wave = builder.target_audio(entry)[:, : builder.window]
            audio = wave[None].to(device)
            if isinstance(codec, VariationalCodec):
                mean, std = codec.posterior(audio)
                tensors[f"{key}/latent_std"] = store(std[0])
            else:
                mean = codec.encode(audio)
            tensors[f"{key}/latent_mean"] = store(mean[0])
            tensors[f"{key}/length"] = torch.tensor([wave.shape[-1]])
            # Only the real rows are stored (padding is zeros, restored at load): prompts are far shorter than
            # the paper's 2048 positions, so this keeps pre-encoded data small.
            tensors[f"{key}/mllm"] = store(prompt_rows[i], torch.bfloat16)
            if frames_module is not None:
                if request.source is not None:
                    tensors[f"{key}/source_latents"] = store(frames_module.encode(request.source.to(device)))
                    if tags_module is not None:  # the waveform the facade would tag: whole latent frames
                        source = request.source[: request.source.shape[-1] // codec.downsampling_ratio
                                                * codec.downsampling_ratio]
                        tensors[f"{key}/source_tags"] = store(tags_module.tags(source))
                if request.voice is not None:
                    voice = request.voice[: request.voice.shape[-1] // codec.downsampling_ratio
                                          * codec.downsampling_ratio]  # whole frames, as training uses it
                    if voice.numel():
                        tensors[f"{key}/voice_latents"] = store(frames_module.encode(voice.to(device)))
            else:
                wave_in = request.source if request.source is not None else request.voice
                if wave_in is not None:
                    tensors[f"{key}/mel_wave"] = wave_in.float().cpu().contiguous()
        save_tensors_atomic(tensors, out / part)
    write_text_atomic(out / "config.json", json.dumps(model.config.to_dict(), indent=2))
    write_text_atomic(out / INDEX, "".join(json.dumps(line) + "\n" for line in lines))
    return out


def _prompt_features(mllm, prompts: list[str], device, batch_size: int) -> list[torch.Tensor]:
    """The real rows of each prompt's fitted MLLM features, computed `batch_size` distinct prompts at a time
    (the frozen LLM is most of pre-encoding's cost; batches use the CPU's matrix units far better than one
    prompt at a time, and repeated prompts are encoded once)."""
    unique = list(dict.fromkeys(prompts))
    rows: dict[str, torch.Tensor] = {}
    for start in range(0, len(unique), batch_size):
        batch = unique[start : start + batch_size]
        features, mask = mllm.fitted_features(batch, device)
        for i, prompt in enumerate(batch):
            rows[prompt] = features[i][mask[i]]
    return [rows[p] for p in prompts]
