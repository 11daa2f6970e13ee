"""`history`, `promote`, `rollback` and `stage`: what ran, moving releases between environments, CI's one-stage runs."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from cli.common import (
    EXIT_OK,
    add_env,
    add_service,
    environment_name,
    execution_id,
    service_name,
)
from cli.render import history_row, live_versions

if TYPE_CHECKING:
    from cli.common import Subcommands


def cmd_history(args: argparse.Namespace) -> int:
    from pipeline.flows.orchestrate import environment_target
    from pipeline.state.ledger import Ledger

    entries = Ledger(environment_target(args.env)).history(args.service)
    if args.json:
        print(json.dumps([asdict(entry) for entry in entries], indent=2))
    elif not entries:
        print("no executions recorded")
    for entry in [] if args.json else entries:
        print(history_row(entry))
    return EXIT_OK


def cmd_promote(args: argparse.Namespace) -> int:
    from pipeline.flows.promotion import promote

    entry = promote(args.service, args.source, args.to)
    print(f"{entry.service}: promoted {entry.origin} to {entry.environment} (execution {entry.execution_id}, "
          f"artifact {entry.artifact_sha256[:12]}, live -> {live_versions(entry)})")
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    from pipeline.flows.promotion import rollback

    entry = rollback(args.service, args.env, args.to)
    print(f"{entry.service}: rolled {entry.environment} back to execution {entry.origin} (live -> {live_versions(entry)}, "
          f"artifact {entry.artifact_sha256[:12]}; recorded as {entry.execution_id})")
    return EXIT_OK


def cmd_stage(args: argparse.Namespace) -> int:
    from pipeline.flows import single_stage

    if args.stage == "test":
        print(f"[{args.service}] test passed: {single_stage.test_stage(args.service)}")
    elif args.stage == "package":
        packaged = single_stage.package_stage(args.service, Path(args.out))
        print(f"[{args.service}] packaged {packaged.path} sha256 {packaged.sha256} ({'cached' if packaged.cached else 'built'})")
    elif args.stage == "deploy":
        artifact = Path(args.artifact) if args.artifact else None
        entry = single_stage.deploy_stage(args.service, args.env, artifact, args.execution or "")
        print(f"[{args.service}] deployed to {entry.environment} (execution {entry.execution_id}, "
              f"artifact {entry.artifact_sha256}); verify next")
    else:
        entry = single_stage.verify_stage(args.service, args.env, args.execution or "")
        print(f"[{args.service}] verified in {entry.environment}: {entry.stages[-1].detail} (execution {entry.execution_id})")
    return EXIT_OK


def register(commands: Subcommands) -> None:
    history = commands.add_parser("history", help="past pipeline executions from the environment's ledger")
    history.add_argument("--service", type=service_name, help="only this service")
    add_env(history)
    history.add_argument("--json", action="store_true", help="print the executions as JSON")
    history.set_defaults(handler=cmd_history)

    promote = commands.add_parser("promote", help="deploy what last passed in one environment to another, unchanged")
    add_service(promote)
    promote.add_argument("--from", dest="source", type=environment_name, required=True,
                         help="environment whose last passing execution is promoted")
    promote.add_argument("--to", type=environment_name, required=True, help="environment to deploy it to")
    promote.set_defaults(handler=cmd_promote)

    rollback = commands.add_parser("rollback", help="move a service's live alias back to an earlier recorded version")
    add_service(rollback)
    add_env(rollback)
    rollback.add_argument("--to", type=execution_id, help="execution id from `history` to restore (default: the one before live)")
    rollback.set_defaults(handler=cmd_rollback)

    stage = commands.add_parser("stage", help="run one stage of a service, as CI runners do")
    stage.add_argument("stage", choices=("test", "package", "deploy", "verify"))
    add_service(stage)
    add_env(stage)
    stage.add_argument("--out", default="dist", help="package: folder for <service>.zip and .sha256 (default: dist)")
    stage.add_argument("--artifact", help="deploy: a zip from `stage package` (default: build from the tree)")
    stage.add_argument("--execution", type=execution_id, help="deploy/verify: execution id in the ledger (default: new / the newest)")
    stage.set_defaults(handler=cmd_stage)
