#!/usr/bin/env python3
"""The deploy CLI: parses arguments, calls pipeline/, prints results, sets the exit code.

Exit codes: 0 ok, 1 a pipeline error (one line plus a hint), 2 usage, 3 a bug, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from pipeline.errors import PipelineError
from pipeline.ledger import StageRecord

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


def cmd_deploy(args: argparse.Namespace) -> int:
    from pipeline.run import deploy_service

    execution = deploy_service(args.service, args.env, LineReporter())
    total = execution.finished_at - execution.started_at
    print(f"{execution.service}: deployed to {execution.environment} in {total:.1f}s "
          f"(execution {execution.execution_id}, artifact {execution.artifact_sha256[:12]})")
    return EXIT_OK


def cmd_stage(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline import stage_commands

    if args.stage == "test":
        print(f"[{args.service}] test passed: {stage_commands.test_stage(args.service)}")
    elif args.stage == "package":
        packaged = stage_commands.package_stage(args.service, Path(args.out))
        print(f"[{args.service}] packaged {packaged.path} sha256 {packaged.sha256} ({'cached' if packaged.cached else 'built'})")
    else:
        artifact = Path(args.artifact) if args.artifact else None
        entry = stage_commands.deploy_stage(args.service, args.env, artifact, args.execution)
        print(f"[{args.service}] deployed to {entry.environment} (execution {entry.execution_id}, "
              f"artifact {entry.artifact_sha256})")
    return EXIT_OK


def cmd_pipelines(args: argparse.Namespace) -> int:
    import json

    from pipeline import pipelines

    if args.action == "triggers":
        print(json.dumps(pipelines.trigger_paths(), indent=2))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deploy.py", description="Test, package and deploy services.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for unexpected errors")
    commands = parser.add_subparsers(dest="command", required=True)

    deploy = commands.add_parser("deploy", help="run a service through test, package and deploy")
    deploy.add_argument("--service", required=True, help="service name (a folder under services/)")
    deploy.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    deploy.set_defaults(handler=cmd_deploy)

    stage = commands.add_parser("stage", help="run one stage of a service, as CI runners do")
    stage.add_argument("stage", choices=("test", "package", "deploy"))
    stage.add_argument("--service", required=True, help="service name (a folder under services/)")
    stage.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    stage.add_argument("--out", default="dist", help="package: folder for <service>.zip and .sha256 (default: dist)")
    stage.add_argument("--artifact", help="deploy: a zip from `stage package` (default: build from the tree)")
    stage.add_argument("--execution", default="", help="deploy: execution id for the ledger (default: new)")
    stage.set_defaults(handler=cmd_stage)

    pipelines = commands.add_parser("pipelines", help="ops: show the pipeline triggers or apply ops/pipelines")
    pipelines.add_argument("action", choices=("triggers", "apply"))
    pipelines.add_argument("--env", default="local", help="environment holding the pipelines (default: local)")
    pipelines.set_defaults(handler=cmd_pipelines)

    emulator = commands.add_parser("emulator", help="start, stop or show the local AWS emulator")
    emulator.add_argument("action", choices=("start", "stop", "status"))
    emulator.set_defaults(handler=cmd_emulator)

    toolchain = commands.add_parser("toolchain", help="check Terraform and its providers, or regenerate lock files")
    toolchain.add_argument("action", choices=("check", "lock"))
    toolchain.set_defaults(handler=cmd_toolchain)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return int(exit.code or 0)
    try:
        return int(args.handler(args))
    except PipelineError as err:
        print(f"error: {err.message}", file=sys.stderr)
        if err.hint:
            print(f"hint: {err.hint}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:
        if args.debug:
            traceback.print_exc()
        else:
            print("error: unexpected failure (a bug); run again with --debug for the traceback", file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
