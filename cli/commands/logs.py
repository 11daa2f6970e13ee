"""`logs`: functions' CloudWatch logs, merged in time order, or one request's path across services."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from cli.common import EXIT_OK, add_env, correlation_id, service_name

if TYPE_CHECKING:
    from cli.common import Subcommands
    from pipeline.flows.logs import LogRecord

_LEVEL_COLOURS = {"ERROR": "31", "CRITICAL": "31", "WARNING": "33", "INFO": "32", "DEBUG": "2"}
# Powertools keys shown in their own columns or too noisy to repeat on every line.
_SHOWN_ELSEWHERE = {"level", "message", "timestamp", "correlation_id", "service", "location", "xray_trace_id",
                    "cold_start", "function_name", "function_memory_size", "function_arn", "function_request_id",
                    "sampling_rate", "request_id", "route"}


def colour_wanted() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def log_line(record: LogRecord, environment: str, colour: bool) -> str:
    """One record as `time level function correlation-id message key=value...`."""
    when = datetime.fromtimestamp(record.timestamp_ms / 1000, timezone.utc).strftime("%H:%M:%S.%f")[:-3]
    level = f"{record.level or '-':<7}"
    if colour and record.level in _LEVEL_COLOURS:
        level = f"\033[{_LEVEL_COLOURS[record.level]}m{level}\033[0m"
    function = record.function.removeprefix(f"{environment}-")
    extras = " ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}"
                      for k, v in record.fields.items() if k not in _SHOWN_ELSEWHERE)
    text = record.text if not extras else f"{record.text}  {extras}"
    return f"{when} {level} {function:<32} {record.correlation_id or '-':<36} {text}"


def cmd_logs(args: argparse.Namespace) -> int:
    from pipeline.flows import logs
    from pipeline.flows.orchestrate import environment_target

    if args.function and not args.service:
        raise logs.LogQueryError("--function needs --service", "e.g. --service location --function get_location")
    since = logs.parse_since(args.since)
    pattern = logs.correlation_pattern(args.correlation_id) if args.correlation_id else ""
    functions = (logs.service_functions(args.env, args.service, args.function) if args.service
                 else logs.every_function(args.env))
    target = environment_target(args.env)
    start_ms = int((time.time() - since) * 1000)
    colour = colour_wanted() and not args.json

    def show(records: list[LogRecord]) -> None:
        for record in records:
            print(record.message.rstrip("\n") if args.json else log_line(record, args.env, colour), flush=True)

    if not args.follow:
        records = logs.read(target, functions, start_ms, pattern)
        show(records)
        if not records and not args.json:
            print(f"no log lines in the last {args.since}", file=sys.stderr)
        return EXIT_OK
    for batch in logs.follow(target, functions, start_ms, pattern):  # until Ctrl-C: the CLI exits 130
        show(batch)
    return EXIT_OK


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "logs", help="a service's function logs in time order, or one request across services (--correlation-id)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--service", type=service_name, help="service name (a folder under services/)")
    which.add_argument("--correlation-id", type=correlation_id, help="search every service's logs for this request's lines")
    parser.add_argument("--function", help="only this function of the service (name from its manifest)")
    parser.add_argument("--since", default="15m", help="how far back: 30s, 15m, 2h, 1d (default: 15m)")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until Ctrl-C")
    parser.add_argument("--json", action="store_true", help="print the records as logged (one JSON line each)")
    add_env(parser)
    parser.set_defaults(handler=cmd_logs)
