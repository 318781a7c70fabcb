"""The test session cannot see the user's trained weights, cannot reach a network, and never fetches data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest
import torch

from audio_omni import AudioOmni
from audio_omni.assets import debian_package
from audio_omni.errors import AssetError, CheckpointError
from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import persistent_state_dict, save_pretrained
from audio_omni.models.presets import preset_config
from audio_omni.paths import cache_dir

BLOCKED = "network access is blocked in tests"


def test_weights_and_cache_are_the_sessions_own(isolated_weights):
    assert os.environ["AUDIO_OMNI_WEIGHTS"] == str(isolated_weights) and not any(isolated_weights.iterdir())
    assert not (cache_dir() / "models").exists() and not (cache_dir() / "campaign").exists()
    assert (cache_dir() / "debian").is_dir()  # frozen assets stay readable
    with pytest.raises(CheckpointError, match="no trained weights"):
        AudioOmni.from_pretrained("debug")


def test_weights_under_audio_omni_weights_are_found(isolated_weights):
    torch.manual_seed(0)
    model = build_model(preset_config("debug"))
    save_pretrained(model, isolated_weights / "debug")
    loaded = persistent_state_dict(AudioOmni.from_pretrained("debug", device="cpu").model)
    assert all(torch.equal(v, loaded[k]) for k, v in persistent_state_dict(model).items())
    # the CLI in a subprocess reads the same variable
    out = subprocess.run([sys.executable, "-m", "audio_omni.cli", "generate", "T2A", "rain", "--model", "debug",
                          "--duration", "0.25", "--steps", "1", "-o", str(isolated_weights / "rain.wav")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


def test_connections_beyond_loopback_are_blocked_here_and_in_subprocesses():
    with pytest.raises(RuntimeError, match=BLOCKED):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routed
    with pytest.raises(RuntimeError, match=BLOCKED):
        socket.getaddrinfo("huggingface.co", 443)
    with pytest.raises(RuntimeError, match=BLOCKED):
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))
    code = "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and BLOCKED in out.stderr


def test_loopback_and_unix_sockets_work():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0].recv(5)))
    thread.start()
    with socket.create_connection(("localhost", port), timeout=5) as client:
        client.sendall(b"hello")
    thread.join(5)
    server.close()
    assert accepted == [b"hello"]
    a, b = socket.socketpair(socket.AF_UNIX)
    a.sendall(b"ok")
    assert b.recv(2) == b"ok"


def test_missing_debian_data_fails_without_fetching():
    with pytest.raises(AssetError, match="scripts/install.sh"):
        debian_package("hello")  # a real package name that the project never uses
    assert not list((cache_dir() / "debian").glob(".hello*")) and not (cache_dir() / "debian" / "hello").exists()
    assert (debian_package("asterisk-core-sounds-en-wav") / ".complete").is_file()  # cached data is read
