"""The default model's weights ship inside the package: found with no model named, loaded strictly, and the exact
file that was evaluated (its digest). No smoke edit yet: the shipped checkpoint does not edit reliably (see
docs/models/audio-omni-small.md), and a direction check it passes by chance would prove nothing."""

from __future__ import annotations

import hashlib

import pytest

from audio_omni.models.checkpoints import WEIGHTS_NAME
from audio_omni.models.locate import DEFAULT_MODEL, preset_weight_dirs, resolve_model, shipped_weights

# Printed by scripts/ship_weights.py; docs/models/audio-omni-small.md gives the evaluation of this file.
SHIPPED_SHA256 = "522bde8aa791480991ed119689a47bc254b1c629bd7f528c947d89e14c25c769"

@pytest.fixture(scope="module")
def default_model():
    from audio_omni import AudioOmni

    directory = shipped_weights(DEFAULT_MODEL)
    assert directory is not None, f"no weights shipped for {DEFAULT_MODEL} under audio_omni/weights/"
    return directory, AudioOmni.from_pretrained(directory)  # strict: a missing or stray key raises


def test_the_default_model_ships_and_loads_strictly(default_model, tmp_path, monkeypatch):
    directory, model = default_model
    digest = hashlib.sha256((directory / WEIGHTS_NAME).read_bytes()).hexdigest()
    assert digest == SHIPPED_SHA256, "the shipped weights are not the evaluated file (run scripts/ship_weights.py)"
    assert model.model.config.name == DEFAULT_MODEL
    # With nothing of the user's in reach, the default model is the shipped one.
    monkeypatch.setenv("AUDIO_OMNI_WEIGHTS", str(tmp_path))
    in_cache = [d for d in preset_weight_dirs(DEFAULT_MODEL)[:-1] if (d / WEIGHTS_NAME).is_file()]
    if not in_cache:  # a fresh machine (CI); a user's own trained weights come first by design
        assert resolve_model(DEFAULT_MODEL).weights == directory / WEIGHTS_NAME
