"""`status`: per service, what is live where, how the last execution went, drift, alarms and URL."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from typing import TYPE_CHECKING

from cli.common import EXIT_OK, environment_name, service_name

if TYPE_CHECKING:
    from cli.common import Subcommands
    from pipeline.flows.status import ServiceStatus


def ago(when: float, now: float) -> str:
    seconds = max(0, int(now - when))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def live_text(status: ServiceStatus) -> str:
    """`v3` when every function serves one version, else `get_location:3 put_location:2`; weights after."""
    if not status.live:
        return "not deployed"
    parts = []
    versions = {alias.version for alias in status.live}
    for alias in status.live:
        shifted = " ".join(f"+v{version}@{weight:.0%}" for version, weight in alias.weights.items())
        if shifted or len(versions) > 1:
            parts.append(f"{alias.function}:v{alias.version}{' ' + shifted if shifted else ''}")
    return " ".join(parts) if parts else f"v{versions.pop()}"


def status_row(status: ServiceStatus, now: float) -> list[str]:
    last = status.last_execution
    execution = (f"{last.kind} {last.result} {ago(last.finished_at, now)} ({last.seconds:.1f}s)" if last else "none")
    infra = {None: "-", True: "changed", False: "unchanged"}[status.infra_changed]
    return [status.service, status.environment, live_text(status), execution, infra,
            f"{len(status.drift)} drifted" if status.drift else "none",
            ", ".join(status.alarms) or "none", status.artifact_sha256[:12] or "-", status.commit[:8] or "-",
            status.api_url or "-"]


def status_table(statuses: list[ServiceStatus]) -> str:
    """A text table, one row per service and environment, a service's environments side by side."""
    now = time.time()
    header = ["SERVICE", "ENV", "LIVE", "LAST EXECUTION", "INFRA INPUTS", "DRIFT", "ALARMS", "ARTIFACT", "COMMIT", "API"]
    rows = [header] + [status_row(s, now) for s in sorted(statuses, key=lambda s: s.service)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    for status in statuses:
        lines += [f"drift in {status.environment}/{status.service}: {line}" for line in status.drift]
        lines += [f"note on {status.environment}/{status.service}: {status.note}"] if status.note else []
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    from pipeline.flows.orchestrate import environment_target
    from pipeline.flows.status import environment_status

    environments = args.env or ["local"]
    by_environment = {name: environment_status(environment_target(name), args.service) for name in environments}
    if args.json:
        print(json.dumps({name: [asdict(s) for s in statuses] for name, statuses in by_environment.items()}, indent=2))
    else:
        print(status_table([s for statuses in by_environment.values() for s in statuses]))
    return EXIT_OK


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("status", help="per service: live versions, last execution, drift, alarms, API URL")
    parser.add_argument("--env", action="append", type=environment_name,
                        help="environment from environments.toml; repeat to compare (default: local)")
    parser.add_argument("--service", action="append", type=service_name, help="only this service (repeatable; default: all)")
    parser.add_argument("--json", action="store_true", help="print the status as JSON, keyed by environment")
    parser.set_defaults(handler=cmd_status)
