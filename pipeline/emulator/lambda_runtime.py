"""Lambda Invoke in the emulator without Docker: run the deployed artifact in a child process.

moto runs functions in a Docker container; these machines have no Docker. `install` replaces
`LambdaFunction.invoke` (the narrowest hook: it receives the resolved version, so aliases and
versions run their own code) with a runner that extracts the zip moto stored (the bytes whose
SHA-256 the function reports as CodeSha256) into a cache keyed by that hash and runs the
configured handler with `sys.executable` (boto3 is importable, as in the Lambda runtime). The
child gets the function's environment variables, Lambda's reserved variables, AWS_ENDPOINT_URL
pointing back at the emulator and credentials of a session on the function's execution role,
so IAM enforcement applies the role's grants to the function's own calls. Its output goes to
CloudWatch Logs `/aws/lambda/<name>`, one stream per invocation, as Lambda writes it.

An alias's weighted routing (AdditionalVersionWeights, a rollout in progress) picks the version
per invocation, as Lambda does. Every invocation publishes Lambda's metrics (Invocations, Errors,
Throttles, Duration by FunctionName, as the emulator's own account) to the emulator's CloudWatch,
so the pipeline evaluates the functions' alarm rules on them during a rollout.

Not emulated: memory limits, reserved-concurrency throttling, layers, container reuse.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from pipeline.paths import local_dir

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
LOG_TAIL_BYTES = 4096  # Lambda returns the last 4 KB of the log with LogType=Tail
_SESSION_SECONDS = 900
# Variables the child inherits from the emulator: enough to run Python, never its credentials.
_INHERITED = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")


@dataclass(frozen=True)
class Outcome:
    """One invocation's result: the payload, whether it is an error, and the function's output."""

    ok: bool
    payload: Any
    log: str


def code_dir(code: bytes) -> Path:
    """The artifact extracted once per content hash; concurrent first uses race safely."""
    digest = hashlib.sha256(code).hexdigest()
    target = local_dir() / "emulator" / "lambda-code" / digest
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{digest[:12]}-"))
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            archive.extractall(staging)
        try:
            staging.rename(target)
        except OSError:  # another invocation extracted it first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def role_session(function: Any) -> dict[str, str]:
    """Credentials of a fresh session on the function's execution role, issued by the emulator's STS."""
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    session = sts_backends[function.account_id][get_partition(function.region)].assume_role(
        region_name=function.region, role_session_name=function.function_name, role_arn=function.role,
        policy="", duration=_SESSION_SECONDS, external_id="",
    )
    return {
        "AWS_ACCESS_KEY_ID": session.access_key_id,
        "AWS_SECRET_ACCESS_KEY": session.secret_access_key,
        "AWS_SESSION_TOKEN": session.session_token,
    }


def function_env(function: Any, endpoint: str, request_id: str, log_stream: str, deadline_ms: int) -> dict[str, str]:
    """The child's environment: Lambda's reserved variables, then the function's own."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update({str(k): str(v) for k, v in function.environment_vars.items()})
    env.update(
        _HANDLER=function.handler,
        LAMBDA_TASK_ROOT=".",
        AWS_EXECUTION_ENV=f"AWS_Lambda_{function.run_time}",
        AWS_LAMBDA_FUNCTION_NAME=function.function_name,
        AWS_LAMBDA_FUNCTION_VERSION=str(function.version),
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.memory_size),
        AWS_LAMBDA_LOG_GROUP_NAME=function.logs_group_name,
        AWS_LAMBDA_LOG_STREAM_NAME=log_stream,
        AWS_REGION=function.region,
        AWS_DEFAULT_REGION=function.region,
        AWS_ENDPOINT_URL=endpoint,
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        _LAMBDA_REQUEST_ID=request_id,
        _LAMBDA_INVOKED_ARN=function.function_arn,
        _LAMBDA_DEADLINE_MS=str(deadline_ms),
    )
    if function.tracing_config.get("Mode") == "Active":
        # As Lambda does for active tracing; segments go to a daemon address nobody listens on.
        env.update(_X_AMZN_TRACE_ID=f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=1",
                   AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:2000", AWS_XRAY_CONTEXT_MISSING="LOG_ERROR")
    env.update(role_session(function))
    return env


def timed_out(request_id: str, timeout: float) -> dict[str, str]:
    """Lambda's error payload for a function killed at its timeout."""
    return {"errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"}


def run(function: Any, event: bytes, endpoint: str, request_id: str, log_stream: str) -> Outcome:
    """Run `function`'s deployed code on `event` in a child process, within its timeout."""
    timeout = float(function.timeout)
    deadline_ms = int((time.time() + timeout) * 1000)
    env = function_env(function, endpoint, request_id, log_stream, deadline_ms)
    with tempfile.TemporaryDirectory(prefix="invoke-") as scratch:
        result_file = Path(scratch) / "result.json"
        process = subprocess.Popen(
            [sys.executable, "-I", str(BOOTSTRAP), str(result_file)], cwd=code_dir(function.code_bytes), env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            output, _ = process.communicate(event, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            return Outcome(False, timed_out(request_id, timeout), output.decode(errors="replace"))
        log = output.decode(errors="replace")
        try:
            result = json.loads(result_file.read_text())
        except (OSError, ValueError):
            message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {process.returncode}"
            return Outcome(False, {"errorType": "Runtime.ExitError", "errorMessage": message}, log)
    return Outcome(bool(result["ok"]), result["payload"], log)


def write_log(function: Any, log_stream: str, lines: list[str]) -> None:
    """Append an invocation's log lines to a new stream of the function's log group."""
    logs = function.logs_backend
    logs.ensure_log_group(function.logs_group_name)
    logs.create_log_stream(function.logs_group_name, log_stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": line} for line in lines]
    logs.put_log_events(function.logs_group_name, log_stream, events)


def publish_metrics(function: Any, ok: bool, millis: float) -> None:
    """Lambda's per-invocation metrics, put into the emulator's CloudWatch as the emulator's own account."""
    from moto.cloudwatch.models import cloudwatch_backends

    dimensions = [{"Name": "FunctionName", "Value": function.function_name}]
    values = {"Invocations": (1.0, "Count"), "Errors": (0.0 if ok else 1.0, "Count"), "Throttles": (0.0, "Count"),
              "Duration": (millis, "Milliseconds")}
    cloudwatch_backends[function.account_id][function.region].put_metric_data("AWS/Lambda", [
        {"MetricName": name, "Value": value, "Unit": unit, "Dimensions": dimensions}  # stamped now, as moto stores it
        for name, (value, unit) in values.items()
    ])


def weighted_version(alias: Any) -> str:
    """The version an alias sends one invocation to: an AdditionalVersionWeights version by its weight, else its own."""
    weights = (alias.routing_config or {}).get("AdditionalVersionWeights") or {}
    roll = random.random()
    for version, weight in sorted(weights.items()):
        if roll < float(weight):
            return str(version)
        roll -= float(weight)
    return str(alias.function_version)


def invoke(function: Any, body: bytes | str, request_headers: Any, response_headers: Any, endpoint: str) -> bytes:
    """Lambda Invoke's response body for `function`, setting the headers Lambda sets."""
    event = body.encode() if isinstance(body, str) else (body or b"{}")
    invocation_type = request_headers.get("x-amz-invocation-type", "RequestResponse")
    if invocation_type == "DryRun":
        return b""
    request_id = str(uuid.uuid4())
    log_stream = f"{datetime.now(timezone.utc):%Y/%m/%d}/[{function.version}]{uuid.uuid4().hex}"

    def run_and_log() -> Outcome:
        started = time.monotonic()
        outcome = run(function, event, endpoint, request_id, log_stream)
        millis = (time.monotonic() - started) * 1000
        lines = [f"START RequestId: {request_id} Version: {function.version}", *outcome.log.splitlines(),
                 f"END RequestId: {request_id}",
                 f"REPORT RequestId: {request_id}\tDuration: {millis:.2f} ms\tMemory Size: {function.memory_size} MB"]
        write_log(function, log_stream, lines)
        publish_metrics(function, outcome.ok, millis)
        return outcome

    if invocation_type == "Event":
        threading.Thread(target=run_and_log, daemon=True).start()
        return b""
    outcome = run_and_log()
    response_headers["x-amz-executed-version"] = str(function.version)
    if not outcome.ok:
        response_headers["x-amz-function-error"] = "Unhandled"
    tail = outcome.log.encode()[-LOG_TAIL_BYTES:]
    response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
    return json.dumps(outcome.payload).encode()


def route_by_alias_weights(request: Any) -> None:
    """Point an Invoke of a weighted alias (by Qualifier or in the ARN) at the version its weights pick.

    moto always runs the alias's own version; Lambda splits traffic by AdditionalVersionWeights.
    """
    prefix, quoted_name, rest = request.path.rsplit("/", 2)
    name, qualifier = unquote(quoted_name), request.querystring["qualifier"][0]
    if name.startswith("arn:") and name.count(":") == 7:  # arn:partition:lambda:region:account:function:name:qualifier
        name, _, qualifier = name.rpartition(":")
    if qualifier == "$LATEST" or qualifier.isdigit():
        return
    try:
        alias = request.backend.get_alias(qualifier, name)
    except Exception:  # an unknown alias: moto answers the Invoke with its own error
        return
    version = weighted_version(alias)
    request.path = f"{prefix}/{quote(name.rsplit(':', 1)[-1] if name.startswith('arn:') else name, safe='')}/{rest}"
    request.querystring["qualifier"] = [version]


def install(endpoint: str) -> None:
    """Make the emulator's Lambda Invoke run functions as child processes calling back to `endpoint`."""
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda.responses import LambdaResponse

    def patched_invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
        return invoke(self, body, request_headers, response_headers, endpoint)

    LambdaFunction.invoke = patched_invoke  # type: ignore[method-assign]
    original_response: Any = LambdaResponse.invoke

    def invoke_the_requested_qualifier(self: Any) -> Any:
        # moto reads `qualifier` (lowercase) from the query string, then from the event itself;
        # clients send `Qualifier`, so without this every Invoke ran $LATEST (or the event's key).
        self.querystring["qualifier"] = self.querystring.get("Qualifier") or ["$LATEST"]
        route_by_alias_weights(self)
        return original_response(self)

    LambdaResponse.invoke = invoke_the_requested_qualifier  # type: ignore[method-assign]
