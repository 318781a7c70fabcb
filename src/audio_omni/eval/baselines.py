"""Reference systems that give every number a meaning, and the adapter for a real model.

A system is called per suite item as ``system(item, source, target, sample_rate, seed)`` with ``source`` /
``target`` as float32 ``[C, T]`` numpy arrays (or None) at ``sample_rate``, and returns ``(wave, rate)``
or None when it has no answer for that item (e.g. identity on a generation prompt).

* ``identity``: returns the source unchanged (an editor that does nothing);
* ``oracle``: returns the ground-truth target (an upper bound that checks the judges themselves);
* ``spectral-gate``: a signal-processing editor: the stationary part of the mixture (per-frequency median
  magnitude over time) is treated as background; Remove keeps it, Extract keeps the rest; other
  operations return the source.
* ``outputs:DIR``: audio made elsewhere (another system, an earlier run's ``audio/``), read as
  ``DIR/<item id>.<flac|wav|ogg|mp3>``; items without a file get no output.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from audio_omni.errors import AudioOmniError

System = Callable[..., "tuple[np.ndarray, int] | None"]


def identity(item, source, target, sample_rate, seed=0):
    return None if source is None else (source, sample_rate)


def oracle(item, source, target, sample_rate, seed=0):
    return None if target is None else (target, sample_rate)


def spectral_gate(item, source, target, sample_rate, seed=0, n_fft: int = 1024, hop: int = 256, over: float = 2.0):
    """Soft time-frequency mask from a stationary-noise estimate (median magnitude per frequency bin)."""
    if source is None:
        return None
    if item.operation not in ("Remove", "Extract"):
        return source, sample_rate
    x = torch.from_numpy(np.asarray(source, np.float32))
    window = torch.hann_window(n_fft)
    spec = torch.stft(x, n_fft, hop, n_fft, window, center=True, return_complex=True)
    mag = spec.abs()
    floor = mag.median(dim=-1, keepdim=True).values * over
    stationary = torch.clamp(floor / mag.clamp_min(1e-8), max=1.0)  # 1 where at/below the floor
    mask = stationary if item.operation == "Remove" else 1.0 - stationary
    out = torch.istft(spec * mask, n_fft, hop, n_fft, window, center=True, length=x.shape[-1])
    return out.numpy(), sample_rate


BASELINES: dict[str, System] = {"identity": identity, "oracle": oracle, "spectral-gate": spectral_gate}
OUTPUTS_PREFIX = "outputs:"


class SavedOutputs:
    """Judge audio that was made elsewhere: ``DIR/<item id>.<ext>`` is the output for that item."""

    SUFFIXES = (".flac", ".wav", ".ogg", ".mp3")

    def __init__(self, directory: str) -> None:
        from pathlib import Path

        self.root = Path(directory).expanduser()
        if not self.root.is_dir():
            raise AudioOmniError(f"outputs directory {self.root} not found")

    def __call__(self, item, source, target, sample_rate, seed=0):
        from audio_omni.audio.io import load_audio

        for suffix in self.SUFFIXES:
            path = self.root / f"{item.id}{suffix}"
            if path.is_file():
                wave, rate = load_audio(path)
                return wave.numpy(), rate
        return None


class ModelSystem:
    """An :class:`audio_omni.AudioOmni` checkpoint or preset, driven through its public edit/generate API."""

    def __init__(self, model: str, steps: int | None = None, random_init: bool = False, device=None) -> None:
        from audio_omni import AudioOmni

        self.name = model
        self.steps = steps
        self.pipe = AudioOmni.from_pretrained(model, device=device, random_init=random_init)
        self.max_duration = float(self.pipe.max_duration)
        defaults = self.pipe.config.sampling
        # What the report records: the steps and sampler every item was drawn with.
        self.sampling = {"steps": steps or defaults.steps, "sampler": defaults.sampler}

    def __call__(self, item, source, target, sample_rate, seed=0):
        if item.is_generation:
            duration = None
            if target is not None:
                duration = min(target.shape[-1] / sample_rate, self.pipe.max_duration)
            prompt = item.extra.get("caption") or item.transcript or item.instruction
            if item.operation == "TTS":
                prompt = item.transcript or item.instruction
            result = self.pipe.generate(item.operation, prompt, duration=duration, seed=seed, steps=self.steps)
        else:
            if source is None:
                return None
            result = self.pipe.edit(
                torch.from_numpy(np.asarray(source, np.float32)), item.instruction,
                sample_rate=sample_rate, seed=seed, steps=self.steps,
            )
        return result.audio.numpy(), result.sample_rate


def make_system(model: str, steps: int | None = None, random_init: bool = False) -> tuple[str, System]:
    """A baseline by name, else a model checkpoint/preset."""
    if model in BASELINES:
        return model, BASELINES[model]
    if model.startswith(OUTPUTS_PREFIX):
        return model, SavedOutputs(model[len(OUTPUTS_PREFIX):])
    try:
        return model, ModelSystem(model, steps=steps, random_init=random_init)
    except AudioOmniError:
        raise
    except Exception as exc:  # a broken checkpoint should read as one line, not a traceback
        raise AudioOmniError(
            f"cannot load model {model!r}: {exc} (baselines: {', '.join(BASELINES)})"
        ) from exc
