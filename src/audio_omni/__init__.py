"""audio-omni: a clean-room Audio-Omni that understands, generates and edits audio."""

from audio_omni.errors import AudioInputError, AudioOmniError, CheckpointError, ConfigError

__version__ = "0.1.0"

__all__ = ["AudioOmni", "AudioOmniError", "AudioInputError", "CheckpointError", "ConfigError", "__version__"]


def __getattr__(name: str):
    # The facade pulls in torch and transformers; import it only when asked for.
    if name == "AudioOmni":
        from audio_omni.pipeline import AudioOmni

        return AudioOmni
    raise AttributeError(name)
