"""`deploy` and `changed`: run services through the pipeline, or say which ones would run and why."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from cli.common import EXIT_OK, add_env, positive_count, seconds, service_name
from cli.render import print_report, print_results
from cli.reporters import LineReporter, SilentReporter, TableReporter, wants_table

if TYPE_CHECKING:
    from cli.common import Subcommands


def cmd_deploy(args: argparse.Namespace) -> int:
    from pipeline.flows.orchestrate import changed_in_environment, deploy_services, require_committed

    names: list[str] = list(dict.fromkeys(args.service or []))
    if args.changed:
        report = changed_in_environment(args.env)
        if not args.json:
            print_report(report, as_json=False)
        names = [item.service for item in report.services]
        require_committed(names)
        if not names:
            if args.json:
                print("[]")
            return EXIT_OK
    if wants_table(args):
        with TableReporter(names) as table:
            results = deploy_services(names, args.env, table, args.jobs, args.lock_timeout)
    else:
        reporter = SilentReporter() if args.json else LineReporter()
        results = deploy_services(names, args.env, reporter, args.jobs, args.lock_timeout)
    return print_results(results, args.json)


def cmd_changed(args: argparse.Namespace) -> int:
    if args.since:
        from pipeline.changes.selection import changes_since

        report = changes_since(args.since)
    else:
        from pipeline.flows.orchestrate import changed_in_environment

        report = changed_in_environment(args.env)
    print_report(report, args.json)
    return EXIT_OK


def register(commands: Subcommands) -> None:
    deploy = commands.add_parser("deploy", help="run services through test, package, plan, deploy and verify")
    chosen = deploy.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--service", type=service_name, action="append",
                        help="service name (a folder under services/); repeatable")
    chosen.add_argument("--changed", action="store_true", help="every service changed since its last successful deploy")
    add_env(deploy)
    deploy.add_argument("--jobs", type=positive_count, default=os.cpu_count() or 1, help="pipelines run at once (default: cores)")
    deploy.add_argument("--json", action="store_true", help="print the executions as JSON instead of progress")
    deploy.add_argument("--lock-timeout", type=seconds, metavar="SECONDS",
                        help="fail when another deploy of a service holds its lock this long (default: 15 minutes)")
    deploy.set_defaults(handler=cmd_deploy)

    changed = commands.add_parser("changed", help="list the services a deploy --changed would deploy, and why")
    add_env(changed, help="environment whose ledger gives each service's base")
    changed.add_argument("--since", help="compare every service with this commit instead of the ledger")
    changed.add_argument("--json", action="store_true", help="print one JSON object")
    changed.set_defaults(handler=cmd_changed)
