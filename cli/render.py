"""Text and JSON renderings of what pipeline/ returns."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

from cli.common import EXIT_FAILED, EXIT_OK
from pipeline.state.ledger import version_labels

if TYPE_CHECKING:
    from pipeline.changes.rules import ChangeReport
    from pipeline.flows.orchestrate import PipelineResult
    from pipeline.state.ledger import LedgerEntry


def print_report(report: ChangeReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps({
            "services": [{"service": item.service, "reasons": list(item.reasons)} for item in report.services],
            "ops_review": list(report.ops_review),
            "deleted": list(report.deleted),
        }, indent=2))
        return
    for item in report.services:
        print(f"{item.service}:")
        for reason in item.reasons:
            print(f"  - {reason}")
    if not report.services:
        print("no services to deploy")
    for path in report.ops_review:
        print(f"needs ops review (not deployed): {path}")
    for name in report.deleted:
        print(f"deleted service (reported, nothing destroyed): {name}")


def print_results(results: list[PipelineResult], as_json: bool) -> int:
    failed = [result for result in results if not result.succeeded]
    if as_json:
        print(json.dumps([
            {"service": r.service, "succeeded": r.succeeded, "error": r.error,
             "execution": asdict(r.execution) if r.execution else None}
            for r in results
        ], indent=2))
    for result in results:
        execution = result.execution
        if execution is not None and not as_json:
            total = execution.finished_at - execution.started_at
            print(f"{execution.service}: deployed to {execution.environment} in {total:.1f}s "
                  f"(execution {execution.execution_id}, artifact {execution.artifact_sha256[:12]})")
    for result in failed:
        print(f"error: {result.service}: {result.error}", file=sys.stderr)
        if result.hint:
            print(f"hint: {result.hint}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} of {len(results)} pipelines failed: {', '.join(r.service for r in failed)}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def history_row(entry: LedgerEntry) -> str:
    stages = "  ".join(f"{stage.name}:{stage.status}({stage.seconds:.1f}s)" for stage in entry.stages)
    origin = (entry.commit[:10] or "no-commit") + ("" if entry.from_commit else "+uncommitted")
    kind = f"{entry.kind} from {entry.origin}" if entry.origin else entry.kind
    return (f"{entry.execution_id}  {entry.service:<16} {entry.environment:<6} {origin:<23} "
            f"{entry.result:<9} {entry.artifact_sha256[:12] or '-':<12}  {kind}  {stages}")


def live_versions(entry: LedgerEntry) -> str:
    return version_labels(entry.versions)
