"""The HTTP API as a client uses it: a real uvicorn server on loopback, driven by httpx. Every endpoint, every
kind of bad input (a 4xx JSON error, the server serving on), the waiting line under simultaneous requests,
time limits, keys and a graceful shutdown."""

from __future__ import annotations

import base64
import io
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf
from serving import TEST_LIMITS, LoopbackServer, holding

from audio_omni.errors import AudioOmniError
from audio_omni.serve.api import build_api, run_server
from audio_omni.serve.app import run_app
from audio_omni.serve.worker import ServeLimits

KEY = "a-test-key-of-32-characters-long"
#: seconds a client waits for a model call: seconds on an idle machine, minutes on a 2-core one under load
CLIENT_TIMEOUT = 600


@pytest.fixture
def api(make_worker):
    """(base URL, worker) of a server with the test limits."""
    worker = make_worker()
    with LoopbackServer(build_api(worker)) as server:
        yield server.url, worker


def wav_bytes(seconds: float, rate: int = 22050, fmt: str = "WAV") -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    buffer = io.BytesIO()
    sf.write(buffer, 0.3 * np.sin(2 * np.pi * 440 * t), rate, format=fmt)
    return buffer.getvalue()


def clip_bytes(example_clip: str) -> bytes:
    return Path(example_clip).read_bytes()


def decode(response: httpx.Response) -> tuple[np.ndarray, int]:
    data, rate = sf.read(io.BytesIO(response.content), always_2d=True)
    return data, rate


