"""Checks of the request settings a user passes to generate / edit / understand, shared by the API and the CLI.

The CLI runs them before it loads a model (a typo costs milliseconds, not the seconds a model takes to load);
the API runs them at the top of each call, so both refuse exactly the same values with the same message.
Every refusal is a :class:`audio_omni.errors.RequestError` (or the error type of the input concerned). Text
(prompts, instructions) is checked in :mod:`audio_omni.task_prompts`, audio files in :mod:`audio_omni.audio.io`,
output locations in :mod:`audio_omni.outputs`.

Light imports only; torch is imported by the two checks that need it (sampler names and devices).
"""

from __future__ import annotations

import math
import numbers
import os
from typing import TYPE_CHECKING, Any

from audio_omni.errors import AudioInputError, InstructionError, RequestError

if TYPE_CHECKING:
    import torch

__all__ = [
    "MAX_ANSWER_TOKENS",
    "MAX_CFG_SCALE",
    "MAX_SEED",
    "MAX_STEPS",
    "MIN_SECONDS",
    "check_audio_argument",
    "check_cfg_scale",
    "check_duration",
    "check_edit",
    "check_generation",
    "check_max_tokens",
    "check_sampler",
    "check_sampling",
    "check_seed",
    "check_steps",
    "check_sync_features",
    "pick_device",
]

