"""The source_tags frame condition: the frozen tagger's classes per latent frame, a warm start that grows the DiT's
input without changing what it computes, and pre-encoded tags that train exactly as online ones."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from audio_omni.audio.io import load_audio, prepare_audio
from audio_omni.errors import CheckpointError
from audio_omni.judges.yamnet import yamnet_class_names
from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import save_pretrained
from audio_omni.models.conditioners.source_tags import CLASSES, SourceTags, TagInput
from audio_omni.models.config import ModelConfig
from audio_omni.models.presets import preset_config
from audio_omni.training.config import parse_train_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
from pair_shards import write_pair_shards  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "audio_omni" / "examples" / "birds-and-cow.flac"


def _with_tags(config: ModelConfig) -> dict:
    data = config.to_dict()
    data["model"]["conditioning"]["configs"].append({"id": "source_tags", "type": "source_tags", "config": {}})
    data["model"]["diffusion"]["frame_cond_ids"].append("source_tags")
    data["model"]["diffusion"]["config"]["frame_cond_dim"] += CLASSES
    return data


def test_the_tags_say_where_a_class_sounds_in_the_source():
    """The shipped example: birds throughout, one cow moo in its second half (about 1.6-2.8 s)."""
    wave, rate = load_audio(EXAMPLE)
    source, _ = prepare_audio(wave, rate, 22050, channels=1, max_seconds=None, name="example")
    tags = SourceTags(22050, 256)
    frames = 400  # longer than the 3 s source (258 frames): the rest is absent
    out = tags([TagInput(wave=source[0]), None], "cpu", frames)
    assert out.shape == (2, CLASSES, frames)
    cow = out[0, yamnet_class_names().index("Cattle, bovinae")]
    moo, before = cow[170:230].mean(), cow[:100].mean()
    assert moo > 0.1 and moo > 10 * before, (moo, before)
    assert out[0, :, 258:].abs().max() == 0 and out[1].abs().max() == 0  # past the source; no source
    stored = tags.tags(source[0][: 258 * 256])  # what pre-encoding stores gives the same frames
    again = tags([TagInput(tags=stored)], "cpu", 258)
    assert torch.allclose(again[0], out[0, :, :258])


def test_a_warm_start_grows_the_input_and_computes_what_the_old_model_did(tmp_path):
    from audio_omni.training.trainer import build_training_model

    old_config = preset_config("debug-small")
    torch.manual_seed(0)
    old = build_model(old_config)
    for p in old.dit.parameters():  # a trained model, not the zero-initialised branches of a fresh one
        p.data.normal_(0, 0.05)
    save_pretrained(old, tmp_path / "old")
    (tmp_path / "tags.json").write_text(json.dumps(_with_tags(old_config)))
    spec = {"preset": "debug-small", "init_from": str(tmp_path / "old"), "config": str(tmp_path / "tags.json")}
    grown = build_training_model(parse_train_config({"model": spec, "data": {"shards": ["unused"]}}))
    project_in = grown.dit.transformer.project_in.weight
    width = old.dit.transformer.project_in.weight.shape[1]
    assert project_in.shape[1] == width + 2 * CLASSES  # patch size 2: two columns per channel
    assert torch.equal(project_in[:, :width], old.dit.transformer.project_in.weight)
    assert project_in[:, width:].abs().max() == 0
    frames = old_config.latent_length
    x, t = torch.randn(1, 80, frames), torch.tensor([0.6])
    frame = torch.randn(1, 81, frames)
    tags = torch.rand(1, CLASSES, frames)
    with torch.no_grad():
        before = old.dit(x, t, None, None, frame=frame)
        after = grown.dit(x, t, None, None, frame=torch.cat([frame, tags], dim=1))
    assert torch.allclose(before, after, atol=1e-5)
    # any other difference is still an error
    other = old_config.to_dict()
    other["model"]["diffusion"]["config"]["embed_dim"] = 64
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(CheckpointError):
        build_training_model(parse_train_config({"model": {**spec, "config": str(tmp_path / "other.json")},
                                                 "data": {"shards": ["unused"]}}))


def test_preencoded_tags_train_as_the_online_ones(tmp_path):
    from safetensors import safe_open

    from audio_omni.training.preencode import preencode
    from audio_omni.training.trainer import Trainer, _mix

    shards = write_pair_shards(tmp_path / "pairs", rate=22050)
    (tmp_path / "tags.json").write_text(json.dumps(_with_tags(preset_config("debug-small"))))
    base = {"model": {"config": str(tmp_path / "tags.json")}, "out_dir": str(tmp_path / "run"), "max_steps": 1,
            "batch_size": 2, "tensorboard": False, "checkpoint_every": 100}
    online = Trainer(parse_train_config({**base, "data": {"shards": [str(shards)]}}))
    encoded = preencode(online.model, [shards], tmp_path / "encoded", progress=False, half=True)
    with safe_open(str(next((encoded / "train").glob("part-*.safetensors"))), "pt") as f:
        stored = [f.get_tensor(k) for k in f.keys() if k.endswith("/source_tags")]  # noqa: SIM118
    assert len(stored) == 4 and all(t.shape[0] == CLASSES and t.dtype == torch.float16 for t in stored)
    offline = Trainer(parse_train_config({**base, "data": {"shards": [str(encoded)]}}))
    seed = _mix(0, 0, 0, 1)
    online_loss, offline_loss = online.wrapped(online._batch(0), seed), offline.wrapped(offline._batch(0), seed)
    assert torch.allclose(online_loss, offline_loss, rtol=2e-2), (online_loss, offline_loss)
