"""One resolver for where a model comes from: preset weights in order ($AUDIO_OMNI_WEIGHTS, the cache, the
package), our directories, official files, and clear errors."""

from __future__ import annotations

import pytest
import torch

from audio_omni.errors import CheckpointError
from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import save_pretrained
from audio_omni.models.locate import preset_weight_dirs, resolve_model, shipped_weights
from audio_omni.models.presets import preset_config


@pytest.fixture()
def weights_env(tmp_path, monkeypatch):
    """An empty $AUDIO_OMNI_WEIGHTS and cache, so nothing of the user's is found."""
    monkeypatch.setenv("AUDIO_OMNI_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("AUDIO_OMNI_CACHE", str(tmp_path / "cache"))
    return tmp_path


def _save(directory):
    torch.manual_seed(0)
    return save_pretrained(build_model(preset_config("debug")), directory)


def test_a_preset_without_weights_is_refused_unless_untrained(weights_env):
    if shipped_weights("debug") is not None:
        pytest.fail("the debug preset must not ship weights")
    with pytest.raises(CheckpointError, match="no trained weights for preset 'debug'.*random"):
        resolve_model("debug")
    found = resolve_model("debug", random_init=True)
    assert found.weights is None and found.format == "none" and found.config.name == "debug"


def test_preset_weights_are_found_in_order(weights_env):
    in_cache = _save(weights_env / "cache" / "models" / "debug")
    assert resolve_model("debug").weights.parent == in_cache
    in_env = _save(weights_env / "weights" / "debug")
    assert resolve_model("debug").weights.parent == in_env  # $AUDIO_OMNI_WEIGHTS comes first
    dirs = preset_weight_dirs("debug")
    assert dirs[:2] == [weights_env / "weights" / "debug", weights_env / "cache" / "models" / "debug"]


def test_directories_and_official_files(weights_env):
    ours = _save(weights_env / "ours")
    found = resolve_model(ours)
    assert found.format == "ours" and found.config.name == "debug"
    official = weights_env / "loose" / "model.ckpt"
    official.parent.mkdir()
    torch.save({"state_dict": {}}, official)
    found = resolve_model(official)  # no config beside it: the paper preset's
    assert found.format == "official" and found.config.name == "audio-omni"
    found = resolve_model(official, config=preset_config("debug"))
    assert found.config.name == "debug"
    (weights_env / "empty").mkdir()
    with pytest.raises(CheckpointError, match="holds no model.safetensors"):
        resolve_model(weights_env / "empty")
    with pytest.raises(CheckpointError, match="neither a checkpoint directory"):
        resolve_model("no-such-model")