#: Sampling steps beyond this buy nothing a user could hear and can run for hours.
MAX_STEPS = 1000
#: Guidance scales beyond this only saturate; the official default is 7.
MAX_CFG_SCALE = 50.0
#: torch.Generator seeds are 64-bit signed: 0 .. 2**63 - 1.
MAX_SEED = 2**63 - 1
#: Shortest audio accepted as input (a source to edit, a voice, audio to ask about): below this there is no sound
#: to hear. A requested duration is bounded by the model instead (one latent frame).
MIN_SECONDS = 0.1
#: Longest answer `understand` may ask for.
MAX_ANSWER_TOKENS = 4096


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_seed(seed: Any) -> int | None:
    """None (a fresh random seed) or an integer in 0 .. 2**63 - 1."""
    if seed is None:
        return None
    if not _is_int(seed):
        raise RequestError(f"seed must be a whole number, got {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise RequestError(f"seed must be between 0 and 2**63 - 1 ({MAX_SEED}), got {seed}")
    return int(seed)


def check_steps(steps: Any) -> int | None:
    """None (the model's default) or a whole number of sampling steps in 1 .. MAX_STEPS."""
    if steps is None:
        return None
    if not _is_int(steps):
        raise RequestError(f"steps must be a whole number, got {steps!r}")
    if not 1 <= int(steps) <= MAX_STEPS:
        raise RequestError(f"steps must be between 1 and {MAX_STEPS}, got {steps} (omit it for the model's default)")
    return int(steps)


def check_cfg_scale(cfg_scale: Any) -> float | None:
    """None (the model's default) or a finite guidance scale in 0 .. MAX_CFG_SCALE (0: no guidance)."""
    if cfg_scale is None:
        return None
    if not _is_real(cfg_scale) or not math.isfinite(float(cfg_scale)):
        raise RequestError(f"the guidance scale (cfg) must be a finite number, got {cfg_scale!r}")
    if not 0.0 <= float(cfg_scale) <= MAX_CFG_SCALE:
        raise RequestError(f"the guidance scale (cfg) must be between 0 and {MAX_CFG_SCALE:g}, got {cfg_scale:g}")
    return float(cfg_scale)


def check_sampler(sampler: Any) -> str | None:
    """None (the model's default) or the name of a sampler in :data:`audio_omni.models.flow.SAMPLERS`."""
    if sampler is None:
        return None
    from audio_omni.models.flow import SAMPLERS

    if not isinstance(sampler, str) or sampler.strip().lower() not in SAMPLERS:
        raise RequestError(f"unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
    return sampler.strip().lower()


def check_sampling(steps: Any, cfg_scale: Any, sampler: Any, seed: Any) -> tuple[int | None, float | None,
                                                                              str | None, int | None]:
    """The sampling settings of one call, each checked (None: the model's default, or a fresh seed)."""
    return check_steps(steps), check_cfg_scale(cfg_scale), check_sampler(sampler), check_seed(seed)


def check_duration(duration: Any, what: str = "duration") -> float | None:
    """None (the model's window) or a finite, positive number of seconds. The bounds depend on the model (at
    least one latent frame, at most its window or generation limit), which checks them: the official-tiny
    release has a window of 6 ms, the paper model one of 10 s. An AudioInputError, like the model's checks."""
    if duration is None:
        return None
    if not _is_real(duration) or not math.isfinite(float(duration)):
        raise AudioInputError(f"{what} must be a finite number of seconds, got {duration!r}")
    if float(duration) <= 0:
        raise AudioInputError(f"{what} must be a positive number of seconds, got {float(duration):g}")
    return float(duration)


def check_max_tokens(max_new_tokens: Any) -> int:
    if not _is_int(max_new_tokens) or not 1 <= int(max_new_tokens) <= MAX_ANSWER_TOKENS:
        raise RequestError(f"max_new_tokens must be a whole number from 1 to {MAX_ANSWER_TOKENS}, "
                           f"got {max_new_tokens!r}")  # fmt: skip
    return int(max_new_tokens)


def check_audio_argument(audio: Any, what: str) -> None:
    """An audio argument must be a path or an array; the contents are checked where it is loaded."""
    if audio is None:
        raise AudioInputError(f"{what} is missing: give a path to an audio file or an array with its sample_rate")
    if isinstance(audio, (bool, numbers.Number)):
        raise AudioInputError(f"{what} must be a path to an audio file or an array, got {audio!r}")


def _check_audio_input(audio: Any, what: str) -> None:
    check_audio_argument(audio, what)
    if isinstance(audio, (str, os.PathLike)):
        from audio_omni.audio.io import check_audio_file

        check_audio_file(audio, min_seconds=MIN_SECONDS)


def check_generation(
    task: Any, prompt: Any, *, duration: Any = None, voice: Any = None, voice_text: Any = None,
    sync_features: Any = None, video: Any = None,
) -> str:
    """The canonical generation task, after checking that the inputs given are the ones it takes: a prompt
    for T2A/T2M, a transcript (and optionally a voice file with its transcript) for TTS, a video file or its
    sync features (and an optional hint) for V2A/V2M. An input the task would ignore is refused rather than
    silently dropped."""
    from audio_omni.task_prompts import canonical_task, check_text, optional_text
    from audio_omni.tasks import GENERATION_TASKS, TASKS

    task = canonical_task(task)
    if task not in GENERATION_TASKS:
        raise InstructionError(f"{task!r} is an edit operation, not a generation task: use edit")
    if task in ("T2A", "T2M"):
        check_text(prompt, "prompt")
    elif task == "TTS":
        check_text(prompt, "transcript")
    else:
        optional_text(prompt, "hint")
        if sync_features is None and video is None:
            raise InstructionError(f"{task} needs sync features (Synchformer features of the video) or the video")
    takes = TASKS[task].inputs
    if voice is not None and "voice" not in takes:
        raise RequestError(f"a voice reference is only used by TTS, not by {task}")
    if voice_text is not None:
        if voice is None:
            raise RequestError("a voice transcript needs the voice reference it transcribes")
        check_text(voice_text, "voice transcript")
    if sync_features is not None and "video" not in takes:
        raise RequestError(f"sync features are only used by V2A and V2M, not by {task}")
    if video is not None and "video" not in takes:
        raise RequestError(f"a video is only used by V2A and V2M, not by {task}")
    if voice is not None:
        _check_audio_input(voice, "voice reference")
    check_duration(duration)
    return task


def check_edit(audio: Any, instruction: Any) -> str:
    """The edit instruction as text, after checking the source audio (a path is probed from its header) and
    the instruction: free text, or (operation, description[, target]) with a target for Style Transfer only."""
    from audio_omni.task_prompts import check_text, edit_instruction

    _check_audio_input(audio, "source audio")
    if isinstance(instruction, (tuple, list)):
        if not 2 <= len(instruction) <= 3:
            raise InstructionError("an edit is (operation, description) or (operation, description, target)")
        return edit_instruction(*instruction)
    return check_text(instruction, "edit instruction")


def check_sync_features(features: Any, frames: int, dim: int) -> torch.Tensor:
    """Video-sync features as a float32 tensor ``[frames, dim]`` (a leading batch of one is accepted). A wrong
    input is an InstructionError, as in the sync conditioner: the message names the shape the model reads."""
    import torch

    try:
        tensor = torch.as_tensor(features, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InstructionError(f"sync features must be a numeric array [{frames}, {dim}]: {exc}") from None
    if tensor.dim() == 3 and tensor.shape[0] == 1:
        tensor = tensor[0]
    if tuple(tensor.shape) != (frames, dim):
        raise InstructionError(f"sync features must be [{frames}, {dim}], got {list(tensor.shape)}")
    if not bool(torch.isfinite(tensor).all()):
        raise InstructionError("sync features contain NaN or Inf values")
    return tensor


#: Device types a model can be moved to here.
DEVICE_TYPES = ("cpu", "cuda", "mps")


def pick_device(device: Any = None) -> torch.device:
    """The device to run on: the one named (checked to exist in this torch build and machine), else
    cuda -> mps -> cpu."""
    import torch

    mps = getattr(torch.backends, "mps", None)
    mps_ok = mps is not None and mps.is_available()
    if device is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if mps_ok else torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        chosen = None
    if chosen is None or chosen.type not in DEVICE_TYPES:
        raise RequestError(f"unknown device {device!r}; use cpu, cuda, cuda:N or mps")
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            build = "a CPU-only torch build" if torch.version.cuda is None else "no visible GPU"
            raise RequestError(f"device {device!r} is not available here ({build}); use cpu")
        if chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise RequestError(f"device {device!r} does not exist: {torch.cuda.device_count()} GPU(s) visible")
    if chosen.type == "mps" and not mps_ok:
        raise RequestError(f"device {device!r} is not available here (no Apple GPU); use cpu")
    return chosen
