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
        <key>/mel_wave    [T]       source / voice audio at the mel conditioner's rate (edits and TTS)
The trainable conditioners (projections, speech-text encoder, mel projections) still run during training.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from audio_omni.atomic import atomic_path, write_text_atomic
from audio_omni.errors import ConfigError
from audio_omni.models.audio_omni_model import AudioOmniModel
from audio_omni.models.conditioners.mel import MelInput
from audio_omni.models.conditioners.mllm import MLLMPrompt
from audio_omni.training.data import ExampleBuilder, index_shards

INDEX = "index.jsonl"


def _save_atomic(tensors: dict[str, torch.Tensor], path: Path) -> None:
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp))


@torch.no_grad()
def preencode(
    model: AudioOmniModel, shard_dirs: list[str | Path], out: str | Path, split: str = "train", per_part: int = 256,
    progress: bool = True,
) -> Path:
    """Encode every pair of `shard_dirs/split` into `out` (resumable: finished parts are kept)."""
    out = Path(out)
    builder = ExampleBuilder(model)
    roles = builder.roles
    mllm = model.conditioner.conditioners[roles["mllm"]]
    if mllm.model is None:
        raise ConfigError("pre-encoding needs the model's MLLM backbone")
    codec = model.pretransform
    entries = [e for d in shard_dirs for e in index_shards(d, split)]
    device = next(model.model.parameters()).device
    lines = []
    from tqdm.auto import tqdm

    for start in tqdm(range(0, len(entries), per_part), desc="pre-encoding", disable=not progress, unit="part"):
        chunk = entries[start : start + per_part]
        part = f"{split}/part-{start // per_part:06d}.safetensors"
        lines += [{"key": e.key, "task": e.meta["task"], "part": part, "meta": e.meta} for e in chunk]
        if (out / part).is_file():
            continue  # finished by an earlier, interrupted run
        tensors: dict[str, torch.Tensor] = {}
        for entry in chunk:
            item, audio, length, _ = builder.build(entry)
            key = entry.key
            audio = audio[None].to(device)
            if hasattr(codec, "posterior"):
                mean, std = codec.posterior(audio)
                tensors[f"{key}/latent_std"] = std[0].float().cpu().contiguous()
            else:
                mean = codec.encode(audio)
            tensors[f"{key}/latent_mean"] = mean[0].float().cpu().contiguous()
            tensors[f"{key}/length"] = torch.tensor([length])
            prompt: MLLMPrompt = item[roles["mllm"]]
            features, mask = mllm.fitted_features([prompt.text], device)
            # Only the real rows are stored (padding is zeros, restored at load): prompts are far shorter than
            # the paper's 2048 positions, so this keeps pre-encoded data small.
            tensors[f"{key}/mllm"] = features[0][mask[0]].cpu().contiguous()
            mel: MelInput | None = item.get(roles.get("mel", ""))
            if mel is not None and mel.wave is not None:
                tensors[f"{key}/mel_wave"] = mel.wave.float().cpu().contiguous()
        _save_atomic(tensors, out / part)
    write_text_atomic(out / "config.json", json.dumps(model.config.to_dict(), indent=2))
    write_text_atomic(out / INDEX, "".join(json.dumps(line) + "\n" for line in lines))
    return out
