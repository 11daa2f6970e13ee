"""`watch`: on every saved change under a service, its tests and the code-only deploy, one line each."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from cli.common import EXIT_OK, add_env, add_service

if TYPE_CHECKING:
    from cli.common import Subcommands
    from pipeline.flows.watch import WatchUpdate


def update_line(service: str, update: WatchUpdate) -> str:
    """`12:00:01 location: live in 3.1s (get_location@7, put_location@7) <- src/location/get_location.py`."""
    files = ", ".join(path.removeprefix(f"services/{service}/") for path in update.changed[:3])
    more = f" and {len(update.changed) - 3} more" if len(update.changed) > 3 else ""
    return f"{time.strftime('%H:%M:%S')} {service}: {update.result} in {update.seconds:.1f}s ({update.detail}) <- {files}{more}"


def cmd_watch(args: argparse.Namespace) -> int:
    from pipeline.flows.watch import Watch

    watching = Watch(args.service, args.env)
    print(f"watching services/{args.service} and its libs; saved changes are tested and shipped to {args.env} "
          "(code only: no Terraform, no drift check). Ctrl-C stops.", flush=True)
    for update in watching.updates():  # until Ctrl-C: the CLI exits 130
        print(update_line(args.service, update), flush=True)
    return EXIT_OK


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("watch", help="test and ship a service's code on every saved change (code-only path)")
    add_service(parser)
    add_env(parser)
    parser.set_defaults(handler=cmd_watch)
