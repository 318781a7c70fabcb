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


def write_pair_shards(directory: Path, rate: int = 16000, seconds: float = 1.0, n: int = 4) -> Path:
    """Remove/Extract pairs: source = a + b/2, target = a (or b/2), with the paper's instructions."""
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
                "instruction": f"{task} the sound of 'voice {i + 1}' from the input audio.",
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
