"""`unlock`: force-release a service's deploy lock that a crashed deploy left, recorded in the ledger."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.common import EXIT_OK, add_env, add_service

if TYPE_CHECKING:
    from cli.common import Subcommands


def cmd_unlock(args: argparse.Namespace) -> int:
    from pipeline.flows.recovery import release_lock

    unlocked = release_lock(args.service, args.env)
    if unlocked is None:
        print(f"{args.service} holds no deploy lock in {args.env}: nothing to release")
        return EXIT_OK
    held = unlocked.held
    state = ("stale" if unlocked.stale else
             "its holder was still refreshing it: that deploy keeps running without the lock")
    print(f"released {args.service}'s deploy lock in {args.env}, held by {held.holder.describe()}; "
          f"last heartbeat {held.silent_s:.0f}s ago ({state})")
    print(f"recorded in the ledger as {unlocked.entry.execution_id} (kind unlock; see deploy.py history)")
    return EXIT_OK


def register(commands: Subcommands) -> None:
    unlock = commands.add_parser("unlock", help="force-release a service's deploy lock (names the holder; recorded)")
    add_service(unlock)
    add_env(unlock)
    unlock.set_defaults(handler=cmd_unlock)
