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
* ``codec-ceiling``: the target passed through the model's own codec (encode, then decode), the best any model
  with that codec can do (:mod:`audio_omni.eval.ceiling`).

Degenerate baselines, which every success check must fail (they show that no number is won by accident):

* ``noise``: white noise at the source's level (the target's for generation);
* ``silence``: all zeros, as long as the target;
* ``lowpass``: the source low-passed at ``LOWPASS_HZ``;
* ``gain``: the source ``GAIN_DB`` louder or softer (alternating by item);
* ``shuffled``: another item's target (the next item of the same operation in the suite, else of another).
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


#: ``lowpass`` keeps what lies below this frequency.
LOWPASS_HZ = 1000.0
#: ``gain`` changes the source's level by this many dB (up for one item, down for the next).
GAIN_DB = 6.0


def _item_seed(item) -> int:
    import zlib

    return zlib.crc32(item.id.encode("utf-8"))


def _level_of(source, target):
    ref = source if source is not None else target
    return float(np.sqrt(np.mean(np.square(ref, dtype=np.float64)))) if ref is not None else 0.1


def noise(item, source, target, sample_rate, seed=0):
    """White noise as long as the target, at the source's RMS (the target's for generation)."""
    like = target if target is not None else source
    if like is None:
        return None
    rng = np.random.default_rng(_item_seed(item) + seed)
    return (rng.standard_normal(like.shape) * _level_of(source, target)).astype(np.float32), sample_rate


def silence(item, source, target, sample_rate, seed=0):
    like = target if target is not None else source
    return None if like is None else (np.zeros_like(like, dtype=np.float32), sample_rate)


def lowpass(item, source, target, sample_rate, seed=0, cutoff_hz: float = LOWPASS_HZ):
    """The source with everything above ``cutoff_hz`` removed (a brick-wall filter in the frequency domain)."""
    if source is None:
        return None
    x = torch.from_numpy(np.asarray(source, np.float32))
    spec = torch.fft.rfft(x, dim=-1)
    spec[..., torch.fft.rfftfreq(x.shape[-1], 1.0 / sample_rate) > cutoff_hz] = 0
    return torch.fft.irfft(spec, n=x.shape[-1], dim=-1).numpy(), sample_rate


def gain(item, source, target, sample_rate, seed=0, gain_db: float = GAIN_DB):
    """The source ``gain_db`` louder or softer (chosen per item), peaks kept below full scale."""
    if source is None:
        return None
    sign = 1.0 if _item_seed(item) % 2 == 0 else -1.0
    out = np.asarray(source, np.float32) * np.float32(10 ** (sign * gain_db / 20))
    peak = float(np.abs(out).max()) if out.size else 0.0
    return (out * (0.99 / peak) if peak > 0.99 else out), sample_rate


class Shuffled:
    """Another item's target: the next item of the same operation (in suite order), else of any operation,
    whose target differs from this item's and holds other sounds. A suite may hold two items with the same
    answer, or two answers of the same scene (`debian-edit`'s Replace items "dog -> explosion" and "glass ->
    explosion" over one vehicle bed both end as that bed with the explosion): such an answer would be right, not
    shuffled."""

    def __init__(self, suite) -> None:
        self.suite = suite
        self.items = [i for i in suite.items if i.target is not None and not i.is_understanding]

    def _candidates(self, item) -> list:
        start = next((k for k, other in enumerate(self.items) if other.id == item.id), -1)
        ring = [self.items[(start + k) % len(self.items)] for k in range(1, len(self.items))]
        ring = [o for o in ring if not _same_scene(o, item)]
        return [o for o in ring if o.operation == item.operation] + [o for o in ring if o.operation != item.operation]

    def __call__(self, item, source, target, sample_rate, seed=0):
        from audio_omni.audio.io import load_audio, prepare_audio

        for other in self._candidates(item):
            wave, rate = load_audio(self.suite.path(other.target))
            wave = wave.numpy()
            if target is not None:
                same = prepare_audio(wave, rate, sample_rate, max_seconds=None, name="target")[0].numpy()
                if same.shape == np.shape(target) and np.allclose(same, target, atol=1e-3):
                    continue
            return wave, rate
        return None


def _same_scene(a, b) -> bool:
    """Both answers should hold the same sounds (their `present_after` labels, which name the classes)."""
    after_a = sorted((a.labels or {}).get("present_after") or [])
    return bool(after_a) and after_a == sorted((b.labels or {}).get("present_after") or [])


BASELINES: dict[str, System] = {"identity": identity, "oracle": oracle, "spectral-gate": spectral_gate,
                                "noise": noise, "silence": silence, "lowpass": lowpass, "gain": gain}
#: Baselines made per suite (they need other items): name -> factory(suite).
SUITE_BASELINES = {"shuffled": Shuffled}
DEGENERATE = ("noise", "silence", "lowpass", "gain", "shuffled")
OUTPUTS_PREFIX = "outputs:"
CEILING = "codec-ceiling"
ALL_BASELINES = (*BASELINES, *SUITE_BASELINES, CEILING, OUTPUTS_PREFIX + "DIR")


def is_edit_baseline(model: str) -> bool:
    """Whether ``model`` names an editing baseline (no model is loaded for it)."""
    return (model in BASELINES or model in SUITE_BASELINES or model.startswith(OUTPUTS_PREFIX)
            or model == CEILING or model.startswith(CEILING + ":"))


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

    @property
    def codec(self):
        """The model's own codec: the report's ceiling is the target through it (``codec-ceiling``)."""
        return self.pipe.model.pretransform

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


def make_system(model: str, steps: int | None = None, random_init: bool = False, suite=None) -> tuple[str, System]:
    """A baseline by name (``suite``: the suite being evaluated, for baselines that need other items), else a
    model checkpoint/preset."""
    if model in BASELINES:
        return model, BASELINES[model]
    if model in SUITE_BASELINES:
        if suite is None:
            raise AudioOmniError(f"the {model!r} baseline needs the suite it is run on")
        return model, SUITE_BASELINES[model](suite)
    if model.startswith(OUTPUTS_PREFIX):
        return model, SavedOutputs(model[len(OUTPUTS_PREFIX):])
    if model == CEILING or model.startswith(CEILING + ":"):
        from audio_omni.eval.ceiling import load_ceiling

        return model, load_ceiling(model)
    try:
        return model, ModelSystem(model, steps=steps, random_init=random_init)
    except AudioOmniError:
        raise
    except Exception as exc:  # a broken checkpoint should read as one line, not a traceback
        raise AudioOmniError(
            f"cannot load model {model!r}: {exc} (baselines: {', '.join(ALL_BASELINES)})"
        ) from exc
