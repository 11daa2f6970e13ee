"""Lambda Invoke in the emulator without Docker: run the deployed artifact in a warm worker process.

moto runs functions in a Docker container; these machines have no Docker. `install` replaces
`LambdaFunction.invoke` (the narrowest hook: it receives the resolved version, so aliases and
versions run their own code) with a runner that extracts the zip moto stored (the bytes whose
SHA-256 the function reports as CodeSha256) into a cache keyed by that hash and hands the event
to a worker of that version (lambda_workers: one process per execution environment, handler
imported once, reused while warm, capped at the reserved concurrency, killed at the timeout,
data segment limited to the function's memory size). The worker gets the function's environment
variables, Lambda's reserved variables, AWS_ENDPOINT_URL pointing back at the emulator and
credentials of a session on the function's execution role, so IAM enforcement applies the
role's grants to the function's own calls. Its output goes to CloudWatch Logs
`/aws/lambda/<name>`, one stream per invocation.

An alias's weighted routing (AdditionalVersionWeights, a rollout in progress) picks the version
per invocation, as Lambda does. Every invocation publishes Lambda's metrics (Invocations, Errors,
Throttles, Duration by FunctionName, as the emulator's own account) to the emulator's CloudWatch,
so the pipeline evaluates the functions' alarm rules on them during a rollout.

Not emulated: layers, provisioned concurrency, the init phase's own 10 s limit (the first
invocation's timeout covers the import), queued retries of throttled asynchronous events.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import random
import shutil
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

from pipeline.emulator.lambda_workers import (
    WORKERS,
    InvalidRequestContent,
    Throttled,
    Worker,
    WorkerExited,
    WorkerKey,
    WorkerTimedOut,
)
from pipeline.paths import local_dir

LOG_TAIL_BYTES = 4096  # Lambda returns the last 4 KB of the log with LogType=Tail
_SESSION_SECONDS = 3600
_CREDENTIALS_RENEW_AFTER_S = 900  # a warm worker gets a new session well before its old one expires
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


def function_env(function: Any, endpoint: str) -> dict[str, str]:
    """A worker's environment at init: Lambda's reserved variables, then the function's own."""
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
        AWS_REGION=function.region,
        AWS_DEFAULT_REGION=function.region,
        AWS_ENDPOINT_URL=endpoint,
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        _LAMBDA_INVOKED_ARN=function.function_arn,
        _LAMBDA_MEMORY_LIMIT_BYTES=str(int(function.memory_size) * 1024 * 1024),
    )
    if function.tracing_config.get("Mode") == "Active":
        # As Lambda does for active tracing; segments go to a daemon address nobody listens on.
        env.update(AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:2000", AWS_XRAY_CONTEXT_MISSING="LOG_ERROR")
    return env


def invocation_env(function: Any, request_id: str, log_stream: str, deadline_ms: int,
                   trace_header: str | None) -> dict[str, str | None]:
    """What changes per invocation in a warm worker; None unsets a variable the previous one had.

    The trace header is the caller's (botocore sends `_X_AMZN_TRACE_ID` of a calling function as
    X-Amzn-Trace-Id), so one request keeps one trace across functions; else a new one when the
    function traces actively.
    """
    if trace_header is None and function.tracing_config.get("Mode") == "Active":
        trace_header = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=1"
    return {"_LAMBDA_REQUEST_ID": request_id, "_LAMBDA_DEADLINE_MS": str(deadline_ms),
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream, "_X_AMZN_TRACE_ID": trace_header}


def timed_out(request_id: str, timeout: float) -> dict[str, str]:
    """Lambda's error payload for a function killed at its timeout."""
    return {"errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"}


def worker_key(function: Any) -> WorkerKey:
    """The key of the environments that may serve `function` (a resolved version): code and configuration."""
    configuration = json.dumps([function.code_sha_256, function.handler, function.run_time, function.role,
                                function.memory_size, function.timeout, function.environment_vars,
                                function.tracing_config], sort_keys=True, default=str)
    return WorkerKey(function.function_name, str(function.version),
                     hashlib.sha256(configuration.encode()).hexdigest())


def _function_settings(function: Any) -> tuple[int | None, set[str]]:
    """The function's reserved concurrency and the versions its aliases route to (weights included)."""
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[function.account_id][function.region]
    reserved = backend.get_function(function.function_name).reserved_concurrency
    versions = {"$LATEST"}
    for alias in backend.list_aliases(function.function_name):
        routing: Any = alias.routing_config or {}
        versions.add(str(alias.function_version))
        versions.update(str(v) for v in routing.get("AdditionalVersionWeights") or {})
    return (None if reserved is None else int(reserved)), versions


def _credentials(function: Any, worker: Worker) -> dict[str, str | None]:
    """Fresh role credentials when the worker's are old, else nothing (its environment keeps them).

    They carry AWS_CREDENTIAL_EXPIRATION, so boto3 clients a handler built at import time re-read
    the environment before they expire instead of signing with stale keys.
    """
    if time.monotonic() - worker.credentials_issued_at < _CREDENTIALS_RENEW_AFTER_S:
        return {}
    worker.credentials_issued_at = time.monotonic()
    return {**role_session(function), "AWS_CREDENTIAL_EXPIRATION": datetime.fromtimestamp(
        time.time() + _SESSION_SECONDS, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def run(function: Any, event: bytes, endpoint: str, request_id: str, log_stream: str,
        trace_header: str | None = None) -> Outcome:
    """Run `function`'s deployed code on `event` in a warm worker, within its timeout.

    Raises InvalidRequestContent for a payload that is not JSON, Throttled past the function's
    reserved concurrency.
    """
    try:
        parsed = json.loads(event or b"{}")
    except ValueError as err:
        raise InvalidRequestContent(str(err)) from None
    timeout = float(function.timeout)
    reserved, referenced = _function_settings(function)
    key = worker_key(function)
    worker = WORKERS.acquire(key, reserved, referenced,
                             lambda: Worker(key, code_dir(function.code_bytes), function_env(function, endpoint)))
    try:
        env = {**invocation_env(function, request_id, log_stream, int((time.time() + timeout) * 1000), trace_header),
               **_credentials(function, worker)}
        answer = worker.call(parsed, env, timeout)
    except WorkerTimedOut as stopped:
        return Outcome(False, timed_out(request_id, timeout), stopped.log)
    except WorkerExited as died:
        message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {died.status}"
        return Outcome(False, {"errorType": "Runtime.ExitError", "errorMessage": message}, died.log)
    finally:
        WORKERS.release(worker)
    return Outcome(answer.ok, answer.payload, answer.log)


def write_log(function: Any, log_stream: str, lines: list[str], started_ms: int) -> None:
    """Append an invocation's log lines to a new stream of the function's log group.

    The first line (START) is stamped with the invocation's start, the rest with now, so a
    reader ordering by time sees START before the function's own (self-timestamped) lines.
    """
    logs = function.logs_backend
    logs.ensure_log_group(function.logs_group_name)
    logs.create_log_stream(function.logs_group_name, log_stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": started_ms if index == 0 else now, "message": line} for index, line in enumerate(lines)]
    logs.put_log_events(function.logs_group_name, log_stream, events)


def publish_metrics(function: Any, ok: bool, millis: float, throttled: bool = False) -> None:
    """Lambda's per-invocation metrics, put into the emulator's CloudWatch as the emulator's own account.

    A throttled request counts as a throttle only, as in Lambda: it never ran.
    """
    from moto.cloudwatch.models import cloudwatch_backends

    dimensions = [{"Name": "FunctionName", "Value": function.function_name}]
    values = {"Throttles": (1.0, "Count")} if throttled else {
        "Invocations": (1.0, "Count"), "Errors": (0.0 if ok else 1.0, "Count"), "Throttles": (0.0, "Count"),
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
        started, started_ms = time.monotonic(), int(time.time() * 1000)
        try:
            outcome = run(function, event, endpoint, request_id, log_stream, request_headers.get("x-amzn-trace-id"))
        except Throttled:
            publish_metrics(function, ok=True, millis=0.0, throttled=True)
            raise
        millis = (time.monotonic() - started) * 1000
        lines = [f"START RequestId: {request_id} Version: {function.version}", *outcome.log.splitlines(),
                 f"END RequestId: {request_id}",
                 f"REPORT RequestId: {request_id}\tDuration: {millis:.2f} ms\tMemory Size: {function.memory_size} MB"]
        write_log(function, log_stream, lines, started_ms)
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
