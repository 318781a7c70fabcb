"""The command line as a user runs it: real processes, real files, exit codes, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import soundfile as sf

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
        (("generate", "T2A", "rain"), "no trained weights"),
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
