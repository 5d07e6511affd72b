"""Warm workers: reused while healthy, replaced when a job breaks them, never reused unsandboxed."""
from autograder.sandbox import Call, Limits, TaskJob, run_submission
from autograder.workers import WorkerPool, bwrap_path

SOURCE = "def double(x):\n    return 2 * x\n"
JOB = [TaskJob("double", [Call("c0", (21,))], 5.0)]


def _value(run):
    return run.tasks["double"].outcomes["c0"].value


def test_a_sandboxed_worker_serves_one_submission_after_another():
    assert bwrap_path()
    with WorkerPool(keep=1) as pool:
        for _ in range(3):
            assert _value(run_submission([SOURCE], JOB, Limits(), True, (), pool)) == 42
        assert len(pool._idle) == 1 and pool._idle[0].served == 3


def test_a_worker_that_overruns_its_budget_is_stopped_and_replaced():
    import os
    with WorkerPool(keep=1) as pool:
        worker = pool.acquire((), True, 64)
        name = worker.new_job()
        job = {"cells": ["import time\ntime.sleep(60)"], "tasks": [], "preload": [], "public_path": "",
               "limits": {"memory_mb": 512, "output_mb": 1, "cells_seconds": 30, "cell_seconds": 30}}
        finished, _ = worker.run(name, job, lambda index: None, seconds=2.0)
        assert finished is False     # the grader gave it 2 s
        assert not worker.alive and worker.process.poll() is not None
        pool.release(worker)
        assert pool._idle == [] and not os.path.exists(worker.root)
        assert _value(run_submission([SOURCE], JOB, Limits(), True, (), pool)) == 42   # a fresh worker


def test_a_job_that_kills_its_worker_costs_only_its_task():
    killer = "import os, signal\ndef boom(x):\n    os.kill(-1, signal.SIGKILL)\n" + SOURCE
    jobs = [TaskJob("boom", [Call("c0", (1,))], 5.0)] + JOB
    with WorkerPool(keep=1) as pool:
        run = run_submission([killer], jobs, Limits(), True, (), pool)
        # in its own PID namespace the job cannot reach the worker (ESRCH: nothing to signal but its init)
        assert _value(run) == 42 and run.tasks["boom"].outcomes["c0"].kind in ("lost", "raised")
        assert _value(run_submission([SOURCE], JOB, Limits(), True, (), pool)) == 42


def test_unsandboxed_workers_serve_one_job_only():
    with WorkerPool(keep=1) as pool:
        assert _value(run_submission([SOURCE], JOB, Limits(), False, (), pool)) == 42
        assert pool._idle == []


def test_a_pool_keeps_at_most_keep_idle_workers():
    for keep in (0, 1):
        with WorkerPool(keep=keep) as pool:
            workers = [pool.acquire((), True, 64) for _ in range(2)]
            for worker in workers:
                assert _value(run_submission([SOURCE], JOB, Limits(), True, (), _Lend(pool, worker))) == 42
            assert len(pool._idle) == keep
            assert sum(w.alive for w in workers) == keep


class _Lend:
    """A pool that hands out one given worker, and gives it back to the real pool."""

    def __init__(self, pool, worker):
        self.pool, self.worker = pool, worker

    def acquire(self, *key):
        return self.worker

    def release(self, worker):
        self.pool.release(worker)

    def close(self):
        pass


def test_a_job_process_that_dies_once_in_a_task_costs_that_task_nothing(tmp_path):
    """A death the task did not cause (it happens now and then at uid+seccomp) is retried; twice, it fails."""
    marker = tmp_path / "died-once"
    once = ("import os, signal\n"
            "def flaky(x):\n"
            "    if not os.path.exists(%r):\n"
            "        open(%r, 'w').close()\n"
            "        os.kill(os.getppid(), signal.SIGKILL)   # the job process, as an outside failure would\n"
            "    return x + 1\n" % (str(marker), str(marker)))
    always = "import os, signal\ndef doomed(x):\n    os.kill(os.getppid(), signal.SIGKILL)\n"
    jobs = [TaskJob("flaky", [Call("c0", (1,))], 5.0), TaskJob("doomed", [Call("c0", (1,))], 5.0)] + JOB
    run = run_submission([once + always + SOURCE], jobs, Limits(), False, ())
    assert marker.exists() and run.tasks["flaky"].outcomes["c0"].value == 2
    assert run.tasks["doomed"].outcomes["c0"].kind == "lost" and _value(run) == 42
