#!/usr/bin/env python3
"""The deploy CLI: parses arguments, calls pipeline/, prints results, sets the exit code.

Exit codes: 0 ok, 1 a pipeline error (one line plus a hint), 2 usage, 3 a bug, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import Interrupted, PipelineError
from pipeline.ledger import StageRecord

if TYPE_CHECKING:
    from pipeline.changes import ChangeReport
    from pipeline.ledger import LedgerEntry
    from pipeline.orchestrate import PipelineResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class LineReporter:
    """Plain progress lines, one per stage event, readable in a terminal and in CI logs."""

    def stage_started(self, service: str, stage: str) -> None:
        print(f"[{service}] {stage} ...", flush=True)

    def stage_finished(self, service: str, record: StageRecord) -> None:
        detail = f": {record.detail}" if record.detail else ""
        print(f"[{service}] {record.name} {record.status} in {record.seconds:.1f}s{detail}", flush=True)

    def note(self, service: str, message: str) -> None:
        print(f"[{service}] {message}", flush=True)


class SilentReporter:
    """For --json: progress is not printed, the result is."""

    def stage_started(self, service: str, stage: str) -> None: ...
    def stage_finished(self, service: str, record: StageRecord) -> None: ...
    def note(self, service: str, message: str) -> None: ...


class TableReporter:
    """A live table on a terminal: one row per service, one column per stage."""

    def __init__(self, services: Sequence[str]) -> None:
        from rich.console import Console
        from rich.live import Live

        from pipeline.run import STAGES

        self._stages = STAGES
        self._cells: dict[str, dict[str, str]] = {name: dict.fromkeys(STAGES, "[dim]waiting[/]") for name in services}
        self._guard = threading.Lock()
        self._live = Live(self._table(), console=Console(), refresh_per_second=8)

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        table.add_column("service", style="bold")
        for stage in self._stages:
            table.add_column(stage)
        for service, cells in self._cells.items():
            table.add_row(service, *cells.values())
        return table

    def _set(self, service: str, stage: str, text: str) -> None:
        with self._guard:
            self._cells[service][stage] = text
            self._live.update(self._table())

    def __enter__(self) -> TableReporter:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def stage_started(self, service: str, stage: str) -> None:
        self._set(service, stage, "[yellow]running[/]")

    def stage_finished(self, service: str, record: StageRecord) -> None:
        style = {"succeeded": "green", "failed": "red"}.get(record.status, "dim")
        self._set(service, record.name, f"[{style}]{record.status} {record.seconds:.1f}s[/]")

    def note(self, service: str, message: str) -> None:
        self._live.console.print(f"[{service}] {message}", markup=False, highlight=False)


def _wants_table(args: argparse.Namespace) -> bool:
    return not args.json and sys.stdout.isatty() and os.environ.get("CI", "").lower() != "true"


def _print_report(report: ChangeReport, as_json: bool) -> None:
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


def cmd_changed(args: argparse.Namespace) -> int:
    if args.since:
        from pipeline.selection import changes_since

        report = changes_since(args.since)
    else:
        from pipeline.orchestrate import changed_in_environment

        report = changed_in_environment(args.env)
    _print_report(report, args.json)
    return EXIT_OK


def _print_results(results: list[PipelineResult], as_json: bool) -> int:
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


def cmd_deploy(args: argparse.Namespace) -> int:
    from pipeline.orchestrate import changed_in_environment, deploy_services, require_committed

    names: list[str] = list(dict.fromkeys(args.service or []))
    if args.changed:
        report = changed_in_environment(args.env)
        if not args.json:
            _print_report(report, as_json=False)
        names = [item.service for item in report.services]
        require_committed(names)
        if not names:
            if args.json:
                print("[]")
            return EXIT_OK
    if _wants_table(args):
        with TableReporter(names) as table:
            results = deploy_services(names, args.env, table, args.jobs, args.lock_timeout)
    else:
        reporter = SilentReporter() if args.json else LineReporter()
        results = deploy_services(names, args.env, reporter, args.jobs, args.lock_timeout)
    return _print_results(results, args.json)


def _history_row(entry: LedgerEntry) -> str:
    stages = "  ".join(f"{stage.name}:{stage.status}({stage.seconds:.1f}s)" for stage in entry.stages)
    origin = (entry.commit[:10] or "no-commit") + ("" if entry.from_commit else "+uncommitted")
    kind = f"{entry.kind} from {entry.origin}" if entry.origin else entry.kind
    return (f"{entry.execution_id}  {entry.service:<16} {entry.environment:<6} {origin:<23} "
            f"{entry.result:<9} {entry.artifact_sha256[:12] or '-':<12}  {kind}  {stages}")


def cmd_history(args: argparse.Namespace) -> int:
    from pipeline.ledger import Ledger
    from pipeline.orchestrate import environment_target

    entries = Ledger(environment_target(args.env)).executions(args.service)
    if args.json:
        print(json.dumps([asdict(entry) for entry in entries], indent=2))
    elif not entries:
        print("no executions recorded")
    for entry in [] if args.json else entries:
        print(_history_row(entry))
    return EXIT_OK


def cmd_stage(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline import stage_commands

    if args.stage == "test":
        print(f"[{args.service}] test passed: {stage_commands.test_stage(args.service)}")
    elif args.stage == "package":
        packaged = stage_commands.package_stage(args.service, Path(args.out))
        print(f"[{args.service}] packaged {packaged.path} sha256 {packaged.sha256} ({'cached' if packaged.cached else 'built'})")
    elif args.stage == "deploy":
        artifact = Path(args.artifact) if args.artifact else None
        entry = stage_commands.deploy_stage(args.service, args.env, artifact, args.execution)
        print(f"[{args.service}] deployed to {entry.environment} (execution {entry.execution_id}, "
              f"artifact {entry.artifact_sha256}); verify next")
    else:
        entry = stage_commands.verify_stage(args.service, args.env, args.execution)
        print(f"[{args.service}] verified in {entry.environment}: {entry.stages[-1].detail} (execution {entry.execution_id})")
    return EXIT_OK


def cmd_promote(args: argparse.Namespace) -> int:
    from pipeline.promotion import promote

    entry = promote(args.service, args.source, args.to)
    print(f"{entry.service}: promoted {entry.origin} to {entry.environment} (execution {entry.execution_id}, "
          f"artifact {entry.artifact_sha256[:12]}, live -> {_versions(entry)})")
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    from pipeline.promotion import rollback

    entry = rollback(args.service, args.env, args.to)
    print(f"{entry.service}: rolled {entry.environment} back to execution {entry.origin} (live -> {_versions(entry)}, "
          f"artifact {entry.artifact_sha256[:12]}; recorded as {entry.execution_id})")
    return EXIT_OK


def _versions(entry: LedgerEntry) -> str:
    return ", ".join(f"{function}@{version}" for function, version in sorted(entry.versions.items()))


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from pipeline.aws import connect
    from pipeline.bootstrap import apply_bootstrap
    from pipeline.environments import get_environment
    from pipeline.toolchain import ensure_toolchain

    environment = get_environment(args.env)
    apply_bootstrap(connect(environment), ensure_toolchain())
    print(f"ops/bootstrap applied to {environment.name}: buckets {environment.state_bucket}, {environment.artifact_bucket}")
    return EXIT_OK


def cmd_pipelines(args: argparse.Namespace) -> int:
    from pipeline import pipelines

    if args.action == "triggers":
        filters = pipelines.trigger_filters()
        print(json.dumps({name: asdict(found) for name, found in filters.items()}, indent=2))
        return EXIT_OK
    from pipeline.aws import connect
    from pipeline.environments import get_environment
    from pipeline.toolchain import ensure_toolchain

    result = pipelines.apply_pipelines(connect(get_environment(args.env)), ensure_toolchain())
    print(f"ops/pipelines applied to {args.env}" if result.changed else f"ops/pipelines in {args.env}: no changes")
    return EXIT_OK


def cmd_emulator(args: argparse.Namespace) -> int:
    from pipeline import emulator

    if args.action == "start":
        running, started = emulator.ensure_running()
        print(f"emulator {'started' if started else 'already running'} at {running.endpoint} (pid {running.pid})")
    elif args.action == "stop":
        stopped = emulator.stop()
        print(f"emulator stopped (pid {stopped.pid})" if stopped else "no emulator was running")
    else:
        found = emulator.current()
        print(f"emulator running at {found.endpoint} (pid {found.pid})" if found else "emulator not running")
    return EXIT_OK


def cmd_invoke(args: argparse.Namespace) -> int:
    from pipeline.invoke import invoke_function, read_event

    invocation = invoke_function(args.service, args.function, read_event(args.event), args.env)
    print(invocation.payload)
    if invocation.function_error:
        print(f"error: {invocation.function}:live (version {invocation.version}) failed "
              f"({invocation.function_error})", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.gateway import HOST, connect_local, gateway_port, load_routes, make_server

    target = connect_local(args.env)
    server = make_server(target, args.port if args.port is not None else gateway_port())
    print(f"gateway at http://{HOST}:{server.server_port}/<service>/<path> (emulator {target.endpoint})")
    for route in load_routes(target):
        method, path = route.route_key.split(" ", 1)
        print(f"  {method:6} /{route.service}{path}  [{route.authorization}] -> {route.function_arn.split(':function:')[1]}")
    print("Ctrl-C stops it", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def cmd_new_service(args: argparse.Namespace) -> int:
    from pipeline.scaffold import create_service

    created = create_service(args.name, args.description or f"The {args.name} service.")
    print(f"created services/{created.name}:")
    for path in created.files:
        print(f"  {path}")
    print(f"next: make deploy SERVICE={created.name}, then make serve and curl "
          f"http://127.0.0.1:4580/{created.name}/status")
    print("ops: ops/iam reads every manifest; apply it to create the execution role(s) "
          f"{', '.join(created.roles)} (path /services/{created.name}/; logs and X-Ray only until the manifest "
          "asks for more). The pipeline applies it itself in local; elsewhere: make iam-plan, review, make iam-apply.")
    return EXIT_OK


def cmd_toolchain(args: argparse.Namespace) -> int:
    from pipeline.roots import all_roots, root_id
    from pipeline.toolchain import ensure_toolchain, lock_root

    toolchain = ensure_toolchain()
    source = f"mirror {toolchain.mirror}" if toolchain.mirror else "the registry"
    print(f"{toolchain.binary} {toolchain.version}; providers from {source}")
    if args.action == "lock":
        for root in all_roots():
            lock_root(toolchain, root)
            print(f"locked {root_id(root)}")
    return EXIT_OK


def cmd_iam(args: argparse.Namespace) -> int:
    from pipeline import iam_review
    from pipeline.aws import connect
    from pipeline.environments import get_environment
    from pipeline.toolchain import ensure_toolchain

    target = connect(get_environment(args.env))
    toolchain = ensure_toolchain()
    if args.action == "plan":
        planned = iam_review.plan(target, toolchain)
        for root in planned.applied_roots:
            print(f"applied {root} as ops (local environment only)")
        print(f"IAM changes planned for {args.env}:")
        print("\n".join(f"  {line}" for line in planned.summary.lines()))
        print(f"saved plan: {planned.plan_file}")
        print(f"review it, then: make iam-apply ENV={args.env}")
    else:
        applied = iam_review.apply(target, toolchain)
        print(f"applied the reviewed ops/iam plan to {args.env}:")
        print("\n".join(f"  {line}" for line in applied.lines()))
    return EXIT_OK


def cmd_scan(args: argparse.Namespace) -> int:
    from pipeline.scan import scan_files, scan_project

    report = scan_project()
    print(f"checkov: {len(scan_files())} files clean; {len(report.passed)} checks passed, "
          f"{len(report.skipped)} suppressed inline with a reason")
    return EXIT_OK


def cmd_drift(args: argparse.Namespace) -> int:
    from pipeline.drift import check_drift
    from pipeline.services import service_names

    drifted = []
    for name in args.service or service_names():
        report = check_drift(name, args.env, reconcile=args.reconcile)
        if not report.deployed:
            print(f"{name}: not deployed to {args.env}, nothing to compare")
        elif not report.drifted:
            print(f"{name}: no drift")
        for line in report.drifted:
            print(f"{name}: {'reconciled' if report.reconciled else 'drift'} {line}")
        if report.drifted and not report.reconciled:
            drifted.append(name)
    if drifted:
        print(f"hint: review the above, then put Terraform's settings back: python deploy.py drift --reconcile "
              f"--env {args.env} {' '.join(f'--service {name}' for name in drifted)}", file=sys.stderr)
    return EXIT_FAILED if drifted else EXIT_OK


def cmd_state(args: argparse.Namespace) -> int:
    from pipeline.recovery import push_unsaved_state

    pushed = push_unsaved_state(args.service, args.env)
    print(f"pushed {pushed} to {args.service}'s backend in {args.env}" if pushed else
          f"{args.service} has no unsaved state in {args.env}: nothing to push")
    return EXIT_OK


def _seconds(text: str) -> float:
    """An argparse type: a finite, non-negative number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (e.g. 60)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deploy.py", description="Test, package and deploy services.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for unexpected errors")
    commands = parser.add_subparsers(dest="command", required=True)

    deploy = commands.add_parser("deploy", help="run services through test, package, plan, deploy and verify")
    chosen = deploy.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--service", action="append", help="service name (a folder under services/); repeatable")
    chosen.add_argument("--changed", action="store_true", help="every service changed since its last successful deploy")
    deploy.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    deploy.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="pipelines run at once (default: cores)")
    deploy.add_argument("--json", action="store_true", help="print the executions as JSON instead of progress")
    deploy.add_argument("--lock-timeout", type=_seconds, metavar="SECONDS",
                        help="fail when another deploy of a service holds its lock this long (default: 15 minutes)")
    deploy.set_defaults(handler=cmd_deploy)

    changed = commands.add_parser("changed", help="list the services a deploy --changed would deploy, and why")
    changed.add_argument("--env", default="local", help="environment whose ledger gives each service's base")
    changed.add_argument("--since", help="compare every service with this commit instead of the ledger")
    changed.add_argument("--json", action="store_true", help="print one JSON object")
    changed.set_defaults(handler=cmd_changed)

    history = commands.add_parser("history", help="past pipeline executions from the environment's ledger")
    history.add_argument("--service", help="only this service")
    history.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    history.add_argument("--json", action="store_true", help="print the executions as JSON")
    history.set_defaults(handler=cmd_history)

    promote = commands.add_parser("promote", help="deploy what last passed in one environment to another, unchanged")
    promote.add_argument("--service", required=True, help="service name (a folder under services/)")
    promote.add_argument("--from", dest="source", required=True, help="environment whose last passing execution is promoted")
    promote.add_argument("--to", required=True, help="environment to deploy it to")
    promote.set_defaults(handler=cmd_promote)

    rollback = commands.add_parser("rollback", help="move a service's live alias back to an earlier recorded version")
    rollback.add_argument("--service", required=True, help="service name (a folder under services/)")
    rollback.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    rollback.add_argument("--to", help="execution id from `history` to restore (default: the one before live)")
    rollback.set_defaults(handler=cmd_rollback)

    stage = commands.add_parser("stage", help="run one stage of a service, as CI runners do")
    stage.add_argument("stage", choices=("test", "package", "deploy", "verify"))
    stage.add_argument("--service", required=True, help="service name (a folder under services/)")
    stage.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    stage.add_argument("--out", default="dist", help="package: folder for <service>.zip and .sha256 (default: dist)")
    stage.add_argument("--artifact", help="deploy: a zip from `stage package` (default: build from the tree)")
    stage.add_argument("--execution", default="", help="deploy/verify: execution id in the ledger (default: new / the newest)")
    stage.set_defaults(handler=cmd_stage)

    bootstrap = commands.add_parser("bootstrap", help="ops: create the environment's state and artifact buckets")
    bootstrap.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    bootstrap.set_defaults(handler=cmd_bootstrap)

    pipelines = commands.add_parser("pipelines", help="ops: show the pipeline triggers or apply ops/pipelines")
    pipelines.add_argument("action", choices=("triggers", "apply"))
    pipelines.add_argument("--env", default="local", help="environment holding the pipelines (default: local)")
    pipelines.set_defaults(handler=cmd_pipelines)

    emulator = commands.add_parser("emulator", help="start, stop or show the local AWS emulator")
    emulator.add_argument("action", choices=("start", "stop", "status"))
    emulator.set_defaults(handler=cmd_emulator)

    invoke = commands.add_parser("invoke", help="invoke a deployed function's live alias and print its response")
    invoke.add_argument("--service", required=True, help="service name (a folder under services/)")
    invoke.add_argument("--function", required=True, help="function name from the service's manifest")
    invoke.add_argument("--event", type=Path, help="JSON file with the event (default: {})")
    invoke.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    invoke.set_defaults(handler=cmd_invoke)

    serve = commands.add_parser("serve", help="local API gateway on 127.0.0.1 routing to every deployed service's API")
    serve.add_argument("--port", type=int, help="port to listen on (default: DEPLOY_GATEWAY_PORT or 4580)")
    serve.add_argument("--env", default="local", help="an emulator environment from environments.toml (default: local)")
    serve.set_defaults(handler=cmd_serve)

    new_service = commands.add_parser("new-service", help="create services/<name> from the templates")
    new_service.add_argument("--name", required=True, help="service name: lower case letters, digits, hyphens")
    new_service.add_argument("--description", help="one line for the manifest")
    new_service.set_defaults(handler=cmd_new_service)

    iam = commands.add_parser("iam", help="ops: plan ops/iam with a summary of IAM changes, or apply the reviewed plan")
    iam.add_argument("action", choices=("plan", "apply"))
    iam.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    iam.set_defaults(handler=cmd_iam)

    toolchain = commands.add_parser("toolchain", help="check Terraform and its providers, or regenerate lock files")
    toolchain.add_argument("action", choices=("check", "lock"))
    toolchain.set_defaults(handler=cmd_toolchain)

    scan = commands.add_parser("scan", help="checkov over modules/, ops/ and every service root (offline)")
    scan.set_defaults(handler=cmd_scan)

    drift = commands.add_parser("drift", help="show (or --reconcile) changes made outside Terraform; exit 1 on drift")
    drift.add_argument("--service", action="append", help="service name; repeat for several (default: every service)")
    drift.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    drift.add_argument("--reconcile", action="store_true", help="apply the reviewed plan that puts Terraform's settings back")
    drift.set_defaults(handler=cmd_drift)

    state = commands.add_parser("state", help="push a state an interrupted apply could not save")
    state.add_argument("action", choices=("push",))
    state.add_argument("--service", required=True, help="service name (a folder under services/)")
    state.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    state.set_defaults(handler=cmd_state)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pipeline.terraform import install_stop_handler, stop_signal

    install_stop_handler()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return int(exit.code or 0)
    try:
        code = int(args.handler(args))
        stopped = stop_signal()
        return 128 + stopped if stopped is not None else code
    except PipelineError as err:
        print(f"error: {err.message}", file=sys.stderr)
        if err.hint:
            print(f"hint: {err.hint}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return 128 + err.signal_number if isinstance(err, Interrupted) else EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        stopped = stop_signal()
        return 128 + stopped if stopped is not None else EXIT_INTERRUPTED
    except Exception:
        if args.debug:
            traceback.print_exc()
        else:
            print("error: unexpected failure (a bug); run again with --debug for the traceback", file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
