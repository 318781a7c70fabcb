"""One model, one worker thread, a waiting line of fixed length: what the web app and the HTTP API share.

A model call holds both CPU cores (or the GPU) for seconds, so calls run one at a time on a single thread that
owns the model; callers get a :class:`Job` back at once and wait on its future. A caller never waits without
bound: beyond ``limits.max_waiting`` waiting jobs :meth:`ModelWorker.submit` refuses with
:class:`QueueFullError`, and every job has a deadline. A job whose deadline passes while it waits is dropped
when its turn comes; one that is running is stopped at its next sampling step (the progress callback raises),
so a timed-out request frees the model within one step instead of running to the end for nobody.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from audio_omni.errors import AudioOmniError

log = logging.getLogger(__name__)

__all__ = ["Job", "JobTimeoutError", "ModelWorker", "QueueFullError", "ServeLimits", "WorkerClosedError"]


class QueueFullError(AudioOmniError):
    """Every place in the waiting line is taken; try again later."""


class JobTimeoutError(AudioOmniError):
    """A request did not finish within its time limit (waiting included)."""


class WorkerClosedError(AudioOmniError):
    """The server is shutting down and takes no new work."""


@dataclass(frozen=True)
class ServeLimits:
    """What one request may ask of the server; the web app and the HTTP API enforce the same values."""

    #: jobs that may wait while one runs; beyond them a request is refused (HTTP 503 with Retry-After)
    max_waiting: int = 8
    #: seconds from submission to the end of the job, waiting included (HTTP 504 beyond)
    timeout_seconds: float = 300.0
    #: size of one request body or uploaded file (HTTP 413 beyond)
    max_upload_bytes: int = 25 * 1024 * 1024
    #: duration of an uploaded recording and of a requested generation (HTTP 413/422 beyond)
    max_audio_seconds: float = 60.0
    #: characters in a prompt, instruction or question
    max_text_chars: int = 2000
    #: sampling steps one request may ask for (the server's cost bound, not a quality bound)
    max_steps: int = 200

    def __post_init__(self) -> None:
        if self.max_waiting < 0 or self.timeout_seconds <= 0 or self.max_upload_bytes <= 0:
            raise AudioOmniError(f"invalid server limits: {self}")
        if self.max_audio_seconds <= 0 or self.max_text_chars <= 0 or self.max_steps < 1:
            raise AudioOmniError(f"invalid server limits: {self}")


class Job:
    """One model call waiting for, or holding, the worker. ``progress`` is (done, total) sampling steps."""

    def __init__(self, call: Callable[[Any, Callable[[int, int], None]], Any], deadline: float, label: str):
        self.call = call
        self.deadline = deadline
        self.label = label
        self.future: Future = Future()
        self.progress: tuple[int, int] = (0, 0)
        self.submitted = time.monotonic()
        self.started: float | None = None
        self.finished: float | None = None
        self.in_line = False  # holds a place in the worker's waiting line

    @property
    def queue_seconds(self) -> float:
        return (self.started or self.finished or time.monotonic()) - self.submitted

    @property
    def compute_seconds(self) -> float:
        return 0.0 if self.started is None else (self.finished or time.monotonic()) - self.started

    def on_step(self, done: int, total: int) -> None:
        """The pipeline's progress callback: records progress and stops the job once its deadline passed."""
        self.progress = (done, total)
        if time.monotonic() > self.deadline:
            raise JobTimeoutError(f"{self.label} stopped after {done} of {total} steps: time limit reached")

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the outcome. Past the deadline (or `timeout`) the job is cancelled if it has not started,
        and a JobTimeoutError is raised; a running job stops itself at its next step."""
        remaining = self.deadline - time.monotonic() + 1.0  # the grace lets a running job report its own stop
        wait = remaining if timeout is None else min(timeout, remaining)
        try:
            return self.future.result(timeout=max(0.0, wait))
        except TimeoutError:
            self.future.cancel()
            raise JobTimeoutError(f"{self.label} did not finish within the time limit") from None


class ModelWorker:
    """Owns a loaded AudioOmni (or anything with its methods) and runs submitted calls on one thread."""

    def __init__(self, model: Any, name: str, limits: ServeLimits | None = None):
        self.model = model
        self.name = name
        self.limits = limits or ServeLimits()
        # Unbounded underneath: the bound is checked in submit, under a lock, so that the count of waiting jobs
        # is exact; a job cancelled while it waits (its caller gave up) gives its place back at once.
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._waiting = 0
        self._running: Job | None = None
        self._closed = False
        self.completed = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._serve, name=f"model-worker[{name}]", daemon=True)
        self._thread.start()

    @classmethod
    def load(
        cls, name: str, device: str | None = None, random_init: bool = False, limits: ServeLimits | None = None
    ) -> ModelWorker:
        """Load `name` (anything `AudioOmni.from_pretrained` accepts) once and start its worker."""
        from audio_omni.pipeline import AudioOmni

        return cls(AudioOmni.from_pretrained(name, device, random_init=random_init), name, limits)

    # State --------------------------------------------------------------------------------------------------
    @property
    def waiting(self) -> int:
        with self._lock:
            return self._waiting

    @property
    def busy(self) -> bool:
        return self._running is not None

    @property
    def closed(self) -> bool:
        return self._closed

    def retry_after(self) -> int:
        """Seconds a refused client should wait: a rough guess from the job now running."""
        job = self._running
        if job is None:
            return 1
        done, total = job.progress
        if not done or not total:
            return 5
        left = job.compute_seconds * (total - done) / done
        return max(1, min(120, round(left * (1 + self.waiting))))

    # Work ---------------------------------------------------------------------------------------------------
    def submit(self, call: Callable[[Any, Callable[[int, int], None]], Any], label: str = "request") -> Job:
        """Queue `call(model, on_step)`; raises QueueFullError when the waiting line is full."""
        job = Job(call, time.monotonic() + self.limits.timeout_seconds, label)
        with self._lock:
            if self._closed:
                raise WorkerClosedError("the server is shutting down")
            if self._waiting >= self.limits.max_waiting:
                raise QueueFullError(
                    f"the server is busy: {self._waiting} requests are waiting (the limit); try again later"
                )
            self._waiting += 1
            job.in_line = True
            self._queue.put(job)
        job.future.add_done_callback(lambda _: self._leave_line(job))  # only a cancel completes a waiting job
        return job

    def _leave_line(self, job: Job) -> None:
        with self._lock:
            if job.in_line:
                job.in_line = False
                self._waiting -= 1

    def run(self, call: Callable[[Any, Callable[[int, int], None]], Any], label: str = "request") -> Any:
        """Submit and wait (blocking): the outcome of the call, or its exception."""
        return self.submit(call, label).result()

    def _serve(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            self._leave_line(job)
            if not job.future.set_running_or_notify_cancel():
                continue  # its caller gave up while it waited
            job.started = time.monotonic()
            if job.started > job.deadline:
                job.finished = job.started
                job.future.set_exception(JobTimeoutError(f"{job.label} waited past its time limit"))
                continue
            self._running = job
            try:
                outcome = job.call(self.model, job.on_step)
            except BaseException as err:  # noqa: BLE001 - every failure goes back to the caller that waits for it
                job.finished = time.monotonic()
                self.failed += 1
                if not isinstance(err, AudioOmniError):
                    log.exception("%s failed", job.label)
                job.future.set_exception(err)
            else:
                job.finished = time.monotonic()
                self.completed += 1
                job.future.set_result(outcome)
            finally:
                self._running = None

    def close(self, wait: bool = True) -> None:
        """Take no new work; the jobs already accepted still run (a graceful shutdown), then the thread ends."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        if wait:
            self._thread.join()
