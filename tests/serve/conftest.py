"""Fixtures of the serving tests: one tiny real model (debug-small, untrained) loaded once, workers over it
with the limits each test needs, and a real recording that ships with the package."""

from __future__ import annotations

import io

import pytest
import soundfile as sf
from serving import TEST_LIMITS

from audio_omni.serve.app import example_edits
from audio_omni.serve.worker import ModelWorker, ServeLimits


@pytest.fixture(scope="session")
def serve_model():
    from audio_omni.pipeline import AudioOmni

    return AudioOmni.from_pretrained("debug-small", "cpu", random_init=True)


@pytest.fixture
def make_worker(serve_model):
    """Workers over the shared model, closed (their accepted jobs finished) when the test ends."""
    made: list[ModelWorker] = []

    def make(limits: ServeLimits = TEST_LIMITS) -> ModelWorker:
        made.append(ModelWorker(serve_model, "debug-small", limits))
        return made[-1]

    yield make
    for worker in made:
        worker.close()


@pytest.fixture(scope="session")
def example_clip() -> str:
    """A real recording shipped with the package (3 s, 22.05 kHz mono FLAC)."""
    return next(e["file"] for e in example_edits() if e["file"].endswith("birds-and-cow.flac"))


@pytest.fixture(scope="session")
def short_clip(example_clip) -> bytes:
    """The first second of that recording as FLAC bytes: requests that only need to reach the model cost a third."""
    data, rate = sf.read(example_clip, frames=22050, always_2d=True)
    buffer = io.BytesIO()
    sf.write(buffer, data, rate, format="FLAC")
    return buffer.getvalue()
