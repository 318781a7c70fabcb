"""Training options, each shown to do what it says: gradient accumulation, gradient checkpointing, task weights,
fine-tuning from our checkpoint or an official file, and tensorboard scalars with audio samples."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from pair_shards import write_pair_shards
from safetensors.torch import load_file

from audio_omni.errors import ConfigError
from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import persistent_state_dict, read_state_dict, save_pretrained
from audio_omni.models.presets import preset_config
from audio_omni.training.config import parse_train_config
from audio_omni.training.data import PairDataset
from audio_omni.training.trainer import Trainer, build_training_model


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> Path:
    return write_pair_shards(tmp_path_factory.mktemp("pairs"))  # Remove, Extract, Remove, Extract


def _config(tmp: Path, shards: Path, **extra):
    cfg = {"model": {"preset": "debug"}, "data": {"shards": [str(shards)]}, "out_dir": str(tmp / "run"),
           "max_steps": 1, "batch_size": 2, "checkpoint_every": 100, "tensorboard": False, **extra}
    return parse_train_config(cfg)


def _gradients_at_each_step(trainer: Trainer) -> list[dict[str, torch.Tensor]]:
    """The gradients the optimiser receives (after accumulation and clipping), step by step."""
    seen = []
    names = {id(p): n for n, p in trainer.model.named_parameters()}
    trainer.optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append(
        {names[id(p)]: p.grad.detach().clone() for g in opt.param_groups for p in g["params"] if p.grad is not None}))
    trainer.train()
    return seen


def test_gradient_accumulation_averages_the_micro_batches(tmp_path, shards):
    from audio_omni.training.data import _mix

    options = {"batch_size": 1, "grad_accum": 2, "optim": {"grad_clip": None}}
    accumulated = _gradients_at_each_step(Trainer(_config(tmp_path / "a", shards, **options)))[0]
    reference = Trainer(_config(tmp_path / "b", shards, **options))
    for micro in range(2):  # the same two micro-batches and seeds, each loss halved, gradients summed
        loss = reference.wrapped(reference._batch(micro), _mix(0, micro, 0, 1)) / 2
        loss.backward()
    expected = {n: p.grad for n, p in reference.model.named_parameters() if p.grad is not None}
    assert accumulated.keys() == expected.keys() and len(expected) > 10
    for name, grad in expected.items():
        torch.testing.assert_close(accumulated[name], grad, rtol=1e-5, atol=1e-7, msg=name)
    one_micro_batch = Trainer(_config(tmp_path / "c", shards, batch_size=1, optim={"grad_clip": None}))
    single = _gradients_at_each_step(one_micro_batch)[0]
    assert any(not torch.allclose(single[n], accumulated[n]) for n in single)  # two micro-batches, not one


def test_gradient_checkpointing_recomputes_blocks_and_changes_nothing(tmp_path, shards):
    results = {}
    for on in (False, True):
        trainer = Trainer(_config(tmp_path / str(on), shards, max_steps=2, gradient_checkpointing=on))
        calls = []  # runs of the first block's first layer: once per step, twice when checkpointed
        first = next(trainer.model.model.model.transformer.layers[0].children())
        first.register_forward_pre_hook(lambda *a, c=calls: c.append(1))
        grads = _gradients_at_each_step(trainer)
        results[on] = (len(calls), grads, persistent_state_dict(trainer.model))
    (plain_calls, plain_grads, plain), (ckpt_calls, ckpt_grads, ckpt) = results[False], results[True]
    assert (plain_calls, ckpt_calls) == (2, 4)  # each block runs again in the backward pass
    for step in range(2):
        for name, grad in plain_grads[step].items():
            torch.testing.assert_close(ckpt_grads[step][name], grad, rtol=1e-5, atol=1e-7, msg=name)
    assert all(torch.allclose(plain[k], ckpt[k], rtol=1e-5, atol=1e-7) for k in plain)


def test_task_weights_steer_the_draw(shards):
    tasks = [e.meta["task"] for e in PairDataset([shards]).entries]
    assert tasks == ["Remove", "Extract", "Remove", "Extract"]
    only_remove = PairDataset([shards], task_weights={"Extract": 0.0})
    assert {tasks[i] for i in only_remove.draw(500, seed=0, step=0, rank=0)} == {"Remove"}
    three_to_one = PairDataset([shards], task_weights={"Remove": 3.0})
    draws = three_to_one.draw(20_000, seed=0, step=0, rank=0)
    share = sum(tasks[i] == "Remove" for i in draws) / len(draws)
    assert share == pytest.approx(0.75, abs=0.015)  # 6 of 8 weight units; 5 standard deviations
    with pytest.raises(ConfigError, match="no trainable pair"):
        PairDataset([shards], task_weights={"Remove": 0.0, "Extract": 0.0})


def test_init_from_our_checkpoint(tmp_path, shards):
    torch.manual_seed(123)
    start = save_pretrained(build_model(preset_config("debug")), tmp_path / "start")
    model = build_training_model(_config(tmp_path, shards, model={"preset": None, "init_from": str(start)}))
    saved = read_state_dict(start / "model.safetensors")
    ours = persistent_state_dict(model)
    assert ours.keys() == saved.keys() and all(torch.equal(ours[k], saved[k]) for k in saved)
    fresh = persistent_state_dict(build_training_model(_config(tmp_path, shards)))
    assert any(not torch.equal(fresh[k], saved[k]) for k in saved)  # not what a fresh init gives


def test_init_from_an_official_file(official_tiny, tmp_path, shards):
    tiny = official_tiny
    spec = {"preset": None, "config": str(tiny / "config.json"), "init_from": str(tiny / "model.ckpt"),
            "vocab_file": str(tiny / "vocab.txt"), "mllm_path": str(tiny / "qwen-tiny")}
    model = build_training_model(_config(tmp_path, shards, model=spec))
    official = load_file(str(official_tiny / "model.safetensors"))
    ours = persistent_state_dict(model)
    assert len(ours) == len(official) == 346
    assert all(torch.equal(ours[k], official[k].to(ours[k].dtype)) for k in official)


def test_tensorboard_logs_scalars_and_audio_samples(tmp_path, shards):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    config = _config(tmp_path, shards, max_steps=2, tensorboard=True, log_every=1, sample_every=2, sample_steps=2)
    Trainer(config).train()
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard"), size_guidance={"audio": 0, "images": 0})
    events.Reload()
    tags = events.Tags()
    assert {"train/loss", "train/lr", "train/grad_norm", "train/steps_per_s"} <= set(tags["scalars"])
    assert [e.step for e in events.Scalars("train/loss")] == [1, 2]
    assert set(tags["audio"]) == {"sample/output", "sample/target"} and tags["images"] == ["sample/spectrograms"]
    output, target = events.Audio("sample/output"), events.Audio("sample/target")
    assert [e.step for e in output] == [2] and output[0].sample_rate == target[0].sample_rate == 16000
    assert output[0].length_frames == target[0].length_frames > 0


def test_the_shipped_training_configs_parse_with_the_campaign_overrides(tmp_path):
    import subprocess

    from audio_omni.training.config import load_train_config

    configs = Path(__file__).resolve().parents[2] / "configs"
    for name in ("train-small.yaml", "train-paper.yaml"):
        assert load_train_config(configs / name).model.preset
    # what scripts/campaign/campaign.sh passes: the run folder, the encoded chunks, the held-out set
    cfg = load_train_config(configs / "campaign-small.yaml", [
        f"out_dir={tmp_path}/runs/small", f"data.shards=[{tmp_path}/enc/chunk-0,{tmp_path}/enc/chunk-1]",
        f"valid.shards=[{tmp_path}/enc/valid-set]"])
    assert cfg.data.shards == [f"{tmp_path}/enc/chunk-0", f"{tmp_path}/enc/chunk-1"]
    assert cfg.valid.shards == [f"{tmp_path}/enc/valid-set"] and cfg.model.init_from == "audio-omni-small"
    script = configs.parent / "scripts" / "campaign" / "campaign.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    usage = subprocess.run(["bash", str(script)], capture_output=True, text=True, env={"HOME": str(tmp_path)})
    assert usage.returncode == 2 and "usage" in usage.stderr
