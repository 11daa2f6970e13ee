"""`remove`: destroy a service's resources in one environment, after showing the destroy plan."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cli.common import EXIT_FAILED, EXIT_OK, add_env, add_service, seconds

if TYPE_CHECKING:
    from cli.common import Subcommands
    from pipeline.flows.removal import DestroyPlan


def cmd_remove(args: argparse.Namespace) -> int:
    from pipeline.errors import PolicyViolation
    from pipeline.flows.removal import remove_service
    from pipeline.state.locks import LOCK_TIMEOUT_S

    def confirm(plan: DestroyPlan) -> bool:
        print(f"remove {plan.service} from {plan.environment}: the saved destroy plan deletes "
              f"{len(plan.resources)} resources:")
        for address in plan.resources:
            print(f"  - {address}")
        if args.yes:
            return True
        if not sys.stdin.isatty():
            raise PolicyViolation("remove: no terminal to confirm on; nothing was destroyed",
                                  "review the plan above and pass --yes (as CI does)")
        answer = input(f"type the service name ({plan.service}) to destroy these resources: ")
        return answer.strip() == plan.service

    timeout_s = LOCK_TIMEOUT_S if args.lock_timeout is None else args.lock_timeout
    removed = remove_service(args.service, args.env, confirm, timeout_s,
                             lambda holder: print(f"waiting for the deploy lock held by {holder}"))
    if removed is None:
        print("not confirmed: nothing was destroyed")
        return EXIT_FAILED
    print(f"{removed.service}: removed from {removed.environment} (recorded as {removed.execution_id}); "
          "artifacts and ledger records are kept")
    print(f"next: delete services/{removed.service}, then ops remove its roles with make iam-plan / make iam-apply "
          f"ENV={removed.environment}")
    return EXIT_OK


def register(commands: Subcommands) -> None:
    remove = commands.add_parser("remove", help="destroy a service's resources in an environment (shows the plan first)")
    add_service(remove)
    add_env(remove)
    remove.add_argument("--yes", action="store_true", help="destroy without asking (CI); the plan is still shown")
    remove.add_argument("--lock-timeout", type=seconds, metavar="SECONDS",
                        help="fail when a deploy of the service holds its lock this long (default: 15 minutes)")
    remove.set_defaults(handler=cmd_remove)
