"""Errors a user can act on. The CLI prints their message and exits non-zero, never a traceback."""


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
    """An edit instruction or prompt that cannot be understood."""


class VideoInputError(AudioOmniError, ValueError):
    """A video file that cannot be used: unreadable, corrupt, no video stream, no frames, too large."""
