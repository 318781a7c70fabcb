"""Held-out validation during training: it scores the EMA weights on fixed pairs, logs what an edit decides at
t = 1 beside copying the source, and leaves the training itself untouched."""

from __future__ import annotations

import json

import pytest
import torch
from pair_shards import tiny_edit_model_config, write_pair_shards

from audio_omni.training.config import parse_train_config
from audio_omni.training.trainer import Trainer


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    directory = tmp_path_factory.mktemp("valid")
    shards = write_pair_shards(directory / "pairs", rate=22050, n=2, seconds=0.5)
    (directory / "model.json").write_text(json.dumps(tiny_edit_model_config()))
    return directory, shards


def _trainer(directory, shards, name, valid: bool, steps: int = 30) -> Trainer:
    cfg = {
        "model": {"preset": None, "config": str(directory / "model.json")}, "data": {"shards": [str(shards)]},
        "out_dir": str(directory / name), "max_steps": steps, "batch_size": 2, "checkpoint_every": 10_000,
        "tensorboard": valid, "cfg_dropout": 0.0, "timesteps": "uniform", "ema_decay": 0.9,
        "optim": {"lr": 3e-3, "schedule": "constant", "warmup_steps": 5, "weight_decay": 0.0},
    }
    if valid:  # the training pairs themselves: a model that learns them must score better on them
        cfg["valid"] = {"shards": [str(shards)], "split": "train", "every": steps}
    return Trainer(parse_train_config(cfg))


def test_validation_scores_edits_against_copying_and_changes_no_training_step(tiny):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    directory, shards = tiny
    scored = _trainer(directory, shards, "scored", valid=True)
    scored.train()
    records = [json.loads(line) for line in (directory / "scored" / "valid.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [0, 30]
    first, last = records
    assert set(first["edit_t1"]) == {"Remove", "Extract"}
    assert first["copy"] == last["copy"]  # the same pairs every time
    assert first["edit_t1"] == pytest.approx(first["copy"])  # a fresh data-residual model returns its source
    # Trained on these two pairs, the edits decided at t = 1 move well towards their targets.
    assert last["edit_t1_mean"] < 0.7 * first["edit_t1_mean"]
    assert all(v > 0 for v in last["edit_t1"].values()) and last["loss"] > 0
    events = EventAccumulator(str(directory / "scored" / "tensorboard"))
    events.Reload()
    assert {"valid/loss", "valid/edit_t1", "valid/edit_t1/Remove"} <= set(events.Tags()["scalars"])

    # Scoring swaps the EMA weights in and out and draws from its own generators: the run is bit-identical.
    plain = _trainer(directory, shards, "plain", valid=False)
    plain.train()
    for (name, a), b in zip(scored.model.named_parameters(), plain.model.parameters(), strict=True):
        assert torch.equal(a, b), name
    for a, b in zip(scored.ema.shadow_params, plain.ema.shadow_params, strict=True):
        assert torch.equal(a, b)
