"""Request inputs of the web app and the HTTP API, checked before they reach the model's waiting line.

Cheap checks run in the request's own thread (a bad instruction or a corrupt upload is refused at once, without
taking a place in the line); the model re-checks everything itself, and whatever it refuses is reported the
same way. Uploads are decoded here, so the model worker only ever computes.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_omni.audio.io import audio_info, load_audio
from audio_omni.errors import AudioInputError, InstructionError
from audio_omni.serve.worker import ServeLimits
from audio_omni.task_prompts import canonical_task, check_text, edit_instruction
from audio_omni.tasks import INSTRUCTION_EDITS

__all__ = [
    "AUDIO_SUFFIXES",
    "SamplingSettings",
    "UploadTooLargeError",
    "check_bounded_text",
    "decode_upload",
    "edit_request",
    "load_recording",
]

#: Suffixes an upload keeps on its temporary file (decoders sniff content, but some containers need the hint).
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".aif", ".aiff",
                            ".webm", ".mp4", ".mkv", ".caf", ".au", ".w64"})
_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


class UploadTooLargeError(AudioInputError):
    """An upload over the server's size or duration limit (HTTP 413)."""


@dataclass(frozen=True)
class SamplingSettings:
    """Seed, steps and guidance of one request (None: the model's default, or a fresh seed)."""

    seed: int | None = None
    steps: int | None = None
    cfg_scale: float | None = None

    def checked(self, limits: ServeLimits) -> SamplingSettings:
        if self.steps is not None and not 1 <= self.steps <= limits.max_steps:
            raise InstructionError(f"steps must be between 1 and {limits.max_steps} on this server, got {self.steps}")
        if self.cfg_scale is not None and not 0.0 <= self.cfg_scale <= 50.0:
            raise InstructionError(f"the guidance scale must be between 0 and 50, got {self.cfg_scale:g}")
        if self.seed is not None and not 0 <= self.seed < 2**63:
            raise InstructionError(f"the seed must be between 0 and 2**63 - 1, got {self.seed}")
        return self

    def as_kwargs(self) -> dict:
        return {"seed": self.seed, "steps": self.steps, "cfg_scale": self.cfg_scale}


def display_name(filename: str | None) -> str:
    """A client's file name as it may appear in a message (never used as a path)."""
    name = _UNSAFE_NAME.sub("_", Path(filename or "").name)[:80]
    return f"'{name}'" if name else "the upload"


def check_bounded_text(text: str | None, what: str, limits: ServeLimits) -> str:
    """Non-empty, with letters, and within the server's length limit."""
    if text is not None and len(text) > limits.max_text_chars:
        raise InstructionError(f"the {what} is {len(text)} characters long; this server takes at most "
                               f"{limits.max_text_chars}")
    return check_text(text or "", what)


def edit_request(
    instruction: str | None, operation: str | None, description: str | None, target: str | None,
    limits: ServeLimits,
) -> str | tuple[str, ...]:
    """What `AudioOmni.edit` takes: an (operation, description[, target]) tuple when an operation is named,
    else the free-form instruction. Checked here with the model's own template code."""
    operation = (operation or "").strip()
    if operation:
        op = canonical_task(operation)
        if op not in INSTRUCTION_EDITS:
            raise InstructionError(f"{operation!r} is not an edit operation ({', '.join(INSTRUCTION_EDITS)})")
        description = check_bounded_text(description, "sound description", limits)
        if op == "Style Transfer":
            request = (op, description, check_bounded_text(target, "target sound for Style Transfer", limits))
        else:
            request = (op, description)
        edit_instruction(*request)  # the sentence the model would get: refuses what the template cannot take
        return request
    if not (instruction or "").strip():
        raise InstructionError("give an instruction, or an operation with a sound description")
    return check_bounded_text(instruction, "edit instruction", limits)


def load_recording(path: str | os.PathLike, limits: ServeLimits, name: str) -> tuple[np.ndarray, int]:
    """Decode a recording the server holds (an upload saved under a name of the server's choosing) to float32
    [channels, samples] at its own rate. Longer than the server's limit: UploadTooLargeError. Messages name
    the client's file, never the server's path."""
    path = Path(path)
    try:
        info = audio_info(path)
        if info.duration is not None and info.duration > limits.max_audio_seconds:
            raise UploadTooLargeError(f"{name} is {info.duration:.1f} s long; this server takes at most "
                                      f"{limits.max_audio_seconds:g} s")
        wave, rate = load_audio(path, max_seconds=limits.max_audio_seconds)
    except UploadTooLargeError:
        raise
    except AudioInputError as err:
        message = str(err).replace(f"audio file '{path}'", name).replace(f"'{path}'", name).replace(str(path), name)
        raise AudioInputError(message) from None
    return wave.numpy(), rate


def decode_upload(data: bytes, filename: str | None, limits: ServeLimits) -> tuple[np.ndarray, int]:
    """Decode uploaded bytes through a private temporary file (removed at once); the client's file name only
    chooses the suffix, from a fixed list."""
    name = display_name(filename)
    if len(data) > limits.max_upload_bytes:
        raise UploadTooLargeError(f"{name} is {len(data)} bytes; this server takes at most "
                                  f"{limits.max_upload_bytes} bytes")
    if not data:
        raise AudioInputError(f"{name} is empty (0 bytes)")
    suffix = Path(filename or "").suffix.lower()
    fd, tmp = tempfile.mkstemp(prefix="audio-omni-upload-", suffix=suffix if suffix in AUDIO_SUFFIXES else ".bin")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return load_recording(tmp, limits, name)
    finally:
        os.unlink(tmp)
