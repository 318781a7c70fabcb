"""The paper-size model builds (on the meta device, no memory) with exactly the official names and shapes."""

from __future__ import annotations

import csv

import torch

from audio_omni.models.builders import build_model
from audio_omni.models.presets import preset_config


def _official_rows(official_tiny):
    with open(official_tiny / "official-keys-full.tsv", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_full_size_keys_and_shapes_match_the_official_release(official_tiny):
    with torch.device("meta"):
        model = build_model(preset_config("audio-omni"), load_mllm=False)
    ours = model.state_dict()
    rows = _official_rows(official_tiny)
    official = {r["key"]: r for r in rows}
    missing = sorted(set(official) - set(ours))
    unexpected = sorted(set(ours) - set(official))
    assert not missing and not unexpected, f"missing {missing[:5]} unexpected {unexpected[:5]}"
    for key, row in official.items():
        shape = [int(s) for s in row["shape"].split("x")] if row["shape"] else []
        assert list(ours[key].shape) == shape, f"{key}: {list(ours[key].shape)} != {shape}"
        assert str(ours[key].dtype).removeprefix("torch.") == row["dtype"], key
    # Parameters vs buffers as in the official module tree.
    buffers = {name for name, _ in model.named_buffers()}
    for key, row in official.items():
        assert (key in buffers) == (row["kind"] == "buffer"), key
    # The README's DiT total (3,037,532,304) counts the DiT's tensors, buffers included.
    dit_total = sum(v.numel() for k, v in ours.items() if k.startswith("model.model."))
    assert dit_total == sum(int(r["numel"]) for r in rows if r["component"] == "model") == 3_037_532_304
