"""Our Synchformer encoder is the original: every tensor the synchformer-tiny fixture recorded is reproduced
within its README's tolerance (3e-5 absolute for a float32 implementation), and the full-size model has exactly
the original checkpoint's keys and shapes."""

from __future__ import annotations

import csv
import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from audio_omni.errors import CheckpointError, VideoInputError
from audio_omni.models.video.synchformer import (
    STATE_DICT_PREFIX,
    SyncFeatureEncoder,
    SynchformerConfig,
    load_synchformer,
)
from audio_omni.video.resize import to_unit_range

TOLERANCE = 3e-5


@pytest.fixture(scope="module")
def cases(synchformer_tiny):
    return load_file(str(synchformer_tiny / "cases.safetensors"))


@pytest.fixture(scope="module")
def encoder(synchformer_tiny):
    heads = json.loads((synchformer_tiny / "config.json").read_text())["tiny"]["derived"]["num_heads"]
    return load_synchformer(synchformer_tiny / "model.safetensors", num_heads=heads)


def assert_close(ours: torch.Tensor, ref: torch.Tensor, name: str) -> None:
    assert ours.shape == ref.shape, f"{name}: {list(ours.shape)} != {list(ref.shape)}"
    err = (ours - ref).abs().max().item()
    assert err <= TOLERANCE, f"{name}: max abs error {err:.3g} > {TOLERANCE}"


def test_one_segment_and_every_intermediate(encoder, cases):
    segment = to_unit_range(cases["mmaudio.frames_u8"][0:16])[None, None]  # [1, 1, 16, 3, 224, 224]
    with torch.inference_mode():
        patches = encoder.patch_embed_3d(segment.flatten(0, 1))
        assert_close(patches, cases["tiny.seg1.patch_embed"], "patch_embed")
        tokens = encoder.tokens(patches)
        assert_close(tokens, cases["tiny.seg1.tokens_in"], "tokens_in")
        block = encoder.blocks[0]
        time_out = block.timeattn(block.norm3(tokens))
        assert_close(time_out, cases["tiny.seg1.block0_time_attn"], "block0_time_attn")
        space_out = block.attn(block.norm1(tokens + time_out))
        assert_close(space_out, cases["tiny.seg1.block0_space_attn"], "block0_space_attn")
        x = block(tokens)
        assert_close(x, cases["tiny.seg1.block0_out"], "block0_out")
        for later in encoder.blocks[1:]:
            x = later(x)
        assert_close(x, cases["tiny.seg1.blocks_out"], "blocks_out")
        assert_close(encoder.norm(x[:, 1:]), cases["tiny.seg1.norm_out"], "norm_out")
        assert_close(encoder(segment), cases["tiny.seg1.output"], "output")


def test_direct_call_with_batch_and_segments(encoder, cases):
    frames = to_unit_range(cases["mmaudio.frames_u8"])
    starts = cases["tiny.batch2x2.start_frame"]
    x = torch.stack([torch.stack([frames[s : s + 16] for s in row]) for row in starts.tolist()])
    with torch.inference_mode():
        assert_close(encoder(x), cases["tiny.batch2x2.output"], "batch2x2")


@pytest.mark.parametrize("segments_per_call", [1, 4])
def test_mmaudio_clip_gives_72_tokens(encoder, cases, segments_per_call):
    features = encoder.features(cases["mmaudio.frames_u8"][None], segments_per_call=segments_per_call)
    assert_close(features, cases["tiny.mmaudio.features"], "mmaudio.features")  # 80 frames -> 9 segments


def test_audio_omni_clip_gives_240_tokens(encoder, cases):
    frames = cases["audioomni.frames_u8"][cases["audioomni.pad_index"]][None]  # 250 frames, last one repeated
    features = encoder.features(frames)
    assert_close(features, cases["tiny.audioomni.features"], "audioomni.features")
    # Segments 6..29 see only copies of the last frame: 24 equal groups of 8 (up to float batching order).
    tail = features[0, 48:].reshape(24, 8, -1)
    assert_close(tail, tail[:1].expand_as(tail), "repeated segments")


def test_float_frames_equal_uint8_frames(encoder, cases):
    frames = cases["mmaudio.frames_u8"][None, :24]
    assert torch.equal(encoder.features(frames), encoder.features(to_unit_range(frames)))


def test_fewer_than_16_frames_is_a_clear_error(encoder, cases):
    with pytest.raises(VideoInputError, match="at least 16 frames"):
        encoder.features(cases["mmaudio.frames_u8"][None, :15])


def test_full_size_layout_matches_the_original_key_list(synchformer_tiny):
    with open(synchformer_tiny / "full-keys.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    with torch.device("meta"):
        full = SyncFeatureEncoder(SynchformerConfig())
    ours = {STATE_DICT_PREFIX + k: list(v.shape) for k, v in full.state_dict().items()}
    assert ours == {row["key"]: json.loads(row["shape"]) for row in rows}
    assert len(ours) == 238
    assert sum(p.numel() for p in full.parameters()) == 122_440_704


def test_loader_reads_the_original_pth_and_ignores_the_audio_half(tmp_path, synchformer_tiny, encoder):
    state = load_file(str(synchformer_tiny / "model.safetensors"))
    state["afeat_extractor.something.weight"] = torch.zeros(3)  # the audio half of a real Synchformer file
    torch.save(state, tmp_path / "synchformer_state_dict.pth")
    loaded = load_synchformer(tmp_path / "synchformer_state_dict.pth", num_heads=2)
    ours, reference = loaded.state_dict(), encoder.state_dict()
    assert ours.keys() == reference.keys() and all(torch.equal(ours[k], reference[k]) for k in ours)
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop(STATE_DICT_PREFIX + "temp_embed"), "missing: temp_embed"),
        (lambda s: s.update({STATE_DICT_PREFIX + "head.weight": torch.zeros(2)}), "unexpected: head.weight"),
        (lambda s: s.update({STATE_DICT_PREFIX + "norm.weight": torch.zeros(65)}), "wrong shape: norm.weight"),
        (lambda s: [s.pop(k) for k in list(s)], "not a Synchformer checkpoint"),
    ],
    ids=["missing", "unexpected", "wrong-shape", "no-vfeat-keys"],
)
def test_loader_is_strict(tmp_path, synchformer_tiny, change, message):
    state = load_file(str(synchformer_tiny / "model.safetensors"))
    change(state)
    state.setdefault("other.tensor", torch.zeros(1))
    save_file(state, tmp_path / "bad.safetensors")
    with pytest.raises(CheckpointError, match=message):
        load_synchformer(tmp_path / "bad.safetensors", num_heads=2)


def test_missing_or_unreadable_weights(tmp_path):
    with pytest.raises(CheckpointError, match="never downloaded"):
        load_synchformer(tmp_path / "synchformer_state_dict.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read Synchformer weights"):
        load_synchformer(tmp_path / "junk.pth")
