"""Functions' logs from CloudWatch Logs, merged across streams and services, the same locally and in AWS.

A service's functions log to `/aws/lambda/<env>-<service>-<function>`; service_kit's handlers
write Powertools JSON lines (level, message, correlation_id, ...), the runtime writes plain
START/END/REPORT lines. Records are ordered by the time the function logged them (the JSON
line's own timestamp when it has one, else CloudWatch's), so one request's path across services
reads in order.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.aws import Identity, Target
from pipeline.errors import PipelineError
from pipeline.project.naming import function_name
from pipeline.project.services import load_service, service_names

_DURATION = re.compile(r"(?P<amount>\d+(?:\.\d+)?)(?P<unit>[smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Powertools' default timestamp, e.g. "2026-11-30 12:34:56,789+0000".
_POWERTOOLS_TIME = "%Y-%m-%d %H:%M:%S,%f%z"
FOLLOW_POLL_SECONDS = 1.0


class LogQueryError(PipelineError):
    """A log query that cannot run: a bad --since, an unknown function, an unreadable group."""


@dataclass(frozen=True)
class LogRecord:
    """One log line of one function: when, where, and the parsed Powertools fields if it is JSON."""

    timestamp_ms: int  # when the function logged it
    function: str  # the deployed function's name, e.g. local-location-get_location
    stream: str
    message: str  # the raw line
    event_id: str
    fields: dict[str, Any] = field(default_factory=dict, compare=False)  # empty for plain lines

    @property
    def level(self) -> str:
        return str(self.fields.get("level", ""))

    @property
    def correlation_id(self) -> str:
        return str(self.fields.get("correlation_id") or "")

    @property
    def text(self) -> str:
        """The line's message: Powertools' `message` for JSON lines, else the line itself."""
        return str(self.fields["message"]) if "message" in self.fields else self.message.rstrip("\n")


def parse_since(text: str) -> float:
    """Seconds in a duration like 30s, 15m, 2h or 1d. Raises LogQueryError for anything else."""
    found = _DURATION.fullmatch(text.strip())
    if found is None:
        raise LogQueryError(f"--since {text!r} is not a duration", "use a number and a unit: 30s, 15m, 2h or 1d")
    return float(found.group("amount")) * _UNIT_SECONDS[found.group("unit")]


def record_of(function: str, event: Mapping[str, Any]) -> LogRecord:
    """A LogRecord from one filter_log_events event of `function`'s group."""
    message = str(event["message"])
    fields: dict[str, Any] = {}
    timestamp_ms = int(event["timestamp"])
    if message.lstrip().startswith("{"):
        try:
            parsed = json.loads(message)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            fields = parsed
            try:
                timestamp_ms = int(datetime.strptime(str(parsed.get("timestamp")), _POWERTOOLS_TIME).timestamp() * 1000)
            except ValueError:
                pass
    return LogRecord(timestamp_ms, function, str(event.get("logStreamName", "")), message,
                     str(event.get("eventId", "")), fields)


def group_name(function: str) -> str:
    return f"/aws/lambda/{function}"


def service_functions(environment: str, service: str, function: str | None = None) -> list[str]:
    """The deployed names of a service's functions (or of one). Raises ServiceNotFound, LogQueryError."""
    manifest = load_service(service).manifest
    if function is not None and function not in manifest.functions:
        raise LogQueryError(f"service {service} has no function '{function}'",
                            f"its functions: {', '.join(sorted(manifest.functions))}")
    names = [function] if function is not None else sorted(manifest.functions)
    return [function_name(environment, service, name) for name in names]


def every_function(environment: str) -> list[str]:
    """The deployed names of every function of every service in the repository."""
    return [name for service in service_names() for name in service_functions(environment, service)]


def read(target: Target, functions: list[str], start_ms: int, filter_pattern: str = "") -> list[LogRecord]:
    """Every record of `functions` since `start_ms` (matching the pattern), in the order they were logged.

    Functions never invoked (no log group yet) have no records. Raises LogQueryError when the
    logs cannot be read (permissions, throttling).
    """
    from botocore.exceptions import ClientError

    logs = target.client("logs", Identity.OPS)
    records: list[LogRecord] = []
    for function in functions:
        arguments: dict[str, Any] = {"logGroupName": group_name(function), "startTime": start_ms}
        if filter_pattern:
            arguments["filterPattern"] = filter_pattern
        try:
            for page in logs.get_paginator("filter_log_events").paginate(**arguments):
                records.extend(record_of(function, event) for event in page["events"])
        except ClientError as err:
            if err.response["Error"]["Code"] == "ResourceNotFoundException":
                continue
            raise LogQueryError(f"cannot read {group_name(function)}: {err.response['Error']['Message']}",
                                "check that the ops identity may call logs:FilterLogEvents") from None
    return sorted(records, key=lambda record: (record.timestamp_ms, record.function))


def correlation_pattern(correlation_id: str) -> str:
    """A filter pattern matching lines that contain the ID exactly. Raises LogQueryError for odd IDs."""
    if not correlation_id or not re.fullmatch(r"[A-Za-z0-9-]{1,128}", correlation_id):
        raise LogQueryError(f"{correlation_id!r} is not a correlation ID",
                            "pass the x-correlation-id a response carried (letters, digits and dashes)")
    return f'"{correlation_id}"'


def follow(target: Target, functions: list[str], start_ms: int, filter_pattern: str = "",
           poll_seconds: float = FOLLOW_POLL_SECONDS) -> Iterator[list[LogRecord]]:
    """Batches of new records, polling until the caller stops iterating (Ctrl-C in the CLI).

    Each event is yielded once, although polls overlap by a few seconds so late-written lines
    whose timestamps are older than the last seen one are not missed.
    """
    seen: set[tuple[str, str]] = set()
    overlap_ms = 5000
    while True:
        batch = [r for r in read(target, functions, start_ms, filter_pattern) if (r.function, r.event_id) not in seen]
        seen.update((r.function, r.event_id) for r in batch)
        if batch:
            start_ms = max(start_ms, max(r.timestamp_ms for r in batch) - overlap_ms)
        yield batch
        time.sleep(poll_seconds)
