"""Real files for the bad-input corpus, written with soundfile into a test's folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 16000


def tone(seconds: float = 1.0, rate: int = RATE, peak: float = 0.3) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (peak * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def wav(path: Path, seconds: float = 1.0, rate: int = RATE, subtype: str = "PCM_16", peak: float = 0.3) -> Path:
    sf.write(path, tone(seconds, rate, peak), rate, subtype=subtype)
    return path


def cut(source: Path, path: Path, keep: int) -> Path:
    """The first ``keep`` bytes of ``source``: a copy interrupted part way."""
    path.write_bytes(source.read_bytes()[:keep])
    return path


def corpus(root: Path) -> dict[str, Path]:
    """Every bad (and one good) input file, by name."""
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {"root": root}
    files["ok"] = wav(root / "ok.wav")
    size = files["ok"].stat().st_size
    files["cut"] = cut(files["ok"], root / "cut.wav", size // 2)  # header still says 1 s
    files["odd"] = cut(files["ok"], root / "odd.wav", 44 + 2 * 480 + 1)  # 0.03 s and half a sample
    mp3 = root / "full.mp3"
    sf.write(mp3, tone(1.0), RATE, format="MP3")
    files["cut_mp3"] = cut(mp3, root / "cut.mp3", mp3.stat().st_size // 2)
    aiff = root / "full.aiff"
    sf.write(aiff, tone(1.0), RATE, format="AIFF")
    files["cut_aiff"] = cut(aiff, root / "cut.aiff", aiff.stat().st_size // 2)
    files["one_sample"] = wav(root / "one.wav", seconds=1 / RATE)
    files["empty"] = root / "empty.wav"
    files["empty"].write_bytes(b"")
    files["corrupt"] = root / "corrupt.wav"
    files["corrupt"].write_bytes(b"RIFF0000WAVEgarbage" + bytes(range(256)) * 4)
    files["low_rate"] = wav(root / "low-rate.wav", rate=500)
    nan = tone(0.5)
    nan[100] = np.nan
    files["nan"] = root / "nan.wav"
    sf.write(files["nan"], nan, RATE, subtype="FLOAT")
    files["hour"] = root / "hour.wav"  # a real hour at 1 kHz, 8 bit: 3.6 MB
    sf.write(files["hour"], np.zeros(3600 * 1000, np.float32) + 0.01, 1000, subtype="PCM_U8")
    files["loud"] = wav(root / "loud.wav", seconds=0.5, subtype="FLOAT", peak=1.5)  # clipped on load, a warning
    files["folder"] = root / "a-folder.wav"
    files["folder"].mkdir()
    files["fifo"] = root / "pipe.wav"
    os.mkfifo(files["fifo"])
    files["existing_file"] = root / "not-a-folder"
    files["existing_file"].write_text("x")
    files["sync_bad"] = root / "sync.npy"
    np.save(files["sync_bad"], np.zeros((10, 5), np.float32))
    files["empty_catalog"] = root / "catalog.jsonl"
    files["empty_catalog"].write_text("")
    return files


def small_checkpoint(root: Path) -> Path:
    """A checkpoint folder of the small preset as `audio-omni info` reads it: its config.json (the weights file
    is there, but info never reads it)."""
    from audio_omni.models.checkpoints import CONFIG_NAME, WEIGHTS_NAME
    from audio_omni.models.presets import preset_config

    root.mkdir(parents=True, exist_ok=True)
    (root / CONFIG_NAME).write_text(json.dumps(preset_config("audio-omni-small").to_dict()), encoding="utf-8")
    (root / WEIGHTS_NAME).write_bytes(b"")
    return root


def train_config(root: Path) -> Path:
    """A valid training config of the debug preset whose run has saved no checkpoint."""
    (root / "shards").mkdir(parents=True, exist_ok=True)
    path = root / "train.json"
    path.write_text(json.dumps({"model": {"preset": "debug"}, "data": {"shards": [str(root / "shards")]},
                                "out_dir": str(root / "run"), "max_steps": 2}))  # fmt: skip
    return path
