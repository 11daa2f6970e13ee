"""The Python Lambda runtime's loop for one invocation, run as its own process by lambda_runtime.

Usage: python lambda_bootstrap.py <result file>; the event arrives on stdin, the environment
carries what Lambda sets (_HANDLER, AWS_LAMBDA_*, credentials). It imports the handler from the
current directory (the extracted artifact), calls it once and writes
`{"ok": bool, "payload": ...}` to the result file, so the function's own stdout stays its log.
Standalone on purpose: only the artifact and the standard library (plus boto3) are importable.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any

_DEADLINE_ENV = "_LAMBDA_DEADLINE_MS"  # epoch millis at which the runner kills this process


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


def invoke(event: Any) -> tuple[bool, Any]:
    """Call the configured handler once; (True, result) or (False, Lambda's error payload)."""
    handler, failure = _load_handler()
    if failure is not None:
        return False, failure
    try:
        result = handler(event, LambdaContext())
    except Exception as err:  # an unhandled exception is the function's result, as in Lambda
        stack = traceback.format_list(traceback.extract_tb(err.__traceback__))
        print(f"[ERROR] {type(err).__name__}: {err}\n{''.join(stack)}", file=sys.stderr)
        return False, _error(type(err).__name__, str(err), stack)
    try:
        json.dumps(result)
    except (TypeError, ValueError) as err:
        return False, _error("Runtime.MarshalError", f"Unable to marshal response: {err}")
    return True, result


def main() -> None:
    result_file = sys.argv[1]
    sys.path.insert(0, os.getcwd())
    ok, payload = invoke(json.loads(sys.stdin.read() or "{}"))
    sys.stdout.flush()
    sys.stderr.flush()
    with open(result_file, "w") as out:
        json.dump({"ok": ok, "payload": payload}, out)


if __name__ == "__main__":
    main()
