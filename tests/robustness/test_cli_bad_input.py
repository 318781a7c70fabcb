"""The bad-input corpus through the real command line: one `error:` line, exit code 2, nothing lost.

Each case runs `python -m audio_omni.cli` in a fresh process on real files made here. Cases marked before-load
must fail before any model is loaded (no "loading" line); the others need the model to know they are wrong.
"""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
import torch
from bad_files import corpus, small_checkpoint, train_config

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "2"}
DEBUG = ["--model", "debug", "--random-init"]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    return corpus(tmp_path_factory.mktemp("corpus"))


def run(args, cwd: Path, env: dict | None = None, preexec_fn=None, timeout: float = 600):
    return subprocess.run([sys.executable, "-m", "audio_omni.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env or ENV, timeout=timeout, preexec_fn=preexec_fn)  # fmt: skip


def assert_one_error_line(out, message: str) -> str:
    """Exit code 2, exactly one `error:` line that contains ``message``, no traceback; returns that line."""
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, out.stderr
    assert message in errors[0], errors[0]
    return errors[0]


def _args(template: tuple, files: dict[str, Path]) -> list[str]:
    return [str(files[a[1:-1]]) if a.startswith("{") else a for a in template]


# (case, arguments with {file} placeholders, what the error line says)
BEFORE_LOAD = [
    ("seed 2**63", ("generate", "T2A", "rain", *DEBUG, "--seed", str(2**63)), "--seed"),
    ("seed negative", ("generate", "T2A", "rain", *DEBUG, "--seed", "-1"), "--seed"),
    ("sampler foo", ("generate", "T2A", "rain", *DEBUG, "--sampler", "foo"), "unknown sampler 'foo'"),
    ("device tpu", ("generate", "T2A", "rain", *DEBUG, "--device", "tpu"), "unknown device 'tpu'"),
    ("steps 0", ("generate", "T2A", "rain", *DEBUG, "--steps", "0"), "--steps"),
    ("steps 10**9", ("generate", "T2A", "rain", *DEBUG, "--steps", str(10**9)), "--steps"),
    ("cfg -5", ("generate", "T2A", "rain", *DEBUG, "--cfg", "-5"), "--cfg"),
    ("cfg nan", ("generate", "T2A", "rain", *DEBUG, "--cfg", "nan"), "cfg"),
    ("duration 0", ("generate", "T2A", "rain", *DEBUG, "--duration", "0"), "positive number of seconds"),
    ("duration nan", ("generate", "T2A", "rain", *DEBUG, "--duration", "nan"), "finite"),
    ("empty prompt", ("generate", "T2A", "", *DEBUG), "empty"),
    ("unknown task", ("generate", "Dance", "x", *DEBUG), "unknown task"),
    ("edit op as task", ("generate", "Add", "x", *DEBUG), "edit operation"),
    # one command-line argument holds at most 128 kB on Linux; the API test sends a million characters
    ("100,000-character prompt", ("generate", "T2A", "rain " * 20_000, *DEBUG), "characters long"),
    ("voice on T2A", ("generate", "T2A", "rain", "--voice", "{ok}", *DEBUG), "only used by TTS"),
    ("voice text without voice", ("generate", "TTS", "hello", "--voice-text", "hi", *DEBUG), "needs the voice"),
    ("V2A without features", ("generate", "V2A", "", *DEBUG), "needs sync features"),
    ("sync features on T2A", ("generate", "T2A", "rain", "--sync-features", "{sync_bad}", *DEBUG),
     "only used by V2A"),
    ("output in /proc", ("generate", "T2A", "rain", *DEBUG, "-o", "/proc/x.wav"), "cannot write"),
    ("output on read-only /sys", ("generate", "T2A", "rain", *DEBUG, "-o", "/sys/x.wav"), "cannot write"),
    ("output is a pipe", ("generate", "T2A", "rain", *DEBUG, "-o", "{fifo}"), "not a regular file"),
    ("output is a folder", ("generate", "T2A", "rain", *DEBUG, "-o", "{folder}"), "is a folder"),
    ("output format mp3", ("generate", "T2A", "rain", *DEBUG, "-o", "x.mp3"), "unsupported output format"),
    ("output over the input", ("edit", "{ok}", "Add rain", *DEBUG, "-o", "{ok}"), "would overwrite the input"),
    ("WAV cut mid-data", ("edit", "{cut}", "Add rain", *DEBUG), "truncated"),
    ("WAV cut at an odd byte", ("edit", "{odd}", "Add rain", *DEBUG), "truncated"),
    ("1-sample file", ("edit", "{one_sample}", "Add rain", *DEBUG), "shorter than the 0.1 s minimum"),
    ("missing file", ("edit", "/no/such.wav", "Add rain", *DEBUG), "not found"),
    ("empty file", ("edit", "{empty}", "Add rain", *DEBUG), "empty"),
    ("corrupt file", ("edit", "{corrupt}", "Add rain", *DEBUG), "corrupt"),
    ("folder as input", ("edit", "{folder}", "Add rain", *DEBUG), "is a directory"),
    ("pipe as input", ("edit", "{fifo}", "Add rain", *DEBUG), "not a regular file"),
    ("500 Hz file", ("edit", "{low_rate}", "Add rain", *DEBUG), "sample rate 500 Hz"),
    ("instruction and --op", ("edit", "{ok}", "Add rain", "--op", "Add", "--desc", "rain", *DEBUG), "not both"),
    ("--target on Remove", ("edit", "{ok}", "--op", "Remove", "--desc", "rain", "--target", "dog", *DEBUG),
     "only used by Style Transfer"),
    ("--desc without --op", ("edit", "{ok}", "--desc", "rain", *DEBUG), "give --op"),
    ("no instruction", ("edit", "{ok}", *DEBUG), "INSTRUCTION"),
    ("letterless instruction", ("edit", "{ok}", "!!! ???", *DEBUG), "no words"),
    ("understand empty question", ("understand", " ", *DEBUG), "question is empty"),
    ("info of nothing", ("info", "nothing-here"), "neither a checkpoint directory"),
    ("--config not found", ("generate", "T2A", "rain", *DEBUG, "--config", "/no/config.json"), "config not found"),
    ("convert-official into its own folder", ("convert-official", "{ok}", "{root}"), "would replace the checkpoint"),
    ("convert-official of nothing", ("convert-official", "/no/model.ckpt", "out"), "checkpoint not found"),
    ("data build --out a file", ("data", "build", "--out", "{existing_file}", "--pairs", "2"), "not a folder"),
    ("data build --out read-only", ("data", "build", "--out", "/sys/pairs", "--pairs", "2"), "cannot write"),
    ("data build empty catalogue",
     ("data", "build", "--out", "pairs", "--pairs", "2", "--catalog", "{empty_catalog}"), "holds no clips"),
    ("eval --out a file", ("eval", "identity", "--out", "{existing_file}"), "not a folder"),
    ("eval --limit 0", ("eval", "identity", "--limit", "0"), "--limit"),
    ("eval --limit -1", ("eval", "identity", "--limit", "-1"), "--limit"),
    ("unknown command", ("frobnicate",), "No such command"),
]


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in BEFORE_LOAD], ids=[c[0] for c in BEFORE_LOAD])
def test_refused_before_any_model_loads(args, message, files, tmp_path):
    out = run(_args(args, files), cwd=tmp_path)
    assert_one_error_line(out, message)
    assert "loading" not in out.stderr  # no model was loaded to find this out
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written where the command ran


