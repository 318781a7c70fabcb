"""The official release format end to end on the official-tiny fixture: `.ckpt` and `.safetensors` through
`from_pretrained` and the command line, `convert-official`, a non-default config, and what goes wrong."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
import torch

from audio_omni import AudioOmni
from audio_omni.errors import AudioInputError, CheckpointError

WINDOW_SAMPLES, RATE = 261, 44100  # the fixture's sample_size and sample_rate: a 0.005918 s window
TTS = ("TTS", "hello world")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audio_omni.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def _parts(tiny: Path) -> dict:
    return {"vocab_file": tiny / "vocab.txt", "mllm_path": tiny / "qwen-tiny"}


def _speak(omni: AudioOmni, duration: float | None = None) -> torch.Tensor:
    return omni.generate(*TTS, duration=duration, steps=2, seed=3).audio


@pytest.fixture(scope="module")
def converted(official_tiny, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("converted") / "release"
    tiny = official_tiny
    proc = cli("convert-official", tiny / "model.ckpt", out, "--config", tiny / "config.json",
               "--vocab", tiny / "vocab.txt", "--mllm", tiny / "qwen-tiny")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"all 346 tensors loaded; wrote {out}" in proc.stdout
    return out


@pytest.fixture(scope="module")
def reference(official_tiny) -> AudioOmni:
    return AudioOmni.from_pretrained(official_tiny / "model.ckpt", device="cpu", **_parts(official_tiny))


def test_both_official_files_and_the_converted_directory_are_one_model(official_tiny, converted, reference):
    conditioners = {c["type"]: c["config"] for c in
                    json.loads((converted / "config.json").read_text())["model"]["conditioning"]["configs"]}
    # the local parts given at conversion are recorded, so the directory loads without repeating them
    assert conditioners["qwen_omni"]["qwen_omni_model_name"] == str((official_tiny / "qwen-tiny").resolve())
    assert conditioners["tts-f5"]["vocab_file"] == str((official_tiny / "vocab.txt").resolve())
    audio = _speak(reference)
    from_safetensors = AudioOmni.from_pretrained(official_tiny / "model.safetensors", device="cpu",
                                                 **_parts(official_tiny))
    assert torch.equal(_speak(from_safetensors), audio)
    assert torch.equal(_speak(AudioOmni.from_pretrained(converted, device="cpu")), audio)


def test_an_official_file_with_its_config_elsewhere(official_tiny, reference, tmp_path):
    alone = tmp_path / "model.ckpt"  # no config.json beside it: the paper preset would be assumed
    shutil.copy(official_tiny / "model.ckpt", alone)
    omni = AudioOmni.from_pretrained(alone, device="cpu", config=official_tiny / "config.json",
                                     **_parts(official_tiny))
    assert torch.equal(_speak(omni), _speak(reference))


def test_a_missing_mllm_directory_is_named(official_tiny, converted, tmp_path):
    with pytest.raises(CheckpointError, match=r"built without its MLLM.*--mllm DIR") as err:
        AudioOmni.from_pretrained(official_tiny / "model.ckpt", device="cpu", vocab_file=official_tiny / "vocab.txt")
    assert "\n" not in str(err.value)
    moved = tmp_path / "release"  # a converted model whose recorded MLLM directory is gone
    shutil.copytree(converted, moved)
    config = json.loads((moved / "config.json").read_text())
    for spec in config["model"]["conditioning"]["configs"]:
        if spec["type"] == "qwen_omni":
            spec["config"]["qwen_omni_model_name"] = str(tmp_path / "deleted-qwen")
    (moved / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="the local Qwen2.5-Omni directory was not found"):
        AudioOmni.from_pretrained(moved, device="cpu")


def test_a_duration_equal_to_the_window_is_accepted(reference):
    window = WINDOW_SAMPLES / RATE
    assert reference.max_duration == window
    assert _speak(reference, window).shape[-1] == WINDOW_SAMPLES
    assert _speak(reference, float(f"{window:.4g}")).shape[-1] == WINDOW_SAMPLES  # as `info` prints it
    with pytest.raises(AudioInputError) as err:
        _speak(reference, 0.01)
    assert str(err.value) == "duration 0.01 s is longer than this model's limit of 0.005918 s"


def test_the_command_line_loads_official_and_converted_models(official_tiny, converted, reference, tmp_path):
    window = f"{WINDOW_SAMPLES / RATE:.4g}"
    common = ["--duration", window, "--steps", "2", "--seed", "3"]
    out = cli("generate", *TTS, "--model", converted, *common, "-o", tmp_path / "converted.wav")
    assert out.returncode == 0, out.stderr[-2000:]
    alone = tmp_path / "alone" / "model.ckpt"
    alone.parent.mkdir()
    shutil.copy(official_tiny / "model.ckpt", alone)
    out = cli("generate", *TTS, "--model", alone, "--config", official_tiny / "config.json", "--vocab",
              official_tiny / "vocab.txt", "--mllm", official_tiny / "qwen-tiny", *common, "-o", tmp_path / "file.wav")
    assert out.returncode == 0, out.stderr[-2000:]
    expected = _speak(reference, WINDOW_SAMPLES / RATE).numpy().T
    expected = expected * min(1.0, 0.99 / abs(expected).max())  # saving scales a peak above full scale down
    for name in ("converted.wav", "file.wav"):
        audio, rate = sf.read(tmp_path / name, dtype="float32")
        assert rate == RATE and audio.shape == expected.shape
        assert abs(audio - expected).max() <= 2 / 32768  # 16-bit PCM
    out = cli("generate", *TTS, "--model", official_tiny / "model.ckpt", "--vocab", official_tiny / "vocab.txt",
              "-o", tmp_path / "x.wav")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("error: ") and "--mllm DIR" in out.stderr


def test_understand_through_the_command_line(converted, tmp_path):
    """The converted model's thinker (tiny, random) answers a question about audio: gibberish, but through the
    whole path, with no --mllm."""
    voice = tmp_path / "voice.wav"
    sf.write(voice, (0.3 * torch.sin(torch.arange(16000) * 0.2)).numpy(), 16000)
    out = cli("understand", "What do you hear?", "--model", converted, "--audio", voice, "--max-tokens", "4")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip()


def test_convert_official_refuses_to_replace_its_source(official_tiny, tmp_path):
    inside = tmp_path / "release"
    inside.mkdir()
    shutil.copy(official_tiny / "model.ckpt", inside / "model.ckpt")
    out = cli("convert-official", inside / "model.ckpt", inside, "--config", official_tiny / "config.json")
    assert out.returncode == 2 and "would replace the checkpoint" in out.stderr
    assert (inside / "model.ckpt").read_bytes() == (official_tiny / "model.ckpt").read_bytes()
