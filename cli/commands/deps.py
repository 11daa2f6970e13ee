"""`deps`: regenerate the requirements locks from their `.in` lists, or check that none is stale."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.common import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from cli.common import Subcommands


def cmd_deps(args: argparse.Namespace) -> int:
    from pipeline.project.locks import lock_problem, lock_targets

    if args.action == "check":
        problems = [problem for target in lock_targets() if (problem := lock_problem(target)) is not None]
        for problem in problems:
            print(f"error: {problem}")
        if problems:
            print("hint: run make lock-deps and commit the locks")
            return EXIT_FAILED
        print(f"{len(lock_targets())} locks match their .in lists")
        return EXIT_OK
    from pipeline.flows.lock_deps import lock_all

    for result in lock_all(upgrade=args.upgrade):
        print(f"{'locked' if result.changed else 'unchanged':9} {result.lock}")
    return EXIT_OK


def register(commands: Subcommands) -> None:
    deps = commands.add_parser("deps", help="regenerate the hashed requirements locks from their .in lists, "
                                            "or check them")
    deps.add_argument("action", choices=("lock", "check"))
    deps.add_argument("--upgrade", action="store_true", help="lock: move every package to its newest allowed version")
    deps.set_defaults(handler=cmd_deps)
