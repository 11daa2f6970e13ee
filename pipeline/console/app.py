"""The local console under the gateway's `/_console`: one static page and a JSON API over pipeline/.

`/_console` serves console.html (a small script, no build step); the page reads
`/_console/api/status` (the same ServiceStatus the `status` command prints, with each service's
recent executions and their stages), `/_console/api/graph` (the `graph` command's Mermaid text,
and SVG when Graphviz is installed) and `/_console/api/logs?correlation_id=ID` (the `logs
--correlation-id` records). Read-only: nothing here changes what is deployed.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pipeline.aws import Target
from pipeline.errors import PipelineError
from pipeline.flows import graph, logs
from pipeline.flows.status import environment_status, summary_of
from pipeline.local.gateway import HttpResponse
from pipeline.state.ledger import Ledger

PREFIX = "/_console"
PAGE = Path(__file__).with_name("console.html")
RECENT_EXECUTIONS = 5
_LOG_WINDOW_S = 86400.0  # the log search looks back a day


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json", "cache-control": "no-store"},
                        json.dumps(body).encode())


def status_document(target: Target) -> dict[str, Any]:
    """Every service's status plus its most recent executions (newest first), as JSON-ready data."""
    services = []
    for status in environment_status(target):
        executions = Ledger(target.for_service(status.service)).executions(status.service)
        services.append({**asdict(status), "executions": [
            asdict(summary_of(entry)) for entry in reversed(executions[-RECENT_EXECUTIONS:])]})
    return {"environment": target.environment.name, "generated_at": time.time(), "services": services}


def graph_document() -> dict[str, Any]:
    """The system graph as Mermaid text, and as SVG when Graphviz's dot is installed."""
    drawn = graph.system_graph()
    return {"mermaid": graph.mermaid(drawn), "svg": graph.svg(drawn) if shutil.which("dot") else None}


def logs_document(target: Target, correlation_id: str) -> dict[str, Any]:
    """One request's log lines across every service, in order. Raises LogQueryError for a bad ID."""
    start_ms = int((time.time() - _LOG_WINDOW_S) * 1000)
    records = logs.read(target, logs.every_function(target.environment.name), start_ms,
                        logs.correlation_pattern(correlation_id))
    return {"records": [{"timestamp_ms": r.timestamp_ms, "function": r.function, "level": r.level,
                         "correlation_id": r.correlation_id, "message": r.text} for r in records]}


def handle_console(target: Target, method: str, url: str) -> HttpResponse:
    """Answer a request under /_console: the page, or one of its JSON documents."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if method not in ("GET", "HEAD"):
        return _json(405, {"message": "the console is read-only"})
    try:
        if path == PREFIX:
            return HttpResponse(200, {"content-type": "text/html; charset=utf-8", "cache-control": "no-store"},
                                PAGE.read_bytes())
        if path == f"{PREFIX}/api/status":
            return _json(200, status_document(target))
        if path == f"{PREFIX}/api/graph":
            return _json(200, graph_document())
        if path == f"{PREFIX}/api/logs":
            correlation_id = (parse_qs(parts.query).get("correlation_id") or [""])[0]
            return _json(200, logs_document(target, correlation_id))
    except PipelineError as err:
        return _json(400, {"message": err.message, "hint": err.hint})
    return _json(404, {"message": "Not Found"})
