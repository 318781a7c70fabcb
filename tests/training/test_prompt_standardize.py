"""Prompt-feature standardization (the small presets): one dominant feature dimension must not hide the
instruction, the statistics come from the training prompts, and they travel with the weights."""

from __future__ import annotations

import json

import torch
import torch.nn.functional as F
from pair_shards import tiny_edit_model_config, write_pair_shards

from audio_omni.models.conditioners.mllm import MLLMConditioner, MLLMFeatures


def _prompt_pair(massive: float = 30_000.0):
    """Two prompts' features that differ only in the small dimensions, with one shared huge dimension (the
    shape of Gemma-3's residual stream)."""
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 6, 32, generator=gen) * 250
    a[:, 0] = b[:, 0] = massive
    return a, b


def _pooled(conditioner: MLLMConditioner, rows: torch.Tensor) -> torch.Tensor:
    """The conditioner's normalized input (before its projection), mean over the tokens."""
    torch.nn.init.eye_(conditioner.proj_features.weight)
    out = conditioner([MLLMFeatures(rows, torch.ones(len(rows), dtype=torch.bool))], "cpu")
    return out.tokens[0].mean(dim=0)


def test_standardized_prompts_stay_apart_where_the_raw_ones_look_alike():
    a, b = _prompt_pair()
    raw = MLLMConditioner(None, 32, 6, cond_dim=32, feature_dtype=torch.float32)
    assert F.cosine_similarity(_pooled(raw, a), _pooled(raw, b), dim=0) > 0.99  # the instruction is drowned
    std = MLLMConditioner(None, 32, 6, cond_dim=32, feature_dtype=torch.float32, standardize=True)
    assert not std.calibrated
    std.calibrate([a, b])
    assert std.calibrated
    assert F.cosine_similarity(_pooled(std, a), _pooled(std, b), dim=0) < 0.5
    torch.testing.assert_close(std.feature_mean, torch.cat([a, b]).mean(dim=0))


def test_padding_stays_inert_after_standardization():
    a, _ = _prompt_pair()
    std = MLLMConditioner(None, 32, 8, cond_dim=32, feature_dtype=torch.float32, standardize=True)
    std.calibrate([a])
    torch.nn.init.normal_(std.proj_features.weight)
    features = F.pad(a, (0, 0, 0, 2))
    out = std([MLLMFeatures(features, torch.arange(8) < 6)], "cpu")
    assert out.mask[0].tolist() == [True] * 6 + [False] * 2
    torch.testing.assert_close(out.tokens[0, 6:], std.proj_features.bias.expand(2, -1))


def test_a_fresh_training_run_measures_the_statistics_and_saves_them(tmp_path):
    from audio_omni.models.checkpoints import read_state_dict
    from audio_omni.training.config import parse_train_config
    from audio_omni.training.trainer import Trainer

    shards = write_pair_shards(tmp_path / "pairs", rate=22050, n=4, seconds=0.5)
    (tmp_path / "model.json").write_text(json.dumps(tiny_edit_model_config()))
    cfg = parse_train_config({
        "model": {"preset": None, "config": str(tmp_path / "model.json")}, "data": {"shards": [str(shards)]},
        "out_dir": str(tmp_path / "run"), "max_steps": 1, "batch_size": 2, "tensorboard": False,
    })
    trainer = Trainer(cfg)
    conditioner = trainer.model.conditioner.conditioners["omni_prompt"]
    assert conditioner.standardize and conditioner.calibrated
    # The statistics are those of the training prompts through the frozen MLLM, as the facade would encode them.
    prompts = [trainer.builder.batch([e]).items[0]["omni_prompt"].text for e in trainer.dataset.entries]
    features, mask = conditioner.fitted_features(prompts, "cpu")
    tokens = features[mask.bool()].float()
    torch.testing.assert_close(conditioner.feature_mean, tokens.mean(dim=0))
    torch.testing.assert_close(conditioner.feature_std, tokens.std(dim=0).clamp(min=1e-3))
    trainer.train()
    checkpoints = tmp_path / "run" / "checkpoints"
    saved = read_state_dict(checkpoints / (checkpoints / "latest").read_text().strip() / "ema.safetensors")
    torch.testing.assert_close(saved["conditioner.conditioners.omni_prompt.feature_mean"], conditioner.feature_mean)
