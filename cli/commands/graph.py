"""`graph`: services, their modules, libs and tables, and the calls between them, as Mermaid, DOT or SVG."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cli.common import EXIT_OK, add_env

if TYPE_CHECKING:
    from cli.common import Subcommands


def cmd_graph(args: argparse.Namespace) -> int:
    from pipeline.flows import graph

    drawn = graph.system_graph()
    if args.changed or args.since:
        if args.since:
            from pipeline.changes.selection import changes_since

            report = changes_since(args.since)
        else:
            from pipeline.flows.orchestrate import changed_in_environment

            report = changed_in_environment(args.env)
        drawn = graph.with_changes(drawn, report)
    render = {"mermaid": graph.mermaid, "dot": graph.dot, "svg": graph.svg}[args.format]
    text = render(drawn)
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return EXIT_OK


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("graph", help="draw services, modules, libs, tables and calls (Mermaid, DOT, SVG)")
    parser.add_argument("--format", choices=("mermaid", "dot", "svg"), default="mermaid", help="default: mermaid")
    parser.add_argument("--changed", action="store_true",
                        help="highlight the services `changed` would select in --env (reasons as comments/tooltips)")
    parser.add_argument("--since", help="with --changed: compare with this commit instead of the ledger")
    parser.add_argument("--out", help="write to this file instead of standard output")
    add_env(parser, help="with --changed: environment whose ledger gives each service's base (default: local)")
    parser.set_defaults(handler=cmd_graph)
