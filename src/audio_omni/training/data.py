"""Training data: pair shards (the data engine's webdataset tars) read by random access, turned into examples.

Sampling is a pure function of (seed, step, rank): each step draws its batch with a generator seeded from
those three numbers, weighted by task. So the "data position" of a run is its step, resuming is exact, and
every process of a multi-process run sees different samples without any sampler state to save.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from audio_omni.audio.io import prepare_audio
from audio_omni.data.shards import MemberLocation, PairRecord, decode_audio, index_pairs, split_shards
from audio_omni.errors import ConfigError
from audio_omni.models.audio_omni_model import AudioOmniModel
from audio_omni.models.conditioners.mel import MelInput
from audio_omni.models.conditioners.mllm import MLLMPrompt
from audio_omni.task_prompts import EDIT_OPERATIONS, PromptTemplates

GENERATION = ("T2A", "T2M", "TTS")


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


def index_shards(directory: str | Path, split: str = "train") -> list[PairEntry]:
    """Every complete pair of `directory/split` by random access (the shard format's own index), sorted by key.
    A pre-encoded directory (index.jsonl) is indexed from its index instead."""
    if (Path(directory) / "index.jsonl").is_file():
        return index_preencoded(directory, split)
    tars = split_shards(directory, split)
    if not tars:
        raise ConfigError(f"no shards in {Path(directory) / split} (expected {split}-NNNNNN.tar files)")
    return index_pairs(tars)


def _audio(location: MemberLocation) -> tuple[np.ndarray, int]:
    return decode_audio(location.read())


@dataclass
class TrainBatch:
    items: list[dict]  # conditioner inputs, keyed by conditioner id
    audio: torch.Tensor | None  # [B, C, window] targets at the codec's rate (raw pairs)
    lengths: list[int]  # valid samples per item (the rest is padding)
    tasks: list[str]
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
    """Pair entry -> conditioner inputs + target audio, for one model (its rates, window and prompt layout)."""

    def __init__(self, model: AudioOmniModel, templates: PromptTemplates | None = None):
        self.model = model
        self.templates = templates or PromptTemplates()
        self.roles = model.conditioner.role_ids()
        codec = model.pretransform
        self.rate = codec.sample_rate
        self.channels = codec.audio_channels
        self.window = model.config.sample_size
        mel = model.conditioner.conditioners[self.roles["mel"]] if "mel" in self.roles else None
        self.mel_rate = mel.sample_rate if mel is not None else None

    def _mel(self, location, is_voice: bool) -> MelInput:
        wave, sr = _audio(location)
        mono, _ = prepare_audio(wave, sr, self.mel_rate, channels=1, max_seconds=None, channels_first=True)
        return MelInput(mono[0], is_voice)

    def build(self, entry: PairEntry) -> tuple[dict, torch.Tensor, int, str]:
        meta = entry.meta
        task = meta["task"]
        item = {cond_id: None for cond_id in self.roles.values()}
        if task in GENERATION:
            # The pair's own (possibly non-English) request is the user text, so language control is learned.
            text = meta.get("instruction") or meta.get("caption") or meta.get("description") or ""
            prompt = self.templates.generation(task, text if task != "TTS" else "")
            if task == "TTS":
                item[self.roles["speech_text"]] = speech_text(meta, has_voice="voice.flac" in entry.members)
                voice = entry.members.get("voice.flac")
                item[self.roles["mel"]] = self._mel(voice, True) if voice else MelInput(None, True)
        else:
            prompt = self.templates.edit(meta["instruction"])
            item[self.roles["mel"]] = self._mel(entry.members["source.flac"], False)
        item[self.roles["mllm"]] = MLLMPrompt(prompt)
        wave, sr = _audio(entry.members["target.flac"])
        target, _ = prepare_audio(wave, sr, self.rate, channels=self.channels, max_seconds=None, channels_first=True)
        length = min(target.shape[-1], self.window)
        padded = torch.zeros(self.channels, self.window)
        padded[:, :length] = target[:, :length]
        return item, padded, length, task

    def build_preencoded(self, entry: PairEntry) -> tuple[dict, dict[str, torch.Tensor], int, str]:
        from safetensors import safe_open

        from audio_omni.models.conditioners.mllm import MLLMFeatures

        meta, key = entry.meta, entry.key
        with safe_open(entry.members[PREENCODED][0], "pt") as f:
            names = set(f.keys())
            tensors = {n.split("/", 1)[1]: f.get_tensor(n) for n in names if n.startswith(f"{key}/")}
        task = meta["task"]
        item = {cond_id: None for cond_id in self.roles.values()}
        rows = tensors["mllm"]
        pad = self.model.conditioner.conditioners[self.roles["mllm"]].pad_length
        features = torch.zeros(pad, rows.shape[-1], dtype=rows.dtype)
        features[: rows.shape[0]] = rows
        mask = torch.arange(pad) < rows.shape[0]
        item[self.roles["mllm"]] = MLLMFeatures(features, mask)
        if task == "TTS":
            item[self.roles["speech_text"]] = speech_text(meta, has_voice="mel_wave" in tensors)
        if "mel_wave" in tensors:
            item[self.roles["mel"]] = MelInput(tensors["mel_wave"], task == "TTS")
        elif task == "TTS":
            item[self.roles["mel"]] = MelInput(None, True)
        return item, tensors, int(tensors["length"][0]), task

    def batch(self, entries: Sequence[PairEntry]) -> TrainBatch:
        if all(PREENCODED in e.members for e in entries):
            built = [self.build_preencoded(e) for e in entries]
            stds = [b[1].get("latent_std") for b in built]
            return TrainBatch(
                items=[b[0] for b in built], audio=None, lengths=[b[2] for b in built], tasks=[b[3] for b in built],
                latent_mean=torch.stack([b[1]["latent_mean"] for b in built]),
                latent_std=None if any(s is None for s in stds) else torch.stack(stds),
            )
        built = [self.build(e) for e in entries]
        return TrainBatch(
            items=[b[0] for b in built],
            audio=torch.stack([b[1] for b in built]),
            lengths=[b[2] for b in built],
            tasks=[b[3] for b in built],
        )


def speech_text(meta: dict, has_voice: bool) -> str:
    """The speech-text input of a TTS pair: with a voice reference, its transcript comes first ("ref. target"),
    the same layout the facade uses for voice cloning."""
    text = meta.get("transcript") or meta.get("caption") or ""
    reference = meta.get("voice_transcript")
    return f"{reference}. {text}" if has_voice and reference else text


def is_edit(task: str) -> bool:
    return task in EDIT_OPERATIONS or task not in GENERATION
