"""The command line as a user runs it: real processes, real files, exit codes, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch

from audio_omni import AudioOmni
from audio_omni.errors import AudioOmniError
from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import persistent_state_dict, save_pretrained
from audio_omni.models.presets import preset_config

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audio_omni.cli", *args], capture_output=True, text=True, timeout=timeout, env=ENV
    )


def test_help_lists_the_commands_that_exist():
    out = run("--help")
    assert out.returncode == 0
    for command in ("generate", "edit", "understand", "info", "convert-official"):
        assert command in out.stdout


def test_info_of_the_paper_preset():
    out = run("info", "audio-omni")
    assert out.returncode == 0, out.stderr
    assert "3,037.3 M" in out.stdout and "depth 36" in out.stdout


def test_generate_then_edit_writes_audio(tmp_path):
    gen = tmp_path / "gen.wav"
    out = run("generate", "T2A", "rain on a roof", "--model", "debug", "--random-init", "--duration", "0.5",
              "--steps", "2", "--seed", "7", "-o", str(gen))
    assert out.returncode == 0, out.stderr
    assert "seed 7" in out.stdout
    data, sr = sf.read(gen)
    assert sr == 16000 and data.shape == (8000, 2)
    before = gen.read_bytes()
    edited = tmp_path / "edited.flac"
    out = run("edit", str(gen), "--op", "Remove", "--desc", "rain", "--model", "debug", "--random-init",
              "--steps", "2", "-o", str(edited))
    assert out.returncode == 0, out.stderr
    assert sf.info(edited).frames == 8000 and gen.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("generate", "T2A", "", "--model", "debug", "--random-init"), "empty"),
        (("generate", "Dance", "x", "--model", "debug", "--random-init"), "unknown task"),
        (("generate", "T2A", "rain", "--model", "debug", "--random-init", "-o", "x.mp3"), "unsupported output"),
        (("edit", "/no/such.wav", "Add rain", "--model", "debug", "--random-init"), "not found"),
        (("edit", "x.wav", "--model", "debug", "--random-init"), "INSTRUCTION"),
        (("generate", "T2A", "rain", "--model", "no-such-model"), "neither"),
        (("generate", "T2A", "rain", "--model", "debug"), "no trained weights"),  # the default model ships weights
        (("info", "nothing-here"), "neither"),
    ],
)
def test_bad_input_exits_non_zero_with_one_clear_line(args, message, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "audio_omni.cli", *args], capture_output=True, text=True, timeout=300, env=ENV,
        cwd=tmp_path,
    )
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_corrupt_source_audio(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEgarbage")
    out = run("edit", str(bad), "Add rain", "--model", "debug", "--random-init", "-o", str(tmp_path / "o.wav"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "bad.wav" in out.stderr


@pytest.fixture(scope="module")
def debug_dir(tmp_path_factory):
    """A seeded debug model saved in our format: the same weights in this process and in the CLI's."""
    torch.manual_seed(0)
    return save_pretrained(build_model(preset_config("debug")), tmp_path_factory.mktemp("debug") / "model")


def _read(path):
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    return torch.from_numpy(audio.T), rate


def _as_saved(audio: torch.Tensor) -> torch.Tensor:
    return audio * min(1.0, 0.99 / float(audio.abs().max()))  # saving scales a peak above full scale down


def test_sync_features_and_voice_reach_the_model(debug_dir, tmp_path):
    omni = AudioOmni.from_pretrained(debug_dir, device="cpu")
    features = torch.randn(240, 768, generator=torch.Generator().manual_seed(1))
    np.save(tmp_path / "sync.npy", features.numpy())
    voice = tmp_path / "voice.wav"
    sf.write(voice, 0.3 * np.sin(np.arange(12000) * 0.05), 16000)
    common = ["--model", str(debug_dir), "--duration", "0.5", "--steps", "2", "--seed", "4"]
    out = run("generate", "V2A", "--sync-features", str(tmp_path / "sync.npy"), *common, "-o", str(tmp_path / "v.wav"))
    assert out.returncode == 0, out.stderr[-2000:]
    expected = omni.generate("V2A", "", sync_features=features, duration=0.5, steps=2, seed=4).audio
    without = omni.generate("V2A", "", sync_features=torch.zeros(240, 768), duration=0.5, steps=2, seed=4).audio
    written, _ = _read(tmp_path / "v.wav")
    assert (written - _as_saved(expected)).abs().max() <= 2 / 32768
    assert (written - _as_saved(without)).abs().max() > 1e-3  # the features changed the audio
    out = run("generate", "TTS", "new words", "--voice", str(voice), "--voice-text", "old words", *common,
              "-o", str(tmp_path / "t.wav"))
    assert out.returncode == 0, out.stderr[-2000:]
    expected = omni.generate("TTS", "new words", voice=voice, voice_text="old words", duration=0.5, steps=2, seed=4)
    written, _ = _read(tmp_path / "t.wav")
    assert (written - _as_saved(expected.audio)).abs().max() <= 2 / 32768
    np.save(tmp_path / "short.npy", features[:10].numpy())
    out = run("generate", "V2A", "--sync-features", str(tmp_path / "short.npy"), *common, "-o", str(tmp_path / "x.wav"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1] == "error: sync features must be [240, 768], got [10, 768]"


def test_edit_refuses_to_overwrite_its_source(tmp_path):
    source = tmp_path / "mix.wav"
    sf.write(source, 0.1 * np.ones(1600), 16000)
    before = source.read_bytes()
    (tmp_path / "sub").mkdir()
    for out_path in (source, tmp_path / "sub" / ".." / "mix.wav"):
        out = run("edit", str(source), "Add rain", "--model", "debug", "--random-init", "-o", str(out_path))
        assert out.returncode == 2 and "would overwrite the input" in out.stderr
    assert source.read_bytes() == before


def test_non_finite_output_is_refused(tmp_path):
    """A checkpoint with NaN weights: the pipeline refuses to return (or write) NaN audio."""
    torch.manual_seed(0)
    model = build_model(preset_config("debug"))
    state = {k: torch.full_like(v, float("nan")) if k.startswith("model.model.") and v.is_floating_point() else v
             for k, v in persistent_state_dict(model).items()}
    directory = save_pretrained(model, tmp_path / "nan", state=state)
    omni = AudioOmni.from_pretrained(directory, device="cpu")
    with pytest.raises(AudioOmniError, match="non-finite audio"):
        omni.generate("T2A", "rain", duration=0.25, steps=1, seed=0)
    with pytest.raises(AudioOmniError, match="non-finite audio"):
        omni.edit(np.full(4000, 0.1, np.float32), ("Add", "rain"), sample_rate=16000, steps=1, seed=0)
