"""What every command shares: exit codes and argument types and options used across commands."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypeAlias

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def seconds(text: str) -> float:
    """An argparse type: a finite, non-negative number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (e.g. 60)")
    return value


def add_env(parser: argparse.ArgumentParser, help: str = "environment from environments.toml (default: local)") -> None:
    parser.add_argument("--env", default="local", help=help)


def add_service(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--service", required=True, help="service name (a folder under services/)")
