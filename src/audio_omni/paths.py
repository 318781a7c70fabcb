"""Where audio-omni keeps converted weights and extracted assets."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The cache root: $AUDIO_OMNI_CACHE, else $XDG_CACHE_HOME/audio-omni, else ~/.cache/audio-omni."""
    explicit = os.environ.get("AUDIO_OMNI_CACHE")
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "audio-omni"
    root = Path(explicit) if explicit else default
    root.mkdir(parents=True, exist_ok=True)
    return root
