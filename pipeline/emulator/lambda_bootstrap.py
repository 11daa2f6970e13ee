"""The Python Lambda runtime's loop in one warm worker process, started by lambda_workers.

Usage: python lambda_bootstrap.py; the environment carries what Lambda sets at init (_HANDLER,
AWS_LAMBDA_*, _LAMBDA_MEMORY_LIMIT_BYTES). Each request is one JSON line on stdin:
`{"event": ..., "env": {...}, "log": path}`; `env` holds what changes per invocation (request id,
deadline, log stream, trace id, fresh credentials; a null value unsets it). The handler is
imported once, on the first request, from the current directory (the extracted artifact). During
an invocation fds 1 and 2 point at `log`, so the function's output (and its children's) is that
invocation's log; the answer `{"ok": bool, "payload": ..., "fatal": bool}` is one JSON line on
the original stdout. `fatal` means this environment cannot serve again (its init failed or it ran
out of memory): the worker exits after answering and the next invocation starts a fresh one.
Standalone on purpose: only the artifact and the standard library (plus boto3) are importable.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
import traceback
from typing import Any

_DEADLINE_ENV = "_LAMBDA_DEADLINE_MS"  # epoch millis at which the runner kills this process
_MEMORY_ENV = "_LAMBDA_MEMORY_LIMIT_BYTES"


class LambdaContext:
    """The attributes and method of Lambda's Python context object that handlers use."""

    def __init__(self) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = os.environ["_LAMBDA_INVOKED_ARN"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.aws_request_id = os.environ["_LAMBDA_REQUEST_ID"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(os.environ[_DEADLINE_ENV])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error_type: str, message: str, stack: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": os.environ["_LAMBDA_REQUEST_ID"],
            "stackTrace": stack or []}


def _load_handler() -> tuple[Any, dict[str, Any] | None]:
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # any import-time failure is the function's, reported as Lambda does
        traceback.print_exc()
        return None, _error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {err}")
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, _error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return handler, None


def _out_of_memory() -> dict[str, Any]:
    request_id = os.environ["_LAMBDA_REQUEST_ID"]
    return _error("Runtime.OutOfMemory", f"RequestId: {request_id} Error: Runtime exited with error: signal: killed")


def invoke(handler: Any, event: Any) -> tuple[bool, Any, bool]:
    """Call the handler once: (ok, result or Lambda's error payload, whether the worker must exit)."""
    try:
        result = handler(event, LambdaContext())
    except MemoryError:
        print("[ERROR] the function ran out of memory", file=sys.stderr)
        return False, _out_of_memory(), True
    except Exception as err:  # an unhandled exception is the function's result, as in Lambda
        stack = traceback.format_list(traceback.extract_tb(err.__traceback__))
        print(f"[ERROR] {type(err).__name__}: {err}\n{''.join(stack)}", file=sys.stderr)
        return False, _error(type(err).__name__, str(err), stack), False
    try:
        json.dumps(result)
    except (TypeError, ValueError) as err:
        return False, _error("Runtime.MarshalError", f"Unable to marshal response: {err}"), False
    return True, result, False


def _apply(env: dict[str, str | None]) -> None:
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _output_to(path: str) -> None:
    """Point fds 1 and 2 (and so print, logging and child processes) at `path`."""
    sys.stdout.flush()
    sys.stderr.flush()
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)


def main() -> None:
    limit = int(os.environ.pop(_MEMORY_ENV))
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    requests = os.fdopen(os.dup(0), "r")
    answers = os.fdopen(os.dup(1), "w")
    _output_to(os.devnull)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # the function reads no stdin; the request channel stays ours
    sys.path.insert(0, os.getcwd())
    handler: Any = None
    for line in requests:  # EOF: the emulator is gone or retired this worker
        request = json.loads(line)
        _apply(request["env"])
        _output_to(request["log"])
        failure = None
        if handler is None:
            handler, failure = _load_handler()
        if failure is not None:
            ok, payload, fatal = False, failure, True
        else:
            ok, payload, fatal = invoke(handler, request["event"])
        _output_to(os.devnull)
        answers.write(json.dumps({"ok": ok, "payload": payload, "fatal": fatal}) + "\n")
        answers.flush()
        if fatal:
            return


if __name__ == "__main__":
    main()
