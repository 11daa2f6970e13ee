"""The operate tools' parts that need no deploy: a warm worker, watch's snapshots, the console's graph."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.console.app import graph_document
from pipeline.emulator.lambda_workers import Worker, WorkerKey, WorkerTimedOut
from pipeline.flows.watch import changed_files, snapshot

HANDLER = """import os, time

def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    print("seen", event)
    return {"pid": os.getpid(), "request": context.aws_request_id}
"""


def invocation(request_id: str) -> dict[str, str | None]:
    return {"_LAMBDA_REQUEST_ID": request_id, "_LAMBDA_DEADLINE_MS": str(int(time.time() * 1000) + 60_000),
            "AWS_LAMBDA_LOG_STREAM_NAME": f"stream-{request_id}"}


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    (tmp_path / "probe.py").write_text(HANDLER)
    env = {"PATH": os.environ["PATH"], "_HANDLER": "probe.handler", "_LAMBDA_MEMORY_LIMIT_BYTES": str(512 * 2**20),
           "AWS_LAMBDA_FUNCTION_NAME": "local-probe-fn", "AWS_LAMBDA_FUNCTION_VERSION": "1",
           "_LAMBDA_INVOKED_ARN": "arn:aws:lambda:us-east-1:123456789012:function:local-probe-fn:live",
           "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/local-probe-fn"}
    started = Worker(WorkerKey("local-probe-fn", "1", "fingerprint"), tmp_path, env)
    yield started
    started.stop()


def test_a_warm_worker_serves_invocations_in_one_process_each_with_its_own_log(worker: Worker) -> None:
    first, second = worker.call({"n": 1}, invocation("r1"), 30), worker.call({"n": 2}, invocation("r2"), 30)

    assert first.ok and second.ok
    assert first.payload == {"pid": worker.pid, "request": "r1"} and second.payload == {"pid": worker.pid, "request": "r2"}
    assert "seen {'n': 1}" in first.log and "seen {'n': 1}" not in second.log and "seen {'n': 2}" in second.log


def test_a_worker_past_its_timeout_is_stopped(worker: Worker) -> None:
    with pytest.raises(WorkerTimedOut):
        worker.call({"sleep": 5}, invocation("slow"), 0.5)

    assert worker.process.wait(timeout=5) is not None


def test_watch_sees_added_changed_and_removed_files(tmp_path: Path) -> None:
    (tmp_path / "keep.py").write_text("a = 1\n")
    (tmp_path / "gone.py").write_text("b = 1\n")
    (tmp_path / "__pycache__").mkdir()
    before = snapshot([tmp_path])
    (tmp_path / "keep.py").write_text("a = 22\n")
    (tmp_path / "gone.py").unlink()
    (tmp_path / "new.py").write_text("c = 1\n")
    (tmp_path / "__pycache__" / "keep.cpython.pyc").write_bytes(b"cache")

    assert changed_files(before, snapshot([tmp_path])) == sorted(str(tmp_path / name) for name in ("gone.py", "keep.py", "new.py"))
    assert changed_files(before, before) == []


def test_the_console_graph_names_every_reference_service() -> None:
    mermaid = graph_document()["mermaid"]

    assert all(name in mermaid for name in ("authentication", "location", "profile"))
