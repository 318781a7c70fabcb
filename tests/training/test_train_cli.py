"""`preencode`, `train` (with overrides, resume and bf16), `eval-suite` and `eval` through the main command line,
as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from pair_shards import write_pair_shards
from safetensors.torch import load_file

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audio_omni.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=900, env=ENV)


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> Path:
    return write_pair_shards(tmp_path_factory.mktemp("pairs"))


def _config(path: Path, shards: Path, **extra) -> Path:
    cfg = {"model": {"preset": "debug"}, "data": {"shards": [str(shards)]}, "out_dir": str(path.with_suffix("")),
           "max_steps": 2, "batch_size": 2, "checkpoint_every": 1, "tensorboard": False, **extra}
    path.write_text(json.dumps(cfg))
    return path


def test_preencode_then_train_resume_and_bf16(tmp_path, shards):
    out = cli("preencode", _config(tmp_path / "encode.json", shards), "--out", tmp_path / "encoded")
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "encoded" / "index.jsonl").is_file()
    config = _config(tmp_path / "run.json", shards, data={"shards": [str(tmp_path / "encoded")]})
    out = cli("train", config, "--set", "max_steps=1")  # the override stops it after one step
    assert out.returncode == 0, out.stderr[-2000:]
    run = tmp_path / "run"
    assert json.loads((run / "checkpoints" / "step-00000001" / "state.json").read_text())["step"] == 1
    out = cli("train", config, "--resume", "latest")  # the file's max_steps (2): one more step
    assert out.returncode == 0, out.stderr[-2000:]
    assert (run / "checkpoints" / "latest").read_text().strip() == "step-00000002"
    bf16_config = _config(tmp_path / "bf16.json", shards, data={"shards": [str(tmp_path / "encoded")]},
                          mixed_precision="bf16")
    out = cli("train", bf16_config)
    assert out.returncode == 0, out.stderr[-2000:]
    # bf16 autocast changes the arithmetic, not what is learned: both runs move the same weights the same way
    from audio_omni.models.checkpoints import persistent_state_dict
    from audio_omni.training.config import load_train_config
    from audio_omni.training.trainer import build_training_model

    start = persistent_state_dict(build_training_model(load_train_config(bf16_config)))  # the seeded init
    final = "checkpoints/step-00000002/model.safetensors"
    fp32, bf16 = load_file(str(run / final)), load_file(str(tmp_path / "bf16" / final))
    assert all(v.dtype == torch.float32 for v in bf16.values())  # fp32 master weights
    moved = [k for k in start if not torch.equal(fp32[k], start[k])]
    delta32 = torch.cat([(fp32[k] - start[k]).flatten() for k in moved])
    delta16 = torch.cat([(bf16[k] - start[k]).flatten() for k in moved])
    assert not torch.equal(delta16, delta32)
    assert torch.nn.functional.cosine_similarity(delta16, delta32, dim=0) > 0.9


def test_eval_suite_and_eval_through_the_command_line(tmp_path, shards):
    suite = tmp_path / "suite"
    out = cli("eval-suite", "--out", suite, "--shards", shards, "--split", "train", "--per-group", "1", "--no-verify",
              "--no-questions")
    assert out.returncode == 0, out.stderr[-2000:]
    items = [json.loads(line) for line in (suite / "manifest.jsonl").read_text().splitlines()]
    assert sorted(i["operation"] for i in items) == ["Extract", "Remove"]  # one per (operation, domain, language)
    out = cli("eval", "oracle", "--suite", suite, "--out", tmp_path / "report")
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert {r["id"] for r in report["records"]} == {i["id"] for i in items}
    assert all(r["status"] == "ok" for r in report["records"])
