"""Helpers of the serving tests: uvicorn on loopback in a thread, a job that holds the worker, test limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from audio_omni.serve.worker import Job, ModelWorker, ServeLimits

#: Small enough that the tests can reach every limit quickly; requests keep sampling at 1-2 steps. The time
#: limit is generous: a 3 s edit takes seconds on an idle machine, minutes on a loaded 2-core one.
TEST_LIMITS = ServeLimits(max_waiting=2, timeout_seconds=600, max_upload_bytes=1_000_000, max_audio_seconds=4.0,
                          max_text_chars=300, max_steps=4)


@contextmanager
def holding(worker: ModelWorker) -> Iterator[Job]:
    """Occupy the worker with a job that waits until the block ends, so that tests can fill the line exactly."""
    started, release = threading.Event(), threading.Event()

    def hold(model, on_step):
        started.set()
        release.wait(60)

    job = worker.submit(hold, "holder")
    assert started.wait(30), "the worker did not start the holding job"
    try:
        yield job
    finally:
        release.set()
        job.future.result(60)  # not job.result(): a test may give the holder a deadline it outlives on purpose


class LoopbackServer:
    """uvicorn serving an ASGI app in a thread on 127.0.0.1 and a free port."""

    def __init__(self, app, **config):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **config))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(60)
        assert not self.thread.is_alive(), "uvicorn did not stop"

    def __exit__(self, *exc) -> None:
        if self.thread.is_alive():
            self.stop()
