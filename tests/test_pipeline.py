"""End to end on CPU with the tiny debug preset (real classes, random weights): every task and edit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from audio_omni import AudioOmni
from audio_omni.errors import AudioInputError, CheckpointError, InstructionError
from audio_omni.tasks import INSTRUCTION_EDITS as EDIT_OPERATIONS

SR = 16000


@pytest.fixture(scope="module")
def omni():
    return AudioOmni.from_pretrained("debug", device="cpu", random_init=True)


def _tone(seconds: float = 0.8, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.random.default_rng(0).standard_normal(t.size)).astype(
        np.float32
    )


GENERATE_CASES = [
    ("T2A", "a dog barking in a park", {}),
    ("T2M", "calm piano with soft strings", {}),
    ("TTS", "Hello world, 你好", {}),
    ("TTS", "clone this voice", {"voice": _tone(), "voice_sample_rate": SR, "voice_text": "reference words"}),
    ("V2A", "", {"sync_features": torch.randn(240, 768, generator=torch.Generator().manual_seed(1))}),
    ("V2M", "upbeat", {"sync_features": torch.randn(240, 768, generator=torch.Generator().manual_seed(2))}),
]


@pytest.mark.parametrize(("task", "prompt", "extra"), GENERATE_CASES)
def test_generate_every_task(omni, task, prompt, extra):
    out = omni.generate(task, prompt, duration=0.5, seed=3, steps=2, **extra)
    assert out.sample_rate == SR
    assert out.audio.shape == (2, 8000)  # stereo, 0.5 s exactly
    assert torch.isfinite(out.audio).all()
    assert out.seed == 3
    again = omni.generate(task, prompt, duration=0.5, seed=3, steps=2, **extra)
    assert torch.equal(out.audio, again.audio)
    other = omni.generate(task, prompt, duration=0.5, seed=4, steps=2, **extra)
    assert not torch.equal(out.audio, other.audio)


@pytest.mark.parametrize("operation", EDIT_OPERATIONS)
def test_edit_every_operation(omni, operation, tmp_path):
    args = (operation, "dog barking", "cat meowing") if operation == "Style Transfer" else (operation, "dog")
    out = omni.edit(_tone(0.6), args, sample_rate=SR, seed=11, steps=2)
    assert out.audio.shape == (2, int(0.6 * SR)) and out.sample_rate == SR  # the source's duration
    assert torch.equal(out.audio, omni.edit(_tone(0.6), args, sample_rate=SR, seed=11, steps=2).audio)
    assert not torch.equal(out.audio, omni.edit(_tone(0.6), args, sample_rate=SR, seed=12, steps=2).audio)
    path = out.save(tmp_path / "edited.wav")
    assert path.is_file()


def test_edit_from_file_with_other_rate_and_free_instruction(omni, tmp_path):
    import soundfile as sf

    src = tmp_path / "src.wav"
    sf.write(src, np.stack([_tone(0.5, 44100)] * 2, axis=1), 44100)
    before = src.read_bytes()
    out = omni.edit(src, "Make the dog quieter", seed=1, steps=1)
    assert out.audio.shape == (2, 8000)
    assert src.read_bytes() == before  # inputs are never modified


def test_generator_and_seed_report(omni):
    gen = torch.Generator().manual_seed(99)
    out = omni.generate("T2A", "rain", duration=0.25, generator=gen, steps=1)
    assert out.seed == 99
    auto = omni.generate("T2A", "rain", duration=0.25, steps=1)
    repeat = omni.generate("T2A", "rain", duration=0.25, steps=1, seed=auto.seed)
    assert torch.equal(auto.audio, repeat.audio)


def test_samplers(omni):
    """The sampler option reaches the integrator (their accuracy: tests/models/test_flow.py)."""
    outs = {s: omni.generate("T2A", "wind", duration=0.25, seed=0, steps=3, sampler=s).audio
            for s in ("euler", "heun", "midpoint")}
    assert all(torch.isfinite(a).all() for a in outs.values())
    assert not torch.equal(outs["euler"], outs["heun"]) and not torch.equal(outs["heun"], outs["midpoint"])
    with pytest.raises(ValueError, match="unknown sampler"):
        omni.generate("T2A", "wind", duration=0.25, seed=0, steps=3, sampler="rk45")


def test_understand_text_and_audio_questions(omni, tmp_path):
    assert isinstance(omni.understand("What is a dog?", max_new_tokens=4), str)
    # The thinker's audio path: the audio encoder runs and the answer is generated after it.
    answer = omni.understand("What do you hear?", audio=_tone(2.0), sample_rate=SR, max_new_tokens=4)
    assert isinstance(answer, str)
    with pytest.raises(AudioInputError):
        omni.understand("What do you hear?", audio=_tone(2.0))  # an array needs its rate
    with pytest.raises(InstructionError):
        omni.understand("   ")


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda m: m.generate("T2A", "   "), InstructionError),
        (lambda m: m.generate("T2A", "!!! 123"), InstructionError),
        (lambda m: m.generate("Dance", "x"), InstructionError),
        (lambda m: m.generate("Add", "x"), InstructionError),
        (lambda m: m.generate("T2A", "rain", duration=5.0), AudioInputError),
        (lambda m: m.generate("T2A", "rain", duration=-1), AudioInputError),
        (lambda m: m.generate("V2A", "x"), InstructionError),
        (lambda m: m.edit(_tone(), ""), InstructionError),
        (lambda m: m.edit(_tone(), ("Add", "")), InstructionError),
        (lambda m: m.edit(_tone(), ("Style Transfer", "dog")), InstructionError),
        (lambda m: m.edit(_tone(), ("Add", "dog")), AudioInputError),  # no sample rate for an array
        (lambda m: m.edit(np.full(8000, np.nan, np.float32), ("Add", "dog"), sample_rate=SR), AudioInputError),
        (lambda m: m.edit(np.zeros(0, np.float32), ("Add", "dog"), sample_rate=SR), AudioInputError),
        (lambda m: m.edit(_tone(601.0), ("Add", "dog"), sample_rate=SR), AudioInputError),  # over MAX_EDIT_SECONDS
        (lambda m: m.edit("/nonexistent/file.wav", ("Add", "dog")), AudioInputError),
    ],
)
def test_bad_input_gives_clear_errors(omni, call, error):
    with pytest.raises(error):
        call(omni)


def test_unknown_preset_and_missing_weights():
    with pytest.raises(CheckpointError, match="neither"):
        AudioOmni.from_pretrained("no-such-model")
    with pytest.raises(CheckpointError, match="no trained weights"):
        AudioOmni.from_pretrained("debug")


def test_edits_take_their_own_default_step_count(omni):
    """``sampling.edit_steps`` (when set) is the default for edits; generation keeps ``sampling.steps``."""
    seen = []
    sampling = omni.config.sampling
    saved = (sampling.steps, sampling.edit_steps)
    try:
        sampling.steps, sampling.edit_steps = 3, 2
        omni.edit(_tone(0.3), ("Remove", "dog"), sample_rate=SR, seed=0, progress=lambda i, n: seen.append(n))
        omni.generate("T2A", "rain", duration=0.25, seed=0, progress=lambda i, n: seen.append(n))
        sampling.edit_steps = None
        omni.edit(_tone(0.3), ("Remove", "dog"), sample_rate=SR, seed=0, progress=lambda i, n: seen.append(n))
    finally:
        sampling.steps, sampling.edit_steps = saved
    assert sorted(set(seen), key=seen.index) == [2, 3]
    assert seen[-1] == 3  # unset: the generation count
