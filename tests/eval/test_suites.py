"""Suite format: reading (with skips), and the builder from pair shards written here in the team format."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_omni.audio.io import load_audio
from audio_omni.eval.suites import SuiteError, build_suite_from_shards, read_suite

RATE = 16000


def _speech(n: int, seconds: float = 1.0) -> list[np.ndarray]:
    from audio_omni.assets import debian_package

    clips = []
    for path in sorted(debian_package("asterisk-core-sounds-en-wav").rglob("*.wav")):
        wave, _ = load_audio(path, sample_rate=RATE, channels=1)
        x = wave[0, : int(seconds * RATE)].numpy()
        if len(x) == int(seconds * RATE) and np.abs(x).max() > 0.05:
            clips.append(0.4 * x / np.abs(x).max())
        if len(clips) == n:
            return clips
    raise AssertionError("not enough real speech clips")


def _flac(wave: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, wave.astype(np.float32), RATE, format="FLAC", subtype="PCM_24")
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def write_test_shards(root: Path) -> Path:
    """Team-format test shards: Remove / Extract / TTS pairs from real speech, plus one corrupt sample."""
    clips = _speech(6)
    (root / "test").mkdir(parents=True)
    manifest = []
    tasks = ["Remove", "Extract", "Remove", "TTS", "Remove"]
    with tarfile.open(root / "test" / "test-000000.tar", "w") as tar:
        for i, task in enumerate(tasks):
            key = f"pair{i:04d}"
            a, b = clips[i], clips[i + 1] * 0.5
            meta = {
                "id": key, "split": "test", "task": task, "language": "en" if i < 4 else "de",
                "template_id": "paper", "held_out": False, "domain": "speech", "description": "a second voice",
                "target_description": None, "region": None, "sample_rate": RATE, "duration": 1.0,
                "labels": {"target": "Speech", "present_before": ["Speech"], "present_after": ["Speech"]},
                "source_clip_ids": [f"c{i}", f"c{i + 1}"],
                "instruction": f"{task} the sound of 'a second voice' from the input audio.",
            }
            if task == "TTS":
                meta.update(instruction="hello world", transcript="hello world", labels={"target": None,
                            "present_before": [], "present_after": []})
                _add(tar, f"{key}.voice.flac", _flac(b))
            else:
                _add(tar, f"{key}.source.flac", _flac(a + b))
                _add(tar, f"{key}.residual.flac", _flac(b if task == "Remove" else a))
            _add(tar, f"{key}.target.flac", _flac(a if task != "Extract" else b))
            _add(tar, f"{key}.json", json.dumps(meta).encode())
            manifest.append({**meta, "shard": "test/test-000000.tar"})
        _add(tar, "broken.json", json.dumps({**manifest[0], "id": "broken"}).encode())
        _add(tar, "broken.source.flac", b"not a flac file")
        _add(tar, "broken.target.flac", b"not a flac file")
    (root / "manifest.jsonl").write_text("\n".join(json.dumps(m) for m in manifest) + "\n")
    return root


def test_builder_converts_test_shards_and_skips_corrupt_samples(tmp_path):
    shards = write_test_shards(tmp_path / "shards")
    suite = build_suite_from_shards(shards, tmp_path / "suite", per_group=2)
    ops = sorted(i.operation for i in suite.items)
    # Remove/speech/en is capped at 2 by per_group; Remove/speech/de is its own group; the corrupt pair is gone
    assert ops == ["Extract", "Remove", "Remove", "Remove", "TTS"]
    assert "broken" not in {i.id for i in suite.items}
    remove = next(i for i in suite.items if i.operation == "Remove")
    src, _ = load_audio(suite.path(remove.source))
    tgt, _ = load_audio(suite.path(remove.target))
    res, _ = load_audio(suite.path(remove.extra["residual"]))
    assert np.abs(src - (tgt + res)).max() < 1e-4  # source == target + residual survives the conversion
    tts = next(i for i in suite.items if i.operation == "TTS")
    assert tts.source is None and tts.voice and tts.transcript == "hello world"
    lines = [json.loads(x) for x in (tmp_path / "suite" / "manifest.jsonl").read_text().splitlines()]
    assert {"id", "operation", "instruction", "language", "source", "target", "labels", "region"} <= set(lines[0])
    with pytest.raises(SuiteError):
        build_suite_from_shards(shards, tmp_path / "none", split="valid")


def test_read_suite_skips_bad_lines_with_reasons(tmp_path):
    root = tmp_path / "mine"
    (root / "audio").mkdir(parents=True)
    sf.write(root / "audio" / "a.wav", np.zeros(RATE, np.float32) + 0.1, RATE)
    good = {"id": "a", "operation": "Remove", "instruction": "Remove the hum.", "language": "en",
            "source": "audio/a.wav", "target": "audio/a.wav", "labels": {"target": "Hum"}, "region": None}
    lines = [json.dumps(good), "{not json", json.dumps({**good, "id": "b", "operation": "Juggle"}),
             json.dumps({**good, "id": "c", "source": "audio/missing.wav"}), json.dumps(good)]
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    suite = read_suite(root)
    assert [i.id for i in suite.items] == ["a"]
    reasons = " ".join(r for _, r in suite.skipped)
    assert "unknown operation" in reasons and "not found" in reasons and "duplicate" in reasons
    assert suite.items[0].labels["present_before"] == []
    with pytest.raises(SuiteError, match="manifest.jsonl not found"):
        read_suite(tmp_path)


def test_verified_builder_keeps_only_pairs_the_tagger_can_judge(tmp_path):
    """Removing one of two voices leaves speech: the tagger cannot hear that Remove, so verification drops it
    (and says so in suite.json); the TTS pair's transcript ("hello world") is not what its recording says, so
    Whisper cannot read the ground truth and it is dropped too; Extract (speech present) stays."""
    shards = write_test_shards(tmp_path / "shards")
    suite = build_suite_from_shards(shards, tmp_path / "suite", per_group=2, verify=True)
    assert sorted(i.operation for i in suite.items) == ["Extract"]
    info = json.loads((tmp_path / "suite" / "suite.json").read_text())
    assert info["verified"] is True and info["rejected_pairs_per_check"] == {"ASR (en)": 1, "Speech": 3}
    kept = {p.name for p in (tmp_path / "suite" / "audio").iterdir()}
    assert all(name.split(".")[0] in {i.id for i in suite.items} for name in kept)  # no orphaned audio
