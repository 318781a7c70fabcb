"""One shard format, one owner: what data/shards.py writes, training and evaluation read back unchanged."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audio_omni.assets import debian_package
from audio_omni.data.mixer import ClipCache, ExactMix
from audio_omni.data.shards import (
    AUDIO_MEMBERS,
    META_MEMBER,
    ShardError,
    audio_member,
    dumps,
    encode_flac,
    read_shard,
    shard_name,
    write_shard,
)
from audio_omni.eval.suites import build_suite_from_shards
from audio_omni.training.data import index_shards

SR = 22050
MT = "usr/share/games/minetest/games/minetest_game/mods"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Two test shards from real recordings: Remove pairs (source, target, residual) and a TTS-like pair
    with a voice reference, written only through data/shards.py."""
    cache = ClipCache(SR)
    mt = debian_package("minetest-data")
    water = cache.load(mt / MT / "env_sounds/sounds/env_sounds_water.3.ogg")[: SR]
    fire = cache.load(mt / MT / "fire/sounds/fire_small.ogg")[: SR]
    mix = ExactMix({"bed": water, "fire": fire}, SR).level([["bed", "fire"]], -20.0, 0.89)
    audio = {"source": mix.mix(["bed", "fire"]), "target": mix.mix(["bed"]), "residual": mix.mix(["fire"])}
    root = tmp_path_factory.mktemp("shards")
    expected = {}
    shards = [("Remove", ("source", "target", "residual")), ("TTS", ("target", "voice"))]
    for number, (task, roles) in enumerate(shards):
        samples = []
        for i in range(2):
            key = f"s7-{number}{i:08d}"
            meta = {"id": key, "split": "test", "task": task, "language": "en", "domain": "sound", "held_out": False,
                    "instruction": "Remove the sound of 'a fire' from the input audio.", "transcript": "a fire",
                    "labels": {"target": "Fire", "present_before": [], "present_after": []}, "region": None,
                    "loudness": {"target": -20.123456}}  # fmt: skip
            members = {audio_member(r): encode_flac(audio["source" if r == "voice" else r], SR) for r in roles}
            members[META_MEMBER] = dumps(meta).encode("utf-8")
            samples.append((key, members))
            expected[key] = members
        write_shard(root / shard_name("test", number), samples)
    return root, expected


def test_training_reads_back_the_written_bytes_and_metadata(written):
    root, expected = written
    records = index_shards(root, "test")
    assert [r.key for r in records] == sorted(expected)
    for record in records:
        members = expected[record.key]
        assert record.meta == json.loads(members[META_MEMBER])
        assert record.meta["loudness"]["target"] == -20.1235  # the writer's canonical rounding
        for role in AUDIO_MEMBERS:
            assert record.has(role) == (audio_member(role) in members)
            if record.has(role):
                assert record.data(role) == members[audio_member(role)]
        wave, rate = record.audio("target")
        assert rate == SR and wave.shape == (1, SR)
    remove = next(r for r in records if r.meta["task"] == "Remove")
    source, _ = remove.audio("source")
    target, _ = remove.audio("target")
    residual, _ = remove.audio("residual")
    assert np.array_equal(source, target + residual)  # exact through the writer and the offset reader
    tts = next(r for r in records if r.meta["task"] == "TTS")
    with pytest.raises(ShardError, match="no source"):
        tts.audio("source")


def test_evaluation_reads_back_the_written_bytes_and_metadata(written, tmp_path):
    root, expected = written
    sequential = {key: members for n in range(2) for key, members in read_shard(root / shard_name("test", n))}
    assert sequential == expected
    suite = build_suite_from_shards(root, tmp_path / "suite", split="test", per_group=None)
    assert sorted(item.id for item in suite.items) == sorted(expected)
    for item in suite.items:
        members = expected[item.id]
        for role in ("source", "target", "voice"):
            rel = getattr(item, role)
            assert (rel is None) == (audio_member(role) not in members)
            if rel is not None:
                assert suite.path(rel).read_bytes() == members[audio_member(role)]
        meta = json.loads(members[META_MEMBER])
        assert item.operation == meta["task"] and item.instruction == meta["instruction"]
        assert item.labels["target"] == meta["labels"]["target"]


def test_member_names_are_the_format_s(written):
    root, _ = written
    names = {name for n in range(2) for _, members in read_shard(root / shard_name("test", n)) for name in members}
    names = sorted(names)
    assert names == ["json", "residual.flac", "source.flac", "target.flac", "voice.flac"]
    with pytest.raises(ShardError, match="unknown audio member"):
        audio_member("mixed")
