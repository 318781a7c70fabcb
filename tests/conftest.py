"""Shared test setup.

- Offline hubs and two threads (the fixture's reference thread count).
- Isolation from the user's own state: the session gets its own cache root whose entries are links to the real
  cache's frozen assets (converted Gemma, Whisper, Debian audio, ...), without the user's trained models,
  training runs, source catalogue and suites; ``$AUDIO_OMNI_WEIGHTS`` points at an empty folder. Both are
  environment variables, so every subprocess (the CLI, torchrun workers) sees the same.
- No network: ``offline/sitecustomize.py`` lets sockets reach loopback and AF_UNIX only, here and in every
  Python subprocess; ``AUDIO_OMNI_OFFLINE=1`` makes a missing Debian package an error naming
  ``scripts/install.sh`` instead of an ``apt-get download``.
- The official-tiny fixture (``../shared``): its tests fail with one line when it is missing under ``CI=true``,
  ``AUDIO_OMNI_REQUIRE_FIXTURES=1`` or ``--require-fixtures``, and are skipped with that line otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402

torch.set_num_threads(2)

TESTS = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("AUDIO_OMNI_SHARED", TESTS.parents[1] / "shared"))
OFFICIAL_TINY = SHARED / "fixtures" / "official-tiny"
SYNCHFORMER_TINY = SHARED / "fixtures" / "synchformer-tiny"
#: Cache entries that are the user's own work, not frozen assets: never visible to tests.
USER_STATE = ("models", "campaign", "sources", "suites")


def _real_cache() -> Path:
    from audio_omni.paths import cache_dir

    return cache_dir()


def _isolated_home() -> Path:
    """A session folder with ``cache/`` (links to the real cache's frozen assets) and an empty ``weights/``."""
    home = Path(tempfile.mkdtemp(prefix="audio-omni-tests-"))
    cache = home / "cache"
    cache.mkdir()
    real = _real_cache()
    for entry in sorted(real.iterdir()):
        if entry.name not in USER_STATE and not entry.name.startswith("."):
            (cache / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    (home / "weights").mkdir()
    return home


HOME = _isolated_home()
os.environ["AUDIO_OMNI_CACHE"] = str(HOME / "cache")
os.environ["AUDIO_OMNI_WEIGHTS"] = str(HOME / "weights")
os.environ["AUDIO_OMNI_OFFLINE"] = "1"
os.environ["AUDIO_OMNI_NETWORK_GUARD"] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS / "offline"), os.environ.get("PYTHONPATH")]))
_spec = importlib.util.spec_from_file_location("audio_omni_network_guard", TESTS / "offline" / "sitecustomize.py")
network_guard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(network_guard)
network_guard.install()


def pytest_addoption(parser):
    parser.addoption("--require-fixtures", action="store_true",
                     help="fail (not skip) the tests that need ../shared/fixtures when it is missing")


def pytest_unconfigure(config):
    shutil.rmtree(HOME, ignore_errors=True)  # removes the links, never what they point at


@pytest.fixture(autouse=True)
def isolated_weights(tmp_path_factory, monkeypatch) -> Path:
    """Each test starts with an empty weights folder and the session's cache, whatever an earlier test did."""
    weights = tmp_path_factory.mktemp("weights")
    monkeypatch.setenv("AUDIO_OMNI_WEIGHTS", str(weights))
    monkeypatch.setenv("AUDIO_OMNI_CACHE", str(HOME / "cache"))
    monkeypatch.setenv("AUDIO_OMNI_OFFLINE", "1")
    return weights


def fixtures_required(config) -> bool:
    return (
        config.getoption("--require-fixtures")
        or os.environ.get("CI", "").lower() in ("1", "true", "yes")
        or os.environ.get("AUDIO_OMNI_REQUIRE_FIXTURES", "") == "1"
    )


@pytest.fixture(scope="session")
def official_tiny(pytestconfig) -> Path:
    if not (OFFICIAL_TINY / "config.json").is_file():
        message = (f"reference fixtures not found at {OFFICIAL_TINY}: put the shared folder beside the repository "
                   "or set AUDIO_OMNI_SHARED")
        if fixtures_required(pytestconfig):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return OFFICIAL_TINY


@pytest.fixture(scope="session")
def synchformer_tiny() -> Path:
    if not (SYNCHFORMER_TINY / "cases.safetensors").is_file():
        pytest.skip(f"Synchformer fixture not found at {SYNCHFORMER_TINY} (../shared is absent)")
    return SYNCHFORMER_TINY
