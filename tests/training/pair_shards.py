"""Tiny pair shards in the team format, made from real recorded speech, for training tests."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import soundfile as sf

from audio_omni.audio.io import load_audio


def real_clips(rate: int, n: int = 4, seconds: float = 1.0) -> list[np.ndarray]:
    """Mono excerpts of real recorded speech (Debian asterisk prompts, fetched by scripts/install.sh)."""
    from audio_omni.assets import debian_package

    root = debian_package("asterisk-core-sounds-en-wav")
    files = sorted(root.rglob("*.wav"))[:40]
    clips = []
    for path in files:
        wave, _ = load_audio(path, sample_rate=rate, channels=1)
        wave = wave[0].numpy()
        need = int(seconds * rate)
        if wave.shape[0] >= need and np.abs(wave[:need]).max() > 0.05:
            clips.append(wave[:need] / max(1e-3, np.abs(wave[:need]).max()) * 0.5)
        if len(clips) == n:
            break
    assert len(clips) == n, "not enough real speech clips in the cache"
    return clips


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _flac(wave: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, wave.astype(np.float32), rate, format="FLAC", subtype="PCM_24")
    return buf.getvalue()


def write_pair_shards(
    directory: Path, rate: int = 16000, seconds: float = 1.0, n: int = 4, same_instruction: bool = False
) -> Path:
    """Remove/Extract pairs: source = a + b/2, target = a (or b/2), with the paper's instructions (all pairs of
    a task with the same instruction when `same_instruction`)."""
    clips = real_clips(rate, n + 1, seconds)
    split = directory / "train"
    split.mkdir(parents=True, exist_ok=True)
    manifest = []
    with tarfile.open(split / "train-000000.tar", "w") as tar:
        for i in range(n):
            a, b = clips[i], clips[i + 1] * 0.5
            task = "Remove" if i % 2 == 0 else "Extract"
            target = a if task == "Remove" else b
            key = f"pair{i:04d}"
            meta = {
                "id": key, "split": "train", "task": task, "language": "en", "template_id": "paper", "held_out": False,
                "instruction": f"{task} the sound of 'voice {1 if same_instruction else i + 1}' from the input audio.",
                "domain": "speech", "description": f"voice {i + 1}", "target_description": None,
                "labels": {"target": "Speech", "present_before": ["Speech"], "present_after": ["Speech"]},
                "region": None, "sample_rate": rate, "duration": seconds, "source_clip_ids": [f"c{i}", f"c{i + 1}"],
            }
            _add(tar, f"{key}.source.flac", _flac(a + b, rate))
            _add(tar, f"{key}.target.flac", _flac(target, rate))
            _add(tar, f"{key}.json", json.dumps(meta).encode())
            manifest.append({**meta, "shard": "train/train-000000.tar"})
    (directory / "manifest.jsonl").write_text("\n".join(json.dumps(m) for m in manifest) + "\n")
    return directory


TINY_EDIT_SAMPLES = 11264  # 44 mel frames at 22.05 kHz (22 tokens of 2 frames)


def tiny_edit_model_config() -> dict:
    """The audio-omni-small layout (per-frame source, flow from the source, data prediction on top of it) shrunk
    to learn two 0.5 s edit pairs in a minute on the CPU: the `debug-small` preset (a tiny random Qwen thinker
    stands in for Gemma)."""
    from audio_omni.models.presets import preset_config

    model = preset_config("debug-small").to_dict()
    assert model["sample_size"] == TINY_EDIT_SAMPLES
    return model


def train_tiny_editor(directory: Path, max_steps: int = 900):
    """Over-fit the tiny layout on two real Remove/Extract pairs; returns the Trainer after training."""
    from audio_omni.training.config import parse_train_config
    from audio_omni.training.trainer import Trainer

    shards = write_pair_shards(directory / "pairs", rate=22050, n=2, seconds=0.5)
    (directory / "model.json").write_text(json.dumps(tiny_edit_model_config()))
    cfg = parse_train_config({
        "model": {"preset": None, "config": str(directory / "model.json")}, "data": {"shards": [str(shards)]},
        "out_dir": str(directory / "run"), "max_steps": max_steps, "batch_size": 2, "checkpoint_every": 10_000,
        "tensorboard": False, "cfg_dropout": 0.0, "timesteps": "uniform",
        "optim": {"lr": 3e-3, "schedule": "constant", "warmup_steps": 10, "weight_decay": 0.0},
    })
    trainer = Trainer(cfg)
    trainer.train()
    return trainer


def edit_errors(trainer, settings: list[tuple[str, int]], cfg_scale: float = 1.0, seeds: int = 1):
    """For each training pair: (task, identity error, {setting: mean |sampled - target| log-mel}).

    The identity error is the source's distance to the target: an editor that learned nothing scores it."""
    import torch

    net = trainer.model.eval()
    builder, codec = trainer.builder, net.pretransform
    rows = []
    with torch.no_grad():
        for entry in trainer.dataset.entries:
            batch = builder.batch([entry])
            frames = codec.num_frames(batch.lengths[0])
            target_mel = codec.encode(batch.audio[:, :, : frames * codec.downsampling_ratio])
            request = builder.request(entry)
            source_mel = codec.encode(request.source[: frames * codec.downsampling_ratio][None, None])
            cond = net.condition(batch.items, frames=frames)
            errors = {}
            for sampler, steps in settings:
                total = 0.0
                for seed in range(seeds):
                    noise = torch.randn(target_mel.shape, generator=torch.Generator().manual_seed(seed))
                    sampled = net.sample_latents(cond, noise, steps, cfg_scale, sampler, from_source=batch.from_source)
                    total += (sampled - target_mel).abs().mean().item()
                errors[(sampler, steps)] = total / seeds
            rows.append((task_of(entry), (source_mel - target_mel).abs().mean().item(), errors))
    return rows


def task_of(entry) -> str:
    return entry.meta["task"]