def test_device_cuda_on_a_cpu_only_torch(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the case needs a CPU-only torch")
    out = run(["generate", "T2A", "rain", *DEBUG, "--device", "cuda"], cwd=tmp_path)
    assert_one_error_line(out, "not available here")


def test_train_resume_latest_without_a_checkpoint(tmp_path):
    out = run(["train", train_config(tmp_path), "--resume", "latest"], cwd=tmp_path)
    assert_one_error_line(out, "no checkpoint under")
    assert not (tmp_path / "run").exists()  # no fresh 200,000-step run was started


AFTER_LOAD = [
    ("V2A features of the wrong shape", ("generate", "V2A", "", "--sync-features", "{sync_bad}", "--steps", "1",
                                         *DEBUG), "sync features must be [240, 768], got [10, 5]"),
    ("duration 1e-9", ("generate", "T2A", "rain", *DEBUG, "--duration", "1e-9"), "shorter than one latent frame"),
    ("an hour-long source", ("edit", "{hour}", "Add rain", *DEBUG), "longer than"),
    ("NaN samples", ("edit", "{nan}", "Add rain", *DEBUG), "NaN"),
]


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in AFTER_LOAD], ids=[c[0] for c in AFTER_LOAD])
def test_refused_once_the_model_says_what_fits(args, message, files, tmp_path):
    assert_one_error_line(run(_args(args, files), cwd=tmp_path), message)


