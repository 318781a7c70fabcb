"""The build command: coverage of every operation and language, exact pairs, no leaks, kill-and-resume identity."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from edit_sources import real_records, write_real_catalog
from typer.testing import CliRunner

from audio_omni.cli import app
from audio_omni.data.build import TASK_CYCLE, TRAIN_LANGUAGES, BuildConfig, build, plan_units, schedule
from audio_omni.data.catalog import ClipRecord
from audio_omni.data.instructions import LANGUAGES, TASKS
from audio_omni.data.shards import decode_flac, read_shard
from audio_omni.data.splits import leak_check, pair_split
from audio_omni.errors import AudioOmniError

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
COMMON = ["--seconds", "3", "--sample-rate", "16000", "--max-scores", "3", "--speech-engine", "espeak"]
REQUIRED = {"id", "split", "task", "instruction", "language", "template_id", "held_out", "domain", "description",
            "target_description", "labels", "region", "sample_rate", "duration", "source_clip_ids"}  # fmt: skip


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sources")
    corrupt = root / "corrupt.ogg"
    corrupt.write_bytes(b"OggS" + os.urandom(3000))
    good = real_records()[2]
    bad = ClipRecord(**{**good.__dict__, "id": "broken/corrupt", "path": str(corrupt), "group": "broken/corrupt"})
    return write_real_catalog(root, [bad])


def data_build(args: list[str]):
    """`audio-omni data build ARGS` in this process."""
    return CliRunner().invoke(app, ["data", "build", *args])


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and p.name != "build.json" and ".build" not in p.parts}  # fmt: skip


def test_sixty_pairs_cover_every_operation_and_language(tmp_path, catalog, caplog):
    out = tmp_path / "pairs"
    with caplog.at_level(logging.WARNING):
        args = ["--out", str(out), "--pairs", "60", "--catalog", str(catalog), "--workers", "2",
                "--pairs-per-shard", "10", "--no-progress", *COMMON]  # fmt: skip
        result = data_build(args)
    assert result.exit_code == 0, result.output
    assert "complete: 60 pairs" in result.output
    # the corrupt source file was skipped with a logged reason, and the build went on
    assert any("broken/corrupt" in r.getMessage() for r in caplog.records)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["library_skipped"] == {"unreadable source file": 1}
    assert set(stats["per_task"]) == set(TASKS)
    assert set(stats["per_language"]) == set(LANGUAGES)
    assert stats["leak_check"]["ok"] and stats["dropped"] == 0
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(records) == 60 and leak_check(out).ok
    assert not [r for r in records if r["split"] == "train" and (r["held_out"] or r["language"] == "es")]
    for r in records:
        assert set(r) >= REQUIRED and r["shard"].startswith(f"{r['split']}/{r['split']}-")
    # every mixture is exact after the FLAC round trip (24-bit PCM: tolerance 0)
    checked = 0
    for tar in sorted(out.glob("*/*.tar")):
        for key, members in read_shard(tar):
            meta = json.loads(members["json"])
            audio = {k.split(".")[0]: decode_flac(v)[0] for k, v in members.items() if k.endswith(".flac")}
            assert meta["id"] == key and len(audio["target"]) == 48000
            if meta["layout"] == "source=target+residual":
                assert np.array_equal(audio["source"], audio["target"] + audio["residual"])
                checked += 1
            elif meta["layout"] == "target=source+residual":
                assert np.array_equal(audio["target"], audio["source"] + audio["residual"])
                checked += 1
    assert checked >= 20
    # the check catches a leak: one test pair that reuses a train pair's clip and source group
    train = next(r for r in records if r["split"] == "train")
    test = {**next(r for r in records if r["split"] == "test")}
    test["source_clip_ids"] = [*test["source_clip_ids"], train["source_clip_ids"][0]]
    test["source_groups"] = [*test["source_groups"], train["source_groups"][0]]
    leaky = leak_check([r for r in records if r["id"] != test["id"]] + [test])
    assert not leaky.ok and leaky.clips == {train["source_clip_ids"][0]: ["test", "train"]}
    assert leaky.groups == {train["source_groups"][0]: ["test", "train"]} and leaky.summary().startswith("LEAK")


#: A build job that kills itself (SIGKILL) at a chosen point: while writing its N-th shard after K samples, or
#: right after the N-th shard is complete (K = -1). Fault injection from inside, at a chosen unit, no timing.
KILLED_JOB = """
import os, signal, sys
from pathlib import Path
from audio_omni.data import build as b

out, job, unit, after = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
write_shard, written = b.write_shard, []

