"""Training data: pair shards (the data engine's webdataset tars) read by random access, turned into examples.

Sampling is a pure function of (seed, step, rank): each step draws its batch with a generator seeded from
those three numbers, weighted by task. So the "data position" of a run is its step, resuming is exact, and
every process of a multi-process run sees different samples without any sampler state to save.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from audio_omni.audio.io import prepare_audio
from audio_omni.data.shards import MemberLocation, PairRecord, index_pairs, split_shards
from audio_omni.errors import ConfigError
from audio_omni.models.audio_omni_model import AudioOmniModel
from audio_omni.models.requests import (
    ConditionRequest,
    condition_inputs,
    frame_layout,
    source_rate,
    starts_from_source,
)
from audio_omni.task_prompts import PromptTemplates
from audio_omni.tasks import is_edit

#: One pair of a shard directory (key, members by tar offset, metadata): see :class:`audio_omni.data.shards.PairRecord`.
PairEntry = PairRecord
PREENCODED = "preencoded"  # member name of a pre-encoded entry: (part file, 0, 0)


def index_preencoded(directory: str | Path, split: str = "train") -> list[PairEntry]:
    root = Path(directory)
    entries = []
    with open(root / "index.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["part"].startswith(f"{split}/"):
                location = MemberLocation(str(root / row["part"]), 0, 0)
                entries.append(PairEntry(row["key"], {PREENCODED: location}, row["meta"]))
    return sorted(entries, key=lambda e: e.key)


def is_preencoded(directory: str | Path) -> bool:
    """A directory written by training.preencode (its index lists the pairs) rather than pair shards."""
    return (Path(directory) / "index.jsonl").is_file()


def index_shards(directory: str | Path, split: str = "train") -> list[PairEntry]:
    """Every complete pair of `directory/split` by random access (the shard format's own index), sorted by key.
    A pre-encoded directory (index.jsonl) is indexed from its index instead."""
    if is_preencoded(directory):
        return index_preencoded(directory, split)
    tars = split_shards(directory, split)
    if not tars:
        raise ConfigError(f"no shards in {Path(directory) / split} (expected {split}-NNNNNN.tar files)")
    return index_pairs(tars)


@dataclass
class TrainBatch:
    items: list[dict]  # conditioner inputs, keyed by conditioner id (models.requests.condition_inputs)
    audio: torch.Tensor | None  # [B, C, window] targets at the codec's rate (raw pairs)
    lengths: list[int]  # valid samples per item (the rest is padding)
    tasks: list[str]
    from_source: torch.Tensor  # [B] bool: the item's flow starts at its source (models.requests)
    latent_mean: torch.Tensor | None = None  # pre-encoded pairs: [B, D, L]
    latent_std: torch.Tensor | None = None


class PairDataset:
    """Random-access pairs from one or more shard directories, with task-weighted sampling."""

    def __init__(self, directories: Sequence[str | Path], split: str = "train", task_weights: dict | None = None):
        self.entries: list[PairEntry] = []
        for directory in directories:
            self.entries.extend(index_shards(directory, split))
        if not self.entries:
            raise ConfigError(f"no training pairs found in {list(directories)}")
        weights = task_weights or {}
        self.weights = torch.tensor([float(weights.get(e.meta.get("task"), 1.0)) for e in self.entries])
        if self.weights.sum() <= 0:
            raise ConfigError("task weights leave no trainable pair (all selected tasks weigh 0)")

    def __len__(self) -> int:
        return len(self.entries)

    def draw(self, batch_size: int, seed: int, step: int, rank: int) -> list[int]:
        gen = torch.Generator().manual_seed(_mix(seed, step, rank))
        return torch.multinomial(self.weights, batch_size, replacement=True, generator=gen).tolist()


def _mix(*numbers: int) -> int:
    """A deterministic 63-bit seed from a few integers (no Python hash randomisation)."""
    value = 0x9E3779B97F4A7C15
    for n in numbers:
        value = (value ^ (int(n) + 0x9E3779B97F4A7C15 + (value << 6) + (value >> 2))) & 0xFFFFFFFFFFFFFFFF
    return value & 0x7FFFFFFFFFFFFFFF


class ExampleBuilder:
    """Pair entry -> (conditioner inputs, target) for one model: its rates, window and conditioner layout.

    A pair becomes a :class:`~audio_omni.models.requests.ConditionRequest` (the pair's own instruction or
    caption is the user text, so language control is learned) and the request becomes conditioner inputs
    through the same function the facade uses. Frame-layout models see a TTS voice reference as a prefix of
    their target (as the facade samples it), and with `prefix_probability` a generation pair is trained as the
    continuation of its own first frames (the facade's long-form generation).
    """

    def __init__(self, model: AudioOmniModel, templates: PromptTemplates | None = None, prefix_probability=0.0):
        self.model = model
        self.templates = templates or PromptTemplates()
        self.prefix_probability = prefix_probability
        codec = model.pretransform
        self.ratio = codec.downsampling_ratio
        self.rate = codec.sample_rate
        self.channels = codec.audio_channels
        self.window = model.config.sample_size
        self.source_rate = source_rate(model)
        self.frames_layout = frame_layout(model)

    def _mono(self, entry: PairEntry, role: str) -> torch.Tensor:
        wave, sr = entry.audio(role)
        mono, _ = prepare_audio(wave, sr, self.source_rate, channels=1, max_seconds=None, channels_first=True)
        return mono[0]

    def request(self, entry: PairEntry) -> ConditionRequest:
        """The pair as a request, with its audio (source, voice) loaded at the conditioners' rate."""
        meta = entry.meta
        task = meta["task"]
        if not is_edit(task):
            text = meta.get("instruction") or meta.get("caption") or meta.get("description") or ""
            request = ConditionRequest(task, text if task != "TTS" else "")
            if task == "TTS":
                request.transcript = meta.get("transcript") or meta.get("caption") or ""
                request.voice_transcript = meta.get("voice_transcript")
                if entry.has("voice"):
                    request.voice = self._mono(entry, "voice")
            return request
        return ConditionRequest(task, meta["instruction"], source=self._mono(entry, "source"))

    def target_audio(self, entry: PairEntry) -> torch.Tensor:
        """The pair's target [C, T] at the codec's rate and channels (not cut to the window)."""
        wave, sr = entry.audio("target")
        target, _ = prepare_audio(wave, sr, self.rate, channels=self.channels, max_seconds=None, channels_first=True)
        return target

    def _fit_voice(self, request: ConditionRequest, target_samples: int) -> None:
        """Frame layout: a voice prefix must leave room for the target in the window, and covers whole frames."""
        if not self.frames_layout or request.voice is None:
            return
        voice = request.voice[: request.voice.shape[-1] // self.ratio * self.ratio]
        if voice.shape[-1] < self.ratio or voice.shape[-1] + target_samples > self.window:
            request.voice = None  # no room: trained as plain TTS (the voice transcript is then not read)
        else:
            request.voice = voice

    def _maybe_continuation(self, request: ConditionRequest, latents: torch.Tensor, generator) -> None:
        """With probability prefix_probability, a generation pair (without a voice) learns to continue the first
        frames of its own target: the model's long-form generation."""
        if not (self.frames_layout and self.prefix_probability) or is_edit(request.task) or request.has_voice:
            return
        draw = torch.rand(2, generator=generator)
        if float(draw[0]) >= self.prefix_probability:
            return
        valid = latents.shape[-1]
        frames = 1 + int(float(draw[1]) * max(1, valid // 2))
        request.prefix = latents[:, :frames]

    def build(self, entry: PairEntry, generator: torch.Generator | None = None):
        """(conditioner inputs, target audio [C, window] zero-padded, valid samples, task, from_source)."""
        request = self.request(entry)
        target = self.target_audio(entry)
        self._fit_voice(request, target.shape[-1])
        if self.frames_layout and request.voice is not None:
            target = torch.cat([request.voice[None].expand(self.channels, -1), target], dim=-1)
        if generator is not None:
            frames = min(target.shape[-1], self.window) // self.ratio
            if frames:
                codec = self.model.pretransform
                with torch.no_grad():
                    latents = codec.encode(target[None, :, : frames * self.ratio], generator=generator)[0]
                self._maybe_continuation(request, latents.float(), generator)
        item = condition_inputs(self.model, request, self.templates)
        length = min(target.shape[-1], self.window)
        padded = torch.zeros(self.channels, self.window)
        padded[:, :length] = target[:, :length]
        return item, padded, length, request.task, starts_from_source(self.model, request)

    def build_preencoded(self, entry: PairEntry, generator: torch.Generator | None = None):
        """(conditioner inputs, tensors with the target latents, valid samples, task, from_source)."""
        from safetensors import safe_open

        from audio_omni.models.conditioners.mllm import MLLMFeatures

        meta, key = entry.meta, entry.key
        with safe_open(entry.members[PREENCODED][0], "pt") as f:
            names = set(f.keys())
            tensors = {n.split("/", 1)[1]: f.get_tensor(n) for n in names if n.startswith(f"{key}/")}
        task = meta["task"]
        rows = tensors["mllm"]
        pad = self.model.conditioner.conditioners[self.model.conditioner.role_ids()["mllm"]].pad_length
        features = torch.zeros(pad, rows.shape[-1], dtype=rows.dtype)
        features[: rows.shape[0]] = rows
        request = ConditionRequest(task, prompt_features=MLLMFeatures(features, torch.arange(pad) < rows.shape[0]))
        length = int(tensors["length"][0])
        if task == "TTS":
            request.transcript = meta.get("transcript") or meta.get("caption") or ""
            request.voice_transcript = meta.get("voice_transcript")
        if self.frames_layout:
            request.source_latents = tensors.get("source_latents")
            request.source_tags = tensors.get("source_tags")
            voice = tensors.get("voice_latents")
            target = tensors["latent_mean"][:, : math.ceil(length / self.ratio)]
            if voice is not None and (voice.shape[-1] + target.shape[-1]) * self.ratio <= self.window:
                request.voice_latents = voice
                target = torch.cat([voice, target], dim=-1)
                length += voice.shape[-1] * self.ratio
            frames = self.window // self.ratio
            tensors["latent_mean"] = F.pad(target, (0, max(0, frames - target.shape[-1])))[:, :frames]
            if generator is not None:
                self._maybe_continuation(request, target.float(), generator)
        elif "mel_wave" in tensors:
            if task == "TTS":
                request.voice = tensors["mel_wave"]
            else:
                request.source = tensors["mel_wave"]
        item = condition_inputs(self.model, request, self.templates)
        return item, tensors, min(length, self.window), task, starts_from_source(self.model, request)

    def batch(self, entries: Sequence[PairEntry], generator: torch.Generator | None = None) -> TrainBatch:
        if all(PREENCODED in e.members for e in entries):
            built = [self.build_preencoded(e, generator) for e in entries]
            stds = [b[1].get("latent_std") for b in built]
            return TrainBatch(
                items=[b[0] for b in built], audio=None, lengths=[b[2] for b in built], tasks=[b[3] for b in built],
                from_source=torch.tensor([b[4] for b in built]),
                latent_mean=torch.stack([b[1]["latent_mean"].float() for b in built]),
                latent_std=None if any(s is None for s in stds) else torch.stack(stds),
            )
        built = [self.build(e, generator) for e in entries]
        return TrainBatch(
            items=[b[0] for b in built],
            audio=torch.stack([b[1] for b in built]),
            lengths=[b[2] for b in built],
            tasks=[b[3] for b in built],
            from_source=torch.tensor([b[4] for b in built]),
        )