def _small_file_limit() -> None:
    # Writes past 16 kB fail (EFBIG) the way a full disk fails (ENOSPC); the output of 1 s is 64 kB.
    resource.setrlimit(resource.RLIMIT_FSIZE, (16_000, 16_000))


def test_full_disk_after_sampling_says_what_was_lost_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.wav"
    target.write_bytes(b"the previous take")
    out = run(["generate", "T2A", "rain", *DEBUG, "--steps", "1", "--seed", "5", "-o", target], cwd=tmp_path,
              preexec_fn=_small_file_limit)  # fmt: skip
    line = assert_one_error_line(out, "made but not saved")
    assert "File too large" in line and "--seed 5" in line
    assert target.read_bytes() == b"the previous take"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]  # no temp file left


def test_info_of_the_default_and_of_a_small_checkpoint(tmp_path):
    for args in ([], ["audio-omni-small"], [small_checkpoint(tmp_path / "ckpt")]):
        out = run(["info", *args], cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert "DiT          depth" in out.stdout and "codec" in out.stdout


def test_missing_weights_name_the_cli_flag(tmp_path):
    env = {**ENV, "AUDIO_OMNI_CACHE": str(tmp_path / "cache")}
    env.pop("AUDIO_OMNI_WEIGHTS", None)
    out = run(["generate", "T2A", "rain", "--model", "audio-omni"], cwd=tmp_path, env=env)
    assert_one_error_line(out, "--random-init")


def test_a_clipped_source_edits_with_a_one_line_warning_and_a_readable_output(files, tmp_path):
    target = tmp_path / "edited.wav"
    out = run(["edit", files["loud"], "--op", "Add", "--desc", "rain", *DEBUG, "--steps", "1", "-o", target],
              cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    warnings = [line for line in out.stderr.splitlines() if "clipped" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: "), out.stderr
    assert "warnings.warn" not in out.stderr and "io.py" not in out.stderr  # no source line of the warning
    assert sf.info(target).frames > 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not the 0600 of a bare temp file


def test_help_version_and_help_width(tmp_path):
    out = run(["--version"], cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.startswith("audio-omni ")
    out = run(["generate", "--help"], cwd=tmp_path)
    assert out.returncode == 0
    # not boxed and cut at 80 columns: a whole option help on one line
    assert "checkpoint directory, official .ckpt/.safetensors file, or preset" in out.stdout
    bare = run([], cwd=tmp_path)
    assert bare.returncode == 2 and "Commands:" in bare.stderr and "Traceback" not in bare.stderr


def test_printable_answer():
    from audio_omni.cli.generation import _printable

    assert _printable("ok\x00\x1b[31mred\nline\t") == "ok\ufffd\ufffd[31mred\nline\t"
