"""A service's life outside the pipeline: `new-service`, `drift` and `state push`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cli.common import EXIT_FAILED, EXIT_OK, add_env, add_service, service_name

if TYPE_CHECKING:
    from cli.common import Subcommands


def cmd_new_service(args: argparse.Namespace) -> int:
    from pipeline.flows.scaffold import create_service

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


def cmd_drift(args: argparse.Namespace) -> int:
    from pipeline.flows.drift import check_drift
    from pipeline.project.services import service_names

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
    from pipeline.flows.recovery import push_unsaved_state

    pushed = push_unsaved_state(args.service, args.env)
    print(f"pushed {pushed} to {args.service}'s backend in {args.env}" if pushed else
          f"{args.service} has no unsaved state in {args.env}: nothing to push")
    return EXIT_OK


def register(commands: Subcommands) -> None:
    new_service = commands.add_parser("new-service", help="create services/<name> from the templates")
    new_service.add_argument("--name", required=True, help="service name: lower case letters, digits, hyphens")
    new_service.add_argument("--description", help="one line for the manifest")
    new_service.set_defaults(handler=cmd_new_service)

    drift = commands.add_parser("drift", help="show (or --reconcile) changes made outside Terraform; exit 1 on drift")
    drift.add_argument("--service", type=service_name, action="append", help="service name; repeat for several (default: every service)")
    add_env(drift)
    drift.add_argument("--reconcile", action="store_true", help="apply the reviewed plan that puts Terraform's settings back")
    drift.set_defaults(handler=cmd_drift)

    state = commands.add_parser("state", help="push a state an interrupted apply could not save")
    state.add_argument("action", choices=("push",))
    add_service(state)
    add_env(state)
    state.set_defaults(handler=cmd_state)
