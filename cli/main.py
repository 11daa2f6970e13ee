"""The entry point: one parser over every command module, one error handler at the edge.

Exit codes: 0 ok, 1 a pipeline error (one line plus a hint), 2 usage, 3 a bug, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from cli.commands import deploy, deps, local, modules, ops, releases, services, unlock
from cli.common import EXIT_BUG, EXIT_FAILED, EXIT_INTERRUPTED
from pipeline.errors import Interrupted, PipelineError

COMMAND_MODULES = (deploy, releases, local, services, ops, deps, unlock, modules)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deploy.py", description="Test, package and deploy services.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for unexpected errors")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pipeline.terraform.runner import install_stop_handler, stop_signal

    install_stop_handler()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return int(exit.code or 0)
    try:
        code = int(args.handler(args))
        stopped = stop_signal()
        return 128 + stopped if stopped is not None else code
    except PipelineError as err:
        return _failed(err, args.debug)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        stopped = stop_signal()
        return 128 + stopped if stopped is not None else EXIT_INTERRUPTED
    except Exception as err:
        from pipeline.aws import as_pipeline_error

        environment_state = as_pipeline_error(err)  # no credentials, no answer, nothing bootstrapped: not bugs
        if environment_state is not None:
            return _failed(environment_state, args.debug)
        if args.debug:
            traceback.print_exc()
        else:
            print("error: unexpected failure (a bug); run again with --debug for the traceback", file=sys.stderr)
        return EXIT_BUG


def _failed(err: PipelineError, debug: bool) -> int:
    print(f"error: {err.message}", file=sys.stderr)
    if err.hint:
        print(f"hint: {err.hint}", file=sys.stderr)
    if debug:
        traceback.print_exc()
    return 128 + err.signal_number if isinstance(err, Interrupted) else EXIT_FAILED
