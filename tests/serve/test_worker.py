"""The model worker: one job at a time, a waiting line that refuses beyond its length, deadlines that stop
waiting and running jobs, a close that finishes what was accepted."""

from __future__ import annotations

import threading
import time

import pytest
from serving import holding

from audio_omni.serve.worker import JobTimeoutError, ModelWorker, QueueFullError, ServeLimits, WorkerClosedError


def test_line_holds_max_waiting_and_refuses_beyond(make_worker):
    worker = make_worker(ServeLimits(max_waiting=3))
    with holding(worker):
        waiting = [worker.submit(lambda model, on_step, i=i: i, f"job {i}") for i in range(3)]
        assert worker.waiting == 3 and worker.busy
        with pytest.raises(QueueFullError, match="3 requests are waiting"):
            worker.submit(lambda model, on_step: None)
    assert [job.result() for job in waiting] == [0, 1, 2]
    assert worker.waiting == 0


def test_a_cancelled_waiting_job_never_runs_and_frees_its_place(make_worker):
    worker = make_worker(ServeLimits(max_waiting=1))
    ran = []
    with holding(worker):
        job = worker.submit(lambda model, on_step: ran.append(1))
        assert worker.waiting == 1
        assert job.future.cancel()
        assert worker.waiting == 0  # its place is free at once, not when the worker reaches it
        worker.submit(lambda model, on_step: "next")  # so this one fits in the line of one
    worker.submit(lambda model, on_step: "after").result()
    assert ran == []


def test_a_running_job_stops_at_its_next_step_after_the_deadline(make_worker):
    worker = make_worker(ServeLimits(timeout_seconds=0.5))

    def slow(model, on_step):
        for step in range(1, 1000):
            time.sleep(0.05)
            on_step(step, 999)
        return "finished"

    started = time.monotonic()
    with pytest.raises(JobTimeoutError, match="time limit"):
        worker.submit(slow, "slow").result()
    assert time.monotonic() - started < 5
    assert worker.submit(lambda model, on_step: "free again").result() == "free again"


def test_a_job_past_its_deadline_while_waiting_is_dropped(make_worker):
    worker = make_worker(ServeLimits(timeout_seconds=0.3))
    ran = []
    with holding(worker):
        job = worker.submit(lambda model, on_step: ran.append(1))
        time.sleep(0.5)
    with pytest.raises(JobTimeoutError):
        job.result()
    assert ran == []


def test_errors_reach_the_caller_and_the_worker_goes_on(make_worker, example_clip):
    worker = make_worker()
    with pytest.raises(Exception, match="unknown task"):
        worker.run(lambda model, on_step: model.generate("T2X", "rain", steps=1))
    out = worker.run(lambda model, on_step: model.edit(example_clip, ("Remove", "cow mooing"), steps=1, seed=3,
                                                       progress=on_step))
    assert out.seed == 3 and abs(out.duration - 3.0) < 0.05
    assert (worker.completed, worker.failed) == (1, 1)


def test_close_finishes_accepted_jobs_then_refuses(serve_model):
    worker = ModelWorker(serve_model, "debug-small", ServeLimits(max_waiting=4))
    release = threading.Event()
    first = worker.submit(lambda model, on_step: release.wait(30))
    queued = worker.submit(lambda model, on_step: "queued")
    closer = threading.Thread(target=worker.close)
    closer.start()
    time.sleep(0.2)
    with pytest.raises(WorkerClosedError):
        worker.submit(lambda model, on_step: None)
    release.set()
    closer.join(30)
    assert first.result() is True and queued.result() == "queued"