def killing_write_shard(path, samples):
    written.append(path)
    if len(written) != unit:
        return write_shard(path, samples)
    if after < 0:
        write_shard(path, samples)
        os.kill(os.getpid(), signal.SIGKILL)

    def until_killed():
        for i, sample in enumerate(samples):
            if i == after:
                os.kill(os.getpid(), signal.SIGKILL)
            yield sample

    return write_shard(path, until_killed())

b.write_shard = killing_write_shard
b.build(out, b.BuildConfig(**CONFIG), shard_index=job, num_shards=2, progress=False)
"""


def test_killed_builds_resume_byte_identical(tmp_path, catalog):
    config = BuildConfig(pairs=24, seed=3, sample_rate=16000, seconds=3.0, pairs_per_shard=4, catalog=str(catalog),
                         max_scores=3, speech_engines=("espeak",))  # fmt: skip
    reference = tmp_path / "uninterrupted"
    build(reference, config, progress=False)
    assert (reference / "manifest.jsonl").is_file()

    # the same build as a two-job array, each job killed at a chosen unit and resumed
    resumed = tmp_path / "resumed"
    code = KILLED_JOB.replace("CONFIG", repr(config.__dict__))
    kills = [(0, 1, -1),  # job 0: killed right after completing its first shard, before the next one
             (1, 1, 0),  # job 1: killed as its first shard's file is opened
             (0, 1, 2)]  # job 0 again: killed half-way through writing its next shard
    for job, unit, after in kills:
        proc = subprocess.run([sys.executable, "-c", code, str(resumed), str(job), str(unit), str(after)], env=ENV,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert [p.name for p in resumed.glob("*/*.tar")] == ["train-000000.tar"]
    assert [p.name for p in resumed.glob("*/.*.tmp")][0].startswith(".train-000002.tar.")  # a half-written shard
    assert not (resumed / "manifest.jsonl").exists()  # not finished yet
    build(resumed, config, shard_index=1, num_shards=2, progress=False)
    result = build(resumed, config, shard_index=0, num_shards=2, progress=False)
    assert result.finalized
    assert not list(resumed.rglob("*.tmp"))
    assert files(resumed) == files(reference)


def test_progress_moves_per_pair_not_per_shard(tmp_path, catalog, capsys):
    """One shard of three pairs: a bar that moved per shard would show only 0/3 and 3/3."""
    config = BuildConfig(pairs=3, seed=1, sample_rate=16000, seconds=3.0, pairs_per_shard=3, catalog=str(catalog),
                         max_scores=3, speech_engines=("espeak",))  # fmt: skip
    import tqdm.auto

    steps: list[int] = []
    real_update = tqdm.auto.tqdm.update

    def update(self, n=1):  # what the bar is told, not what it chooses to draw (it redraws at most every 0.1 s)
        steps.append(n)
        return real_update(self, n)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tqdm.auto.tqdm, "update", update)
        build(tmp_path / "pairs", config, progress=True)
    assert sum(steps) == 3 and max(steps) < 3, steps
    assert "3/3" in capsys.readouterr().err


def test_schedule_and_units_are_fixed_by_index():
    units = plan_units(45, 10)
    assert sorted(i for u in units for i in u.indices) == list(range(45))
    assert [u.name for u in units][:3] == ["train/train-000000.tar", "train/train-000001.tar", "train/train-000002.tar"]
    # the split schedule, by hand: 18 train, 1 valid, 1 test per 20 indices; (split, position, eval position)
    assert [pair_split(i) for i in (0, 17, 18, 19, 20, 38, 39, 45)] == [
        ("train", 0, -1), ("train", 17, -1), ("valid", 0, 0), ("test", 0, 1), ("train", 18, -1), ("valid", 1, 2),
        ("test", 1, 3), ("train", 41, -1)]  # fmt: skip
    assert [schedule(i, 0)[0] for i in range(40)] == (["train"] * 18 + ["valid", "test"]) * 2
    # tasks and languages come in shuffled cycles: every cycle of train positions holds each exactly as often
    # as the cycle lists it, so any 16 consecutive train pairs cover every task
    train = [schedule(i, 0) for i in range(400) if pair_split(i)[0] == "train"]
    cycle, langs = len(TASK_CYCLE), len(TRAIN_LANGUAGES)
    for start in range(0, len(train) - cycle + 1, cycle):
        assert Counter(t for _, t, _ in train[start : start + cycle]) == Counter(TASK_CYCLE)
    for start in range(0, len(train) - langs + 1, langs):
        assert Counter(lang for _, _, lang in train[start : start + langs]) == Counter(TRAIN_LANGUAGES)
    assert {t for _, t, _ in train} == set(TASKS)
    orders = {tuple(t for _, t, _ in train[s : s + cycle]) for s in range(0, 5 * cycle, cycle)}
    assert len(orders) > 1  # shuffled per cycle, not one fixed order
    other_seed = [schedule(i, 1) for i in range(400) if pair_split(i)[0] == "train"]
    assert [t for _, t, _ in other_seed] != [t for _, t, _ in train]
    evaluation = [schedule(i, 0) for i in range(20 * len(TASK_CYCLE)) if pair_split(i)[0] != "train"]
    assert Counter(t for _, t, _ in evaluation[:cycle]) == Counter(TASK_CYCLE)
    assert "es" in {lang for _, _, lang in evaluation} and "es" not in {lang for _, _, lang in train}


def test_resuming_with_other_settings_is_refused(tmp_path, catalog):
    out = tmp_path / "x"
    args = ["--out", str(out), "--pairs", "2", "--catalog", str(catalog), "--no-progress", "--no-tagger", *COMMON]
    assert data_build(args).exit_code == 0
    result = data_build([*args, "--seed", "5"])
    assert result.exit_code == 2 and "other settings" in result.stderr


def test_test_split_only_builds_the_full_builds_test_shards(tmp_path, catalog):
    args = ["--pairs", "40", "--catalog", str(catalog), "--pairs-per-shard", "2", "--seed", "7", "--no-progress",
            "--no-tagger", *COMMON]  # fmt: skip
    full, only = tmp_path / "full", tmp_path / "test-only"
    assert data_build(["--out", str(full), *args]).exit_code == 0
    result = data_build(["--out", str(only), *args, "--split", "test"])
    assert result.exit_code == 0, result.output
    test_indices = [i for i in range(40) if pair_split(i)[0] == "test"]
    assert f"1 shard(s) built now ({len(test_indices)} pairs)" in result.output  # no train or valid pair was made
    assert "complete: 2 pairs in 1 shards" in result.output
    shards = files(only)
    assert sorted(p for p in shards if p.endswith(".tar")) == ["test/test-000000.tar"]
    assert {p: b for p, b in files(full).items() if p.startswith("test/")} == {p: shards[p] for p in shards
                                                                               if p.startswith("test/")}  # fmt: skip
    records = [json.loads(line) for line in (only / "manifest.jsonl").read_text().splitlines()]
    assert [r["build"]["index"] for r in records] == test_indices and {r["split"] for r in records} == {"test"}
    stats = json.loads((only / "stats.json").read_text())
    assert stats["per_split"] == {"test": 2} and stats["shards"] == 1 and stats["leak_check"]["ok"]
    assert json.loads((only / "build.json").read_text())["config"]["splits"] == ["test"]
    # the chosen splits are build settings: resuming with others is refused; repeats and order do not matter
    again = data_build(["--out", str(only), *args, "--split", "test", "--split", "test"])
    assert again.exit_code == 0 and "0 shard(s) built now" in again.output
    refused = data_build(["--out", str(only), *args, "--split", "test", "--split", "valid"])
    assert refused.exit_code == 2 and "other settings" in refused.stderr
    # a build.json from before --split (no "splits") means every split
    state = json.loads((full / "build.json").read_text())
    del state["config"]["splits"]
    (full / "build.json").write_text(json.dumps(state))
    resumed = data_build(["--out", str(full), *args])
    assert resumed.exit_code == 0 and "0 shard(s) built now" in resumed.output, resumed.output


def test_unknown_split_is_a_clear_error(tmp_path):
    assert [u.name for u in plan_units(40, 2, ("test",))] == ["test/test-000000.tar"]
    assert [u.indices for u in plan_units(45, 10, ("valid", "train"))] == [
        u.indices for u in plan_units(45, 10) if u.split != "test"]  # fmt: skip
    with pytest.raises(AudioOmniError, match="choose from train, valid, test"):
        plan_units(40, 2, ("tset",))
    with pytest.raises(AudioOmniError, match="at least one split"):
        BuildConfig(pairs=4, splits=())
    # the real command line: one line on stderr, no traceback, nothing written
    out = tmp_path / "x"
    command = [sys.executable, "-m", "audio_omni.cli", "data", "build", "--out", str(out), "--pairs", "4",
               "--split", "test", "--split", "tset"]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.strip() == "error: unknown split(s) ['tset']; choose from train, valid, test"
    assert not out.exists()
