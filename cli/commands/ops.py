"""Ops' commands: `bootstrap`, `pipelines`, `iam`, `scan` and `toolchain`."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from cli.common import EXIT_OK, add_env

if TYPE_CHECKING:
    from cli.common import Subcommands


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from pipeline.aws import connect
    from pipeline.project.environments import get_environment
    from pipeline.state.bootstrap import apply_bootstrap
    from pipeline.terraform.toolchain import ensure_toolchain

    environment = get_environment(args.env)
    apply_bootstrap(connect(environment), ensure_toolchain())
    print(f"ops/bootstrap applied to {environment.name}: buckets {environment.state_bucket}, {environment.artifact_bucket}")
    return EXIT_OK


def cmd_pipelines(args: argparse.Namespace) -> int:
    from pipeline.flows import codepipeline

    if args.action == "triggers":
        filters = codepipeline.trigger_filters()
        print(json.dumps({name: asdict(found) for name, found in filters.items()}, indent=2))
        return EXIT_OK
    from pipeline.aws import connect
    from pipeline.project.environments import get_environment
    from pipeline.terraform.toolchain import ensure_toolchain

    result = codepipeline.apply_pipelines(connect(get_environment(args.env)), ensure_toolchain())
    print(f"ops/pipelines applied to {args.env}" if result.changed else f"ops/pipelines in {args.env}: no changes")
    return EXIT_OK


def cmd_iam(args: argparse.Namespace) -> int:
    from pipeline.aws import connect
    from pipeline.flows import iam_review
    from pipeline.project.environments import get_environment
    from pipeline.terraform.toolchain import ensure_toolchain

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
    from pipeline.policy.scan import scan_files, scan_project

    report = scan_project()
    print(f"checkov: {len(scan_files())} files clean; {len(report.passed)} checks passed, "
          f"{len(report.skipped)} suppressed inline with a reason")
    return EXIT_OK


def cmd_toolchain(args: argparse.Namespace) -> int:
    from pipeline.terraform.roots import all_roots, root_id
    from pipeline.terraform.toolchain import ensure_toolchain, lock_root

    toolchain = ensure_toolchain()
    source = f"mirror {toolchain.mirror}" if toolchain.mirror else "the registry"
    print(f"{toolchain.binary} {toolchain.version}; providers from {source}")
    if args.action == "lock":
        for root in all_roots():
            lock_root(toolchain, root)
            print(f"locked {root_id(root)}")
    return EXIT_OK


def register(commands: Subcommands) -> None:
    bootstrap = commands.add_parser("bootstrap", help="ops: create the environment's state and artifact buckets")
    add_env(bootstrap)
    bootstrap.set_defaults(handler=cmd_bootstrap)

    pipelines = commands.add_parser("pipelines", help="ops: show the pipeline triggers or apply ops/pipelines")
    pipelines.add_argument("action", choices=("triggers", "apply"))
    add_env(pipelines, help="environment holding the pipelines (default: local)")
    pipelines.set_defaults(handler=cmd_pipelines)

    iam = commands.add_parser("iam", help="ops: plan ops/iam with a summary of IAM changes, or apply the reviewed plan")
    iam.add_argument("action", choices=("plan", "apply"))
    add_env(iam)
    iam.set_defaults(handler=cmd_iam)

    toolchain = commands.add_parser("toolchain", help="check Terraform and its providers, or regenerate lock files")
    toolchain.add_argument("action", choices=("check", "lock"))
    toolchain.set_defaults(handler=cmd_toolchain)

    scan = commands.add_parser("scan", help="checkov over modules/, ops/ and every service root (offline)")
    scan.set_defaults(handler=cmd_scan)
