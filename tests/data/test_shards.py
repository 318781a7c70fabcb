"""Shards: exact 24-bit FLAC round trip, reproducible bytes, atomic writes, readable by webdataset."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audio_omni.assets import debian_package
from audio_omni.data.mixer import ClipCache, ExactMix, dequantise
from audio_omni.data.shards import ShardError, decode_flac, dumps, encode_flac, read_shard, shard_name, write_shard

SR = 22050
MT = "usr/share/games/minetest/games/minetest_game/mods"


@pytest.fixture(scope="module")
def triplet():
    cache = ClipCache(SR)
    mt = debian_package("minetest-data")
    water = cache.load(mt / MT / "env_sounds/sounds/env_sounds_water.3.ogg")[: 2 * SR]
    fire = cache.load(mt / MT / "fire/sounds/fire_small.ogg")[: 2 * SR]
    mix = ExactMix({"bed": water, "fire": fire}, SR).level([["bed", "fire"]], -20.0, 0.89)
    return mix.mix(["bed", "fire"]), mix.mix(["fire"]), mix.mix(["bed"])


def test_flac_round_trip_is_exact_with_zero_tolerance(triplet):
    """24-bit FLAC of integer stems: mixed == target + residual bit for bit, as integers and as float32."""
    mixed, target, residual = triplet
    decoded = {}
    for name, samples in (("mixed", mixed), ("target", target), ("residual", residual)):
        ints, sr = decode_flac(encode_flac(samples, SR), dtype="int32")
        floats, _ = decode_flac(encode_flac(samples, SR))
        assert sr == SR and np.array_equal(ints, samples)
        assert np.array_equal(floats, dequantise(samples))
        decoded[name] = floats
    assert np.array_equal(decoded["mixed"], decoded["target"] + decoded["residual"])  # tolerance 0


def test_encoding_is_reproducible_and_refuses_floats(triplet):
    mixed = triplet[0]
    assert encode_flac(mixed, SR) == encode_flac(mixed.copy(), SR)
    with pytest.raises(ShardError):
        encode_flac(mixed.astype(np.float32), SR)


def test_write_shard_is_atomic_reproducible_and_webdataset_readable(tmp_path, triplet):
    mixed, target, residual = triplet
    audio = {"source.flac": encode_flac(mixed, SR), "target.flac": encode_flac(target, SR),
             "residual.flac": encode_flac(residual, SR)}  # fmt: skip
    samples = [(f"s0-{i:09d}", {**audio, "json": dumps({"id": f"s0-{i:09d}", "x": 0.123456}).encode()})
               for i in range(3)]  # fmt: skip
    a = write_shard(tmp_path / "a" / shard_name("train", 0), samples)
    b = write_shard(tmp_path / "b" / shard_name("train", 0), samples)
    assert a.read_bytes() == b.read_bytes()
    assert a.name == "train-000000.tar" and not list(a.parent.glob(".*"))  # no temp file left behind
    read = list(read_shard(a))
    assert [k for k, _ in read] == [k for k, _ in samples]
    assert sorted(read[0][1]) == ["json", "residual.flac", "source.flac", "target.flac"]
    assert json.loads(read[0][1]["json"]) == {"id": "s0-000000000", "x": 0.1235}

    import webdataset as wds

    items = list(wds.WebDataset(str(a), shardshuffle=False))
    assert [it["__key__"] for it in items] == [k for k, _ in samples]
    assert items[1]["target.flac"] == samples[1][1]["target.flac"]


def test_bad_keys_and_damaged_shards(tmp_path):
    with pytest.raises(ShardError):
        write_shard(tmp_path / "x.tar", [("has.dot", {"json": b"{}"})])
    assert not list(tmp_path.iterdir())  # the failed write left nothing
    broken = tmp_path / "broken.tar"
    broken.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(ShardError):
        list(read_shard(broken))
