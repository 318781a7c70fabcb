"""Shared test setup: offline hubs, two threads (the fixture's reference thread count), fixture location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402

torch.set_num_threads(2)

SHARED = Path(os.environ.get("AUDIO_OMNI_SHARED", Path(__file__).resolve().parents[2] / "shared"))
OFFICIAL_TINY = SHARED / "fixtures" / "official-tiny"
SYNCHFORMER_TINY = SHARED / "fixtures" / "synchformer-tiny"


@pytest.fixture(scope="session")
def official_tiny() -> Path:
    if not (OFFICIAL_TINY / "config.json").is_file():
        pytest.skip(f"reference fixtures not found at {OFFICIAL_TINY} (../shared is absent)")
    return OFFICIAL_TINY


@pytest.fixture(scope="session")
def synchformer_tiny() -> Path:
    if not (SYNCHFORMER_TINY / "cases.safetensors").is_file():
        pytest.skip(f"Synchformer fixture not found at {SYNCHFORMER_TINY} (../shared is absent)")
    return SYNCHFORMER_TINY
