"""The official AudioEdit release layout: a tiny release made here from real recordings, read back exactly."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest
import soundfile as sf

from audio_omni.assets import debian_package
from audio_omni.data.audioedit import AudioEditError, AudioEditRelease, convert_release
from audio_omni.data.mixer import ClipCache
from audio_omni.data.shards import decode_flac

SR = 16000
MT = "usr/share/games/minetest/games/minetest_game/mods"


def _wav(wave: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, wave, SR, format="WAV", subtype="FLOAT")
    return buf.getvalue()


def _tar(path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """Three mixtures in the release layout (meta_total.jsonl + mixed/target/residual tars) and one transfer."""
    root = tmp_path_factory.mktemp("AudioEdit")
    cache = ClipCache(SR)
    mt = debian_package("minetest-data")
    water = cache.load(mt / MT / "env_sounds/sounds/env_sounds_water.3.ogg")[: 2 * SR]
    events = {
        "fire": cache.load(mt / MT / "fire/sounds/fire_small.ogg")[: 2 * SR],
        "door": np.pad(cache.load(mt / MT / "doors/sounds/doors_door_open.ogg"), (SR // 2, 0))[: 2 * SR],
        "glass": np.pad(cache.load(mt / MT / "default/sounds/default_break_glass.1.ogg"), (SR, 0))[: 2 * SR],
    }
    mixed, target, residual, lines, truth = {}, {}, {}, [], {}
    for i, (name, event) in enumerate(events.items()):
        event = np.pad(event, (0, 2 * SR - len(event))) * 0.4
        bed = water * 0.4
        mixed[f"mixed/{i:05d}.wav"] = _wav(bed + event)
        target[f"target/{i:05d}.wav"] = _wav(event)
        residual[f"residual/{i:05d}.wav"] = _wav(bed)
        lines.append({"id": f"ae{i}", "mixed_path": f"mixed/{i:05d}.wav", "target_path": f"target/{i:05d}.wav",
                      "residual_path": f"residual/{i:05d}.wav", "label": name})  # fmt: skip
        truth[name] = (bed + event, event, bed)
    lines.append({"id": "broken", "mixed_path": "mixed/99999.wav", "label": "nothing"})  # points at no member
    _tar(root / "mixed.tar", mixed)
    _tar(root / "target.tar", target)
    _tar(root / "residual.tar", residual)
    (root / "meta_total.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    _tar(root / "transfer.tar", {"transfer/src0.wav": _wav(events["fire"]), "transfer/tgt0.wav": _wav(events["door"])})
    (root / "meta_transfer.jsonl").write_text(json.dumps(
        {"source": "transfer/src0.wav", "target": "transfer/tgt0.wav", "source_label": "fire", "target_label": "door"}
    ) + "\n")  # fmt: skip
    return root, truth


def test_reader_yields_the_paper_operations_with_exact_audio(release):
    root, truth = release
    data = AudioEditRelease(root)
    examples = list(data.examples())
    assert [e.task for e in examples[:3]] == ["Add", "Remove", "Extract"]
    assert len(examples) == 3 * 3 + 1
    assert data.skipped == {"missing mixed, target, residual": 1, "not a JSON object": 1}
    fire = {e.task: e for e in examples if e.description == "fire"}
    assert fire["Add"].instruction == "Add the sound of 'fire' to the input audio."
    assert fire["Remove"].instruction == "Remove the sound of 'fire' from the input audio."
    assert fire["Extract"].instruction == "Extract the sound of 'fire' from the input audio."
    mixed, event, bed = truth["fire"]
    (add_src, _), (add_tgt, _) = fire["Add"].source_audio(), fire["Add"].target_audio()
    assert np.array_equal(add_src[0], bed) and np.array_equal(add_tgt[0], mixed)  # residual -> mixed
    assert np.array_equal(fire["Remove"].target_audio()[0][0], bed)  # mixed -> residual
    assert np.array_equal(fire["Extract"].target_audio()[0][0], event)  # mixed -> target
    transfer = examples[-1]
    assert transfer.task == "Style Transfer" and transfer.instruction == "Change the sound of 'fire' to 'door'."


def test_conversion_to_pair_shards_is_readable_by_training(release, tmp_path):
    root, _ = release
    n = convert_release(root, tmp_path / "converted", pairs_per_shard=4)
    assert n == 10
    manifest = [json.loads(x) for x in (tmp_path / "converted" / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 10 and {m["task"] for m in manifest} == {"Add", "Remove", "Extract", "Style Transfer"}
    from audio_omni.training.data import index_shards

    entries = index_shards(tmp_path / "converted", "train")
    assert len(entries) == 10
    wave, sr = decode_flac(entries[0].data("target"))
    assert sr == SR and len(wave) == 2 * SR


def test_not_a_release(tmp_path):
    with pytest.raises(AudioEditError, match="meta_total.jsonl"):
        AudioEditRelease(tmp_path)
    (tmp_path / "meta_total.jsonl").write_text("{}\n")
    with pytest.raises(AudioEditError, match="mixed.tar"):
        AudioEditRelease(tmp_path)


def test_reader_resolves_other_field_names_and_layouts(release, tmp_path):
    """A release written unlike the first: split tars, members in other folders, other field names, an ambiguous
    base name, and a transfer record with its own key names and instruction."""
    _, truth = release
    _, event, bed = truth["door"]
    _, glass, _ = truth["glass"]
    root = tmp_path / "AudioEdit"
    for role in ("mixed", "target", "residual", "transfer"):
        (root / role).mkdir(parents=True)
    _tar(root / "mixed" / "part-000.tar", {"./data/mix_a.wav": _wav(bed + event)})
    _tar(root / "mixed" / "part-001.tar", {"data/mix_b.wav": _wav(bed + glass), "one/dup.wav": _wav(bed),
                                           "two/dup.wav": _wav(event)})  # fmt: skip
    _tar(root / "target" / "part-000.tar", {"a.wav": _wav(event), "b.wav": _wav(glass)})
    _tar(root / "residual" / "part-000.tar", {"residual/a.wav": _wav(bed), "residual/b.wav": _wav(bed)})
    lines = [
        {"key": "first", "mixed_wav": "mix_a.wav", "target_audio": "target/a.wav", "residual_file": "a.wav",
         "caption": "door"},
        {"mixed_file": "data/mix_b.wav", "target_path": "b.wav", "residual": "residual/b.wav", "event": "glass"},
        {"mixed": "dup.wav", "target": "a.wav", "residual": "a.wav", "label": "ambiguous"},  # two dup.wav members
    ]
    (root / "meta_total.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    _tar(root / "transfer" / "part-000.tar", {"x/src.wav": _wav(event), "y/tgt.wav": _wav(glass)})
    (root / "meta_transfer.jsonl").write_text(json.dumps(
        {"name": "swap", "src": "src.wav", "tgt": "y/tgt.wav", "from": "door", "to": "glass",
         "instruction": "Turn the door into glass."}) + "\n")  # fmt: skip

    data = AudioEditRelease(root)
    examples = {e.id: e for e in data.examples()}
    assert sorted(examples) == ["first-add", "first-extract", "first-remove", "mix_b-add", "mix_b-extract",
                                "mix_b-remove", "swap-transfer"]  # fmt: skip
    assert data.skipped == {"missing mixed": 1}  # the ambiguous base name matches nothing
    door, glass_pair = examples["first-extract"], examples["mix_b-remove"]
    assert door.instruction == "Extract the sound of 'door' from the input audio."
    assert np.array_equal(door.source_audio()[0][0], bed + event) and np.array_equal(door.target_audio()[0][0], event)
    assert np.array_equal(examples["first-add"].source_audio()[0][0], bed)
    assert glass_pair.description == "glass" and np.array_equal(glass_pair.source_audio()[0][0], bed + glass)
    assert np.array_equal(glass_pair.target_audio()[0][0], bed)
    swap = examples["swap-transfer"]
    assert (swap.instruction, swap.description, swap.target_description) == ("Turn the door into glass.", "door",
                                                                             "glass")  # fmt: skip
    assert np.array_equal(swap.source_audio()[0][0], event) and np.array_equal(swap.target_audio()[0][0], glass)