def test_health_models_and_docs(api):
    url, _ = api
    health = httpx.get(f"{url}/v1/health").json()
    assert health == {"status": "ok", "model": "debug-small", "busy": False, "waiting": 0, "max_waiting": 2}
    models = httpx.get(f"{url}/v1/models").json()
    assert models["models"][0]["id"] == "debug-small" and models["models"][0]["sample_rate"] == 22050
    assert models["limits"]["max_upload_bytes"] == TEST_LIMITS.max_upload_bytes
    schema = httpx.get(f"{url}/openapi.json").json()
    assert {"/v1/edit", "/v1/generate", "/v1/understand", "/v1/health", "/v1/models"} <= set(schema["paths"])
    docs = httpx.get(f"{url}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_edit_by_operation_returns_audio_with_seed_model_and_timings(api, example_clip):
    url, _ = api
    form = {"operation": "Remove", "description": "cow mooing", "steps": "1", "seed": "7"}
    files = {"audio": ("birds-and-cow.flac", clip_bytes(example_clip), "audio/flac")}
    first = httpx.post(f"{url}/v1/edit", data=form, files=files, timeout=CLIENT_TIMEOUT)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "audio/wav"
    assert first.headers["x-seed"] == "7" and first.headers["x-model"] == "debug-small"
    timings = dict(part.strip().split(";dur=") for part in first.headers["server-timing"].split(","))
    assert set(timings) == {"queue", "compute", "encode", "total"} and float(timings["compute"]) > 0
    audio, rate = decode(first)
    assert rate == 22050 and abs(len(audio) / rate - 3.0) < 0.05 and np.abs(audio).max() > 0
    again = httpx.post(f"{url}/v1/edit", data=form, files=files, timeout=CLIENT_TIMEOUT)
    assert again.content == first.content  # the seed reproduces the result


def test_edit_by_free_form_instruction_as_flac(api, short_clip):
    url, _ = api
    response = httpx.post(f"{url}/v1/edit", data={"instruction": "Take the cow out.", "steps": "1", "format": "flac"},
                          files={"audio": ("clip.flac", short_clip)}, timeout=CLIENT_TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/flac" and response.content[:4] == b"fLaC"
    assert int(response.headers["x-seed"]) >= 0


def test_generate_sound_and_cloned_speech(api):
    url, _ = api
    sound = httpx.post(f"{url}/v1/generate", json={"task": "T2A", "prompt": "rain on a tin roof", "duration": 1.0,
                                                   "steps": 1, "seed": 3}, timeout=CLIENT_TIMEOUT)
    assert sound.status_code == 200, sound.text
    audio, rate = decode(sound)
    assert abs(len(audio) / rate - 1.0) < 0.05 and sound.headers["x-seed"] == "3"
    voice = base64.b64encode(wav_bytes(0.2)).decode()
    speech = httpx.post(f"{url}/v1/generate", json={"task": "TTS", "prompt": "Hello there.", "voice": voice,
                                                    "voice_text": "A tone.", "duration": 0.2, "steps": 1},
                        timeout=CLIENT_TIMEOUT)
    assert speech.status_code == 200, speech.text


def test_understand_answers_in_json(api, short_clip):
    url, _ = api
    response = httpx.post(f"{url}/v1/understand", data={"question": "Which instruments suit a lullaby?",
                                                        "max_tokens": "4"}, timeout=CLIENT_TIMEOUT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["answer"], str) and body["model"] == "debug-small" and body["timings"]["total_ms"] > 0
    about = httpx.post(f"{url}/v1/understand", data={"question": "What do you hear?", "max_tokens": "4"},
                       files={"audio": ("c.flac", short_clip)}, timeout=CLIENT_TIMEOUT)  # multipart
    assert about.status_code == 200, about.text
    assert isinstance(about.json()["answer"], str)


def _edit(url, data=None, files=None, **kwargs):
    return httpx.post(f"{url}/v1/edit", data=data, files=files, timeout=CLIENT_TIMEOUT, **kwargs)


def _oversized_chunks():
    """A well-formed multipart upload of 2 MB, streamed without a Content-Length (chunked)."""
    yield (b'--b\r\nContent-Disposition: form-data; name="instruction"\r\n\r\nRemove the cow.\r\n'
           b'--b\r\nContent-Disposition: form-data; name="audio"; filename="big.wav"\r\n\r\n')
    for _ in range(20):
        yield b"\0" * 100_000
    yield b"\r\n--b--\r\n"


# (name, request -> response, status, error type, words in the message). The README's table of bad inputs lists
# the same cases with the answers this test checks.
BAD_INPUTS = [
    ("corrupt audio", lambda u, c: _edit(u, {"instruction": "Remove the cow."},
                                         {"audio": ("x.wav", b"RIFF\x24\x00\x00\x00WAVEfmt garbage" * 40)}),
     422, "invalid_input", "corrupt"),
    ("empty file", lambda u, c: _edit(u, {"instruction": "Remove the cow."}, {"audio": ("x.wav", b"")}),
     422, "invalid_input", "empty"),
    ("not audio", lambda u, c: _edit(u, {"instruction": "Remove the cow."},
                                     {"audio": ("notes.txt", b"just some text, not a recording\n" * 20)}),
     422, "invalid_input", "'notes.txt'"),
    ("upload over the size limit", lambda u, c: _edit(u, {"instruction": "Remove the cow."},
                                                      {"audio": ("big.wav", b"\0" * 1_500_000)}),
     413, "too_large", "limit"),
    ("chunked body over the limit", lambda u, c: httpx.post(
        f"{u}/v1/edit", content=_oversized_chunks(), headers={"content-type": "multipart/form-data; boundary=b"},
        timeout=60), 413, "too_large", "limit"),
    ("recording over the duration limit", lambda u, c: _edit(u, {"instruction": "Remove the cow."},
                                                             {"audio": ("long.flac", wav_bytes(6, fmt="FLAC"))}),
     413, "too_large", "at most 4 s"),
    ("JSON sent to a multipart endpoint", lambda u, c: httpx.post(f"{u}/v1/edit", json={"instruction": "x"}),
     415, "unsupported_media_type", "multipart/form-data"),
    ("form sent to the JSON endpoint", lambda u, c: httpx.post(f"{u}/v1/generate", data={"task": "T2A"}),
     415, "unsupported_media_type", "application/json"),
    ("malformed JSON", lambda u, c: httpx.post(f"{u}/v1/generate", content=b"{not json",
                                               headers={"content-type": "application/json"}),
     400, "malformed_body", "not valid JSON"),
    ("missing audio", lambda u, c: _edit(u, {"instruction": "Remove the cow."}, {"other": ("x", b"1")}),
     422, "invalid_request", "audio: Field required"),
    ("missing instruction", lambda u, c: _edit(u, {}, {"audio": ("c.flac", clip_bytes(c))}),
     422, "invalid_input", "give an instruction"),
    ("empty instruction", lambda u, c: _edit(u, {"instruction": "   "}, {"audio": ("c.flac", clip_bytes(c))}),
     422, "invalid_input", "give an instruction"),
    ("instruction without words", lambda u, c: _edit(u, {"instruction": "!!! 123"},
                                                     {"audio": ("c.flac", clip_bytes(c))}),
     422, "invalid_input", "no words"),
    ("unknown operation", lambda u, c: _edit(u, {"operation": "Explode", "description": "cow"},
                                             {"audio": ("c.flac", clip_bytes(c))}),
     422, "invalid_input", "unknown task 'Explode'"),
    ("operation without its sound", lambda u, c: _edit(u, {"operation": "Remove"},
                                                       {"audio": ("c.flac", clip_bytes(c))}),
     422, "invalid_input", "sound description is empty"),
    ("style transfer without a target", lambda u, c: _edit(u, {"operation": "Style Transfer", "description": "x"},
                                                           {"audio": ("c.flac", clip_bytes(c))}),
     422, "invalid_input", "target sound"),
    ("huge instruction", lambda u, c: _edit(u, {"instruction": "Remove the cow. " * 2000},
                                            {"audio": ("c.flac", clip_bytes(c))}),
     422, "invalid_input", "at most 300"),
    ("steps over the server's limit", lambda u, c: _edit(u, {"instruction": "Remove it.", "steps": "50"},
                                                         {"audio": ("c.flac", clip_bytes(c))}),
     422, "invalid_request", "steps"),
    ("seed that is not a number", lambda u, c: _edit(u, {"instruction": "Remove it.", "seed": "abc"},
                                                     {"audio": ("c.flac", clip_bytes(c))}),
     422, "invalid_request", "seed"),
    ("unknown format", lambda u, c: _edit(u, {"instruction": "Remove it.", "format": "mp3"},
                                          {"audio": ("c.flac", clip_bytes(c))}),
     422, "invalid_request", "format"),
    ("unknown task", lambda u, c: httpx.post(f"{u}/v1/generate", json={"task": "V2X", "prompt": "rain"}),
     422, "invalid_request", "task"),
    ("unknown field", lambda u, c: httpx.post(f"{u}/v1/generate", json={"task": "T2A", "prompt": "rain",
                                                                        "path": "/etc/passwd"}),
     422, "invalid_request", "path: Extra inputs are not permitted"),
    ("duration over the limit", lambda u, c: httpx.post(f"{u}/v1/generate", json={"task": "T2A", "prompt": "rain",
                                                                                   "duration": 600}),
     422, "invalid_request", "duration"),
    ("voice that is not base64", lambda u, c: httpx.post(f"{u}/v1/generate", json={
        "task": "TTS", "prompt": "Hello.", "voice": "@@@not base64@@@"}), 422, "invalid_input", "base64"),
    ("empty question", lambda u, c: httpx.post(f"{u}/v1/understand", data={"question": ""}),
     422, "invalid_request", "question: Field required"),
    ("question of spaces", lambda u, c: httpx.post(f"{u}/v1/understand", data={"question": "  "}),
     422, "invalid_input", "question is empty"),
    ("unknown route", lambda u, c: httpx.get(f"{u}/v1/nothing"), 404, "not_found", "Not Found"),
    ("wrong method", lambda u, c: httpx.get(f"{u}/v1/edit"), 405, "method_not_allowed", "Method Not Allowed"),
]


def test_every_bad_input_gets_a_4xx_json_error_and_the_server_keeps_serving(api, example_clip, short_clip):
    url, worker = api
    for name, send, status, kind, words in BAD_INPUTS:
        response = send(url, example_clip)
        assert response.status_code == status, (name, response.status_code, response.text)
        error = response.json()["error"]
        assert error["type"] == kind and words.lower() in error["message"].lower(), (name, error)
        assert "Traceback" not in response.text and "/tmp/" not in response.text, (name, response.text)
    assert worker.completed == 0  # nothing bad reached the model
    assert httpx.get(f"{url}/v1/health").json()["status"] == "ok"
    good = _edit(url, {"instruction": "Remove the cow.", "steps": "1"}, {"audio": ("c.flac", short_clip)})
    assert good.status_code == 200


def test_a_client_file_name_is_never_a_path(api, tmp_path):
    url, _ = api
    target = tmp_path / "written.wav"
    response = _edit(url, {"instruction": "Remove the tone.", "steps": "1"},
                     {"audio": (f"../../../../{target}", wav_bytes(0.5))})
    assert response.status_code == 200 and not target.exists()


def test_simultaneous_requests_respect_the_line_and_none_is_lost(api, short_clip):
    """Hold the worker, send more requests at once than the line holds: exactly max_waiting wait (and finish
    once the worker is free), the rest are refused at once with 503 + Retry-After; then a burst of free-running
    requests all end in 200 or 503 while /v1/health never shows more waiting than the limit."""
    url, worker = api
    form = {"operation": "Extract", "description": "birds singing", "steps": "1"}
    files = {"audio": ("c.flac", short_clip)}
    send = lambda _: _edit(url, form, files)  # noqa: E731
    with holding(worker), ThreadPoolExecutor(6) as pool:
        pending = [pool.submit(send, i) for i in range(6)]
        deadline = time.monotonic() + 180
        refused = []
        while len(refused) < 4 and time.monotonic() < deadline:
            refused = [f for f in pending if f.done()]
            time.sleep(0.05)
        assert len(refused) == 4 and worker.waiting == TEST_LIMITS.max_waiting
        for future in refused:
            response = future.result()
            assert response.status_code == 503 and response.json()["error"]["type"] == "busy"
            assert int(response.headers["retry-after"]) >= 1
    waited = [f.result() for f in pending if f not in refused]
    assert [r.status_code for r in waited] == [200, 200]

    seen_waiting, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            seen_waiting.append(httpx.get(f"{url}/v1/health").json()["waiting"])
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with ThreadPoolExecutor(8) as pool:
        burst = list(pool.map(send, range(8)))
    stop.set()
    watcher.join()
    codes = [r.status_code for r in burst]
    assert set(codes) <= {200, 503} and codes.count(200) >= 1, codes
    assert max(seen_waiting) <= TEST_LIMITS.max_waiting
    assert all(len(decode(r)[0]) > 0 for r in burst if r.status_code == 200)


def test_a_request_past_its_time_limit_gets_504(make_worker, short_clip):
    worker = make_worker(ServeLimits(max_waiting=2, timeout_seconds=1.0))
    with LoopbackServer(build_api(worker)) as server, holding(worker):
        started = time.monotonic()
        response = _edit(server.url, {"instruction": "Remove the cow.", "steps": "1"},
                         {"audio": ("c.flac", short_clip)})
        assert response.status_code == 504 and response.json()["error"]["type"] == "timeout"
        assert time.monotonic() - started < 10


def test_a_key_guards_every_route_but_health(make_worker):
    worker = make_worker()
    with LoopbackServer(build_api(worker, api_key=KEY)) as server:
        assert httpx.get(f"{server.url}/v1/health").status_code == 200
        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": KEY}):
            response = httpx.get(f"{server.url}/v1/models", headers=headers)
            assert response.status_code == 401 and response.json()["error"]["type"] == "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"
        ok = httpx.get(f"{server.url}/v1/models", headers={"authorization": f"Bearer {KEY}"})
        assert ok.status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_binding_beyond_loopback_needs_a_key(host):
    with pytest.raises(AudioOmniError, match="API key"):
        run_server("debug-small", host=host, random_init=True)  # refused before any model loads


@pytest.mark.parametrize("runner", [run_server, run_app])
def test_a_port_in_use_is_refused_before_the_model_loads(runner):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # An unknown model would fail later with its own message: this one says the port, at once.
        with pytest.raises(AudioOmniError, match=f"cannot listen on 127.0.0.1:{port}"):
            runner("no-such-model", port=port)


def test_shutdown_finishes_the_request_in_flight(make_worker, short_clip):
    worker = make_worker()
    server = LoopbackServer(build_api(worker), timeout_graceful_shutdown=60).__enter__()
    with ThreadPoolExecutor(1) as pool:
        with holding(worker):
            in_flight = pool.submit(_edit, server.url, {"instruction": "Remove the cow.", "steps": "1"},
                                    {"audio": ("c.flac", short_clip)})
            while worker.waiting == 0:
                time.sleep(0.05)
            stopping = threading.Thread(target=server.stop)
            stopping.start()
            time.sleep(0.5)
            with pytest.raises(httpx.ConnectError):  # no new connections while shutting down
                httpx.get(f"{server.url}/v1/health", timeout=5)
        assert in_flight.result().status_code == 200
        stopping.join(60)
    assert not server.thread.is_alive()


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_cli_serve_starts_offline_and_stops_on_sigterm(tmp_path):
    """`audio-omni serve` as a user starts it: a process on a free port, answering, ending cleanly on SIGTERM."""
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "OMP_NUM_THREADS": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "audio_omni.cli", "serve", "--model", "debug-small", "--random-init", "--port",
         str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + CLIENT_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        assert process.poll() is None, process.stdout.read()
        response = httpx.post(f"http://127.0.0.1:{port}/v1/generate",
                              json={"task": "T2A", "prompt": "rain", "duration": 0.5, "steps": 1},
                              timeout=CLIENT_TIMEOUT)
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then ends with the signal it caught (the usual status of a SIGTERM)
        assert process.wait(120) in (0, -signal.SIGTERM)
        assert "Finished server process" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
