"""Warm execution environments for the emulator's Lambda: worker processes kept between invocations.

A worker is a long-lived `lambda_bootstrap.py` child for one function version and configuration
(its key): it imports the handler once and then serves one invocation at a time over pipes, as a
Lambda execution environment does. The pool keeps idle workers per key and starts another only
when all are busy; past the function's reserved concurrency it throttles as Lambda does (429
TooManyRequestsException). A worker goes when it idles for IDLE_SECONDS, when its function's
version or configuration is replaced (a new key for the same version, or a version no alias
points at any more once another version runs), when it times out or dies, and when the emulator
exits. Each worker runs in its own session, so a timeout kills the function's children as well.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.core.exceptions import JsonRESTError

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
IDLE_SECONDS = 300.0  # Lambda keeps an idle environment for minutes; so do we
_REAP_EVERY_S = 10.0


class Throttled(JsonRESTError):
    """Lambda's answer when a function is at its reserved concurrency."""

    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.")
        self.description = json.dumps({"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
                                       "Type": "User", "message": "Rate Exceeded."})


class InvalidRequestContent(JsonRESTError):
    """Lambda's answer to an Invoke whose payload is not JSON."""

    def __init__(self, reason: str) -> None:
        super().__init__("InvalidRequestContentException", f"Could not parse request body into json: {reason}")


class WorkerTimedOut(Exception):
    """The invocation ran past its deadline; the worker was killed. Carries the output so far."""

    def __init__(self, log: str) -> None:
        super().__init__("timed out")
        self.log = log


class WorkerExited(Exception):
    """The worker died during the invocation (exit, signal). Carries its output and exit status."""

    def __init__(self, log: str, status: int | None) -> None:
        super().__init__(f"exited with {status}")
        self.log = log
        self.status = status


@dataclass(frozen=True)
class WorkerKey:
    """What a worker was started for: a function version with one configuration."""

    function: str  # the unqualified function name
    version: str
    fingerprint: str  # code hash and configuration: any change needs a new environment


@dataclass(frozen=True)
class Answer:
    """What the handler returned (or Lambda's error payload) and the invocation's output."""

    ok: bool
    payload: Any
    log: str


class Worker:
    """One execution environment: a bootstrap process serving invocations over its stdin/stdout."""

    def __init__(self, key: WorkerKey, code_dir: Path, env: Mapping[str, str]) -> None:
        self.key = key
        self.last_used = time.monotonic()
        self.credentials_issued_at = float("-inf")  # forces credentials into the first invocation
        self._scratch = Path(tempfile.mkdtemp(prefix="lambda-worker-"))
        self._pending = b""
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(BOOTSTRAP)], cwd=code_dir, env=dict(env),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(self, event: Any, env: Mapping[str, str | None], timeout: float) -> Answer:
        """Run one invocation. Raises WorkerTimedOut or WorkerExited (the worker is then unusable)."""
        log_path = self._scratch / f"{uuid.uuid4().hex}.log"
        log_path.touch(mode=0o600)
        request = json.dumps({"event": event, "env": dict(env), "log": str(log_path)}) + "\n"
        deadline = time.monotonic() + timeout
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(request.encode())
            self.process.stdin.flush()
            line = self._read_line(deadline)
        except BrokenPipeError:
            line = b""
        finally:
            self.last_used = time.monotonic()
        if line is None:
            self.stop()
            raise WorkerTimedOut(_read_log(log_path))
        if not line:
            self.stop()
            raise WorkerExited(_read_log(log_path), self.process.returncode)
        answer = json.loads(line)
        log = _read_log(log_path)
        if answer["fatal"]:
            self.stop()
        return Answer(bool(answer["ok"]), answer["payload"], log)

    def _read_line(self, deadline: float) -> bytes | None:
        """The next answer line; None at the deadline, b"" when the worker closed its end."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return b""
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def stop(self) -> None:
        """Kill the worker and everything it started; idempotent."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        shutil.rmtree(self._scratch, ignore_errors=True)


def _read_log(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    path.unlink(missing_ok=True)
    return text


class Pool:
    """Idle workers by key, invocations in flight by function, and the reaper of idle workers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[WorkerKey, list[Worker]] = collections.defaultdict(list)
        self._in_flight: collections.Counter[str] = collections.Counter()
        self._current: dict[tuple[str, str], WorkerKey] = {}  # (function, version) -> newest key
        self._reaper: threading.Thread | None = None

    def acquire(self, key: WorkerKey, reserved_concurrency: int | None, referenced_versions: set[str],
                start: Callable[[], Worker]) -> Worker:
        """An idle worker for `key`, else a new one from `start`. Raises Throttled at the limit.

        Idle workers of the same function are retired when their key is replaced: an older
        configuration of this version, or a version no alias references any more.
        """
        retired: list[Worker] = []
        with self._lock:
            if reserved_concurrency is not None and self._in_flight[key.function] >= reserved_concurrency:
                raise Throttled()
            self._in_flight[key.function] += 1
            self._current[(key.function, key.version)] = key
            for other in [k for k in self._idle if k.function == key.function and k != key]:
                if other.version == key.version or other.version not in referenced_versions:
                    retired.extend(self._idle.pop(other))
            idle = self._idle.get(key, [])
            worker = None
            while idle and worker is None:
                candidate = idle.pop()
                if candidate.process.poll() is None:
                    worker = candidate
                else:  # killed while idle (by hand, or the kernel's OOM killer): not reusable
                    retired.append(candidate)
            self._start_reaper()
        for old in retired:
            old.stop()
        if worker is not None:
            return worker
        try:
            return start()
        except BaseException:
            with self._lock:
                self._in_flight[key.function] -= 1
            raise

    def release(self, worker: Worker) -> None:
        """Return a worker after an invocation: kept if alive and still current, else stopped."""
        with self._lock:
            self._in_flight[worker.key.function] -= 1
            current = self._current.get((worker.key.function, worker.key.version)) == worker.key
            keep = current and worker.process.poll() is None
            if keep:
                self._idle[worker.key].append(worker)
        if not keep:
            worker.stop()

    def idle_workers(self) -> dict[WorkerKey, list[int]]:
        """The pids of idle workers by key (for tests and status)."""
        with self._lock:
            return {key: [w.pid for w in workers] for key, workers in self._idle.items() if workers}

    def stop_idle(self, older_than: float) -> None:
        """Stop every idle worker unused for `older_than` seconds."""
        cutoff = time.monotonic() - older_than
        stale: list[Worker] = []
        with self._lock:
            for key, workers in list(self._idle.items()):
                stale.extend(w for w in workers if w.last_used <= cutoff)
                self._idle[key] = [w for w in workers if w.last_used > cutoff]
        for worker in stale:
            worker.stop()

    def _start_reaper(self) -> None:
        if self._reaper is None:
            def reap() -> None:
                while True:
                    time.sleep(_REAP_EVERY_S)
                    self.stop_idle(IDLE_SECONDS)

            self._reaper = threading.Thread(target=reap, name="lambda-worker-reaper", daemon=True)
            self._reaper.start()


WORKERS = Pool()
atexit.register(WORKERS.stop_idle, 0.0)
