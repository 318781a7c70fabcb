"""The bad-input corpus through the Python API: every mistake is an audio_omni.errors type, raised before any
sampling, and nothing is overwritten. The model is the `debug` preset with untrained weights."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from bad_files import RATE, corpus, tone

from audio_omni.audio.io import audio_info, check_audio_file, load_audio, prepare_audio
from audio_omni.errors import (
    AudioInputError,
    AudioOmniError,
    InstructionError,
    OutputError,
    RequestError,
)
from audio_omni.pipeline import AudioOmni, AudioResult
from audio_omni.validation import pick_device


@pytest.fixture(scope="module")
def omni() -> AudioOmni:
    return AudioOmni.from_pretrained("debug", "cpu", random_init=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return corpus(tmp_path_factory.mktemp("corpus"))


GENERATE_MISTAKES = [
    ("seed 2**63", {"seed": 2**63}, RequestError, "seed"),
    ("seed 1.5", {"seed": 1.5}, RequestError, "whole number"),
    ("seed True", {"seed": True}, RequestError, "whole number"),
    ("steps 0", {"steps": 0}, RequestError, "steps"),
    ("steps 10**9", {"steps": 10**9}, RequestError, "between 1 and 1000"),
    ("steps 2.0", {"steps": 2.0}, RequestError, "whole number"),
    ("cfg -5", {"cfg_scale": -5}, RequestError, "between 0 and 50"),
    ("cfg nan", {"cfg_scale": float("nan")}, RequestError, "finite"),
    ("sampler foo", {"sampler": "foo"}, RequestError, "unknown sampler"),
    ("duration 0", {"duration": 0}, AudioInputError, "positive number of seconds"),
    ("duration -1", {"duration": -1.0}, AudioInputError, "positive number of seconds"),
    ("duration 1e-9", {"duration": 1e-9}, AudioInputError, "shorter than one latent frame"),
    ("duration '1'", {"duration": "1"}, AudioInputError, "finite number of seconds"),
    ("duration 1e9", {"duration": 1e9}, AudioInputError, "longer than this model's limit"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), [c[1:] for c in GENERATE_MISTAKES],
                         ids=[c[0] for c in GENERATE_MISTAKES])  # fmt: skip
def test_generate_settings(omni, kwargs, error, message):
    with pytest.raises(error, match=message):
        omni.generate("T2A", "rain", **kwargs)


@pytest.mark.parametrize(
    ("task", "prompt", "kwargs", "error", "message"),
    [
        ("V2A", "", {"sync_features": torch.zeros(10, 5)}, InstructionError, r"must be \[240, 768\], got \[10, 5\]"),
        ("V2A", "", {"sync_features": torch.full((240, 768), float("nan"))}, InstructionError, "NaN"),
        ("V2A", "", {"sync_features": "not numbers"}, InstructionError, "numeric array"),
        ("V2A", "", {}, InstructionError, "needs sync features"),
        ("T2A", "rain", {"voice": "me.wav"}, RequestError, "only used by TTS"),
        ("TTS", "hello", {"voice_text": "hi"}, RequestError, "needs the voice"),
        ("T2A", 42, {}, InstructionError, "must be text"),
        ("T2A", b"rain", {}, InstructionError, "must be text"),
        ("T2A", "x" * 1_000_000, {}, InstructionError, "1,000,000 characters"),
        (7, "rain", {}, InstructionError, "must be text"),
        ("Add", "rain", {}, InstructionError, "edit operation"),
    ],
)
def test_generate_inputs(omni, task, prompt, kwargs, error, message):
    started = time.perf_counter()
    with pytest.raises(error, match=message):
        omni.generate(task, prompt, steps=1, **kwargs)
    assert time.perf_counter() - started < 5  # refused, not run (a million characters once ran for 9 minutes)


@pytest.mark.parametrize(
    ("audio", "instruction", "error", "message"),
    [
        (None, "Add rain", AudioInputError, "source audio is missing"),
        (3, "Add rain", AudioInputError, "must be a path"),
        ("{ok}", 42, InstructionError, "must be text"),
        ("{ok}", b"Add rain", InstructionError, "must be text"),
        ("{ok}", "Add " * 300_000, InstructionError, "characters long"),
        ("{ok}", ("Remove", "rain", "dog"), InstructionError, "only used by Style Transfer"),
        ("{ok}", ("Remove",), InstructionError, "an edit is"),
        ("{cut}", "Add rain", AudioInputError, "truncated"),
        ("{odd}", "Add rain", AudioInputError, "truncated"),
        ("{cut_mp3}", "Add rain", AudioInputError, "truncated"),
        ("{one_sample}", "Add rain", AudioInputError, "shorter than the 0.1 s minimum"),
        ("{hour}", "Add rain", AudioInputError, "longer than"),
        ("{fifo}", "Add rain", AudioInputError, "not a regular file"),
    ],
)
def test_edit_inputs(omni, files, audio, instruction, error, message):
    if isinstance(audio, str):
        audio = files[audio[1:-1]]
    with pytest.raises(error, match=message):
        omni.edit(audio, instruction, steps=1)


def test_edit_arrays_too_short_or_of_ambiguous_integer_type(omni):
    with pytest.raises(AudioInputError, match="shorter than the 0.1 s minimum"):
        omni.edit(np.zeros(1, np.float32) + 0.1, "Add rain", sample_rate=RATE, steps=1)
    pcm16 = (tone(0.5) * 32767).astype(np.int16)
    for widened in (pcm16.astype(np.int64), pcm16.astype(np.int32), torch.from_numpy(pcm16.astype(np.int64))):
        with pytest.raises(AudioInputError, match="every value fits in 16 bits"):
            omni.edit(widened, "Add rain", sample_rate=RATE, steps=1)
    # int16 itself, and 32-bit PCM that uses its range, are scaled by their dtype as before
    assert torch.allclose(prepare_audio(pcm16, RATE)[0][0], torch.from_numpy(tone(0.5)), atol=1e-4)
    pcm32 = (tone(0.5).astype(np.float64) * 2**31).astype(np.int32)
    assert torch.allclose(prepare_audio(pcm32, RATE)[0][0], torch.from_numpy(tone(0.5)), atol=1e-4)


def test_edit_result_never_overwrites_its_source(omni, tmp_path, files):
    source = tmp_path / "src.wav"
    source.write_bytes(files["ok"].read_bytes())
    before = source.read_bytes()
    result = omni.edit(str(source), ("Add", "rain"), steps=1, seed=3)
    with pytest.raises(OutputError, match="would overwrite the input"):
        result.save(source)
    assert source.read_bytes() == before
    assert result.save(tmp_path / "out.wav").is_file()


@pytest.mark.parametrize(("target", "message"), [
    ("/proc/x.wav", "cannot write"),
    ("/sys/x.wav", "cannot write"),
    ("{fifo}", "not a regular file"),
    ("{folder}", "is a folder"),
])  # fmt: skip
def test_save_to_unwritable_places(files, target, message):
    target = files[target[1:-1]] if target.startswith("{") else target
    result = AudioResult(torch.zeros(1, 1600) + 0.1, RATE, seed=0)
    with pytest.raises(OutputError, match=message):
        result.save(target)


def test_devices(omni):
    with pytest.raises(RequestError, match="unknown device 'tpu'"):
        AudioOmni(omni.model, device="tpu")
    with pytest.raises(RequestError, match="unknown device"):
        pick_device("meta")
    assert pick_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RequestError, match="not available here"):
            pick_device("cuda")


def test_understand_settings(omni):
    for bad in (0, -1, 10**6, 2.5):
        with pytest.raises(RequestError, match="max_new_tokens"):
            omni.understand("what is this?", max_new_tokens=bad)
    with pytest.raises(InstructionError, match="question"):
        omni.understand(None)


def test_truncated_files_are_refused_from_the_header(files):
    """WAV/AIFF cut short are seen without decoding; audio_info and the pre-load check refuse them too."""
    for name in ("cut", "odd", "cut_aiff"):
        with pytest.raises(AudioInputError, match="truncated"):
            audio_info(files[name])
        with pytest.raises(AudioInputError, match="truncated"):
            check_audio_file(files[name])
    assert load_audio(files["ok"])[0].shape == (1, RATE)  # whole files still load
    assert audio_info(files["cut_aiff"].with_name("full.aiff")).frames == RATE


def test_eval_and_data_build_refuse_nonsense(files, tmp_path):
    from audio_omni.data.build import BuildConfig, build
    from audio_omni.eval.command import run_evaluation

    for limit in (0, -1, 1.5):
        with pytest.raises(AudioOmniError, match="limit"):
            run_evaluation("identity", tmp_path / "no-suite", tmp_path / "out", limit=limit)
    with pytest.raises(AudioOmniError, match="holds no clips"):
        build(tmp_path / "pairs", BuildConfig(pairs=2, catalog=str(files["empty_catalog"])), progress=False)
    assert not (tmp_path / "pairs").exists()
    with pytest.raises(AudioOmniError, match="unknown speech engine"):
        BuildConfig(pairs=2, speech_engines=("festival",))
