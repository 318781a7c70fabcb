"""Errors a user can act on. The CLI prints their message as one `error:` line and exits with code 2."""


class AudioOmniError(Exception):
    """Base class for every error this package raises on purpose."""


class AudioInputError(AudioOmniError, ValueError):
    """An audio file or array that cannot be used: unreadable, empty, silent, NaN, wrong shape, too long."""


class ConfigError(AudioOmniError, ValueError):
    """A model or training config that does not validate."""


class CheckpointError(AudioOmniError):
    """A checkpoint that does not match the model: missing, unexpected or mis-shaped keys."""


class AssetError(AudioOmniError):
    """A frozen model or data file that is not installed where it should be."""


class InstructionError(AudioOmniError, ValueError):
    """An edit instruction, prompt or other conditioning input (sync features) that cannot be used."""


class RequestError(AudioOmniError, ValueError):
    """A request setting that cannot be used: seed, steps, guidance scale, sampler, device, answer length, or an
    input the task does not take (a voice for T2A). Durations and audio are AudioInputError; prompts,
    instructions and sync features InstructionError."""


class OutputError(AudioOmniError, OSError):
    """An output location that cannot be written: read-only, full, a directory or device, or the input itself.
    An OSError too, so code that handles failed writes as OSError keeps working."""


class VideoInputError(AudioOmniError, ValueError):
    """A video file that cannot be used: unreadable, corrupt, no video stream, no frames, too large."""
