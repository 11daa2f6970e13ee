"""What every command shares: exit codes and argument types and options used across commands.

Every argument is checked here, at the edge: a value that cannot be right is a usage error (exit 2)
naming the argument and what it accepts, before anything is started or read from AWS.
"""

from __future__ import annotations

import argparse
import re
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


def positive_count(text: str) -> int:
    """An argparse type: a whole number of at least 1 (e.g. --jobs)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def port(text: str) -> int:
    """An argparse type: a TCP port, 1-65535, or 0 for any free one."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535, or 0 for any free one)")
    return int(text)


def service_name(text: str) -> str:
    """An argparse type: a service that exists under services/. Refuses others listing the known ones."""
    from pipeline.project.services import service_names

    known = service_names()
    if text not in known:
        raise argparse.ArgumentTypeError(f"unknown service {text!r} (known services: {', '.join(known) or 'none'})")
    return text


def environment_name(text: str) -> str:
    """An argparse type: an environment environments.toml defines. Refuses others listing the defined ones.

    A file that cannot be read lets the name through: the command then names the file's problem.
    """
    from pipeline.errors import ManifestError
    from pipeline.project.environments import environments_file, load_environments

    try:
        defined = load_environments()
    except ManifestError:
        return text
    if text not in defined:
        raise argparse.ArgumentTypeError(
            f"unknown environment {text!r} (defined in {environments_file().name}: {', '.join(defined) or 'none'})"
        )
    return text


_EXECUTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def execution_id(text: str) -> str:
    """An argparse type: an execution id as `history` shows them (or CI names them: letters, digits, . _ -)."""
    if not _EXECUTION_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an execution id (letters, digits, '.', '_', '-'; e.g. from history)")
    return text


def correlation_id(text: str) -> str:
    """An argparse type: the x-correlation-id a request carried (not empty, one line, at most 256 characters)."""
    if not text.strip() or len(text) > 256 or "\n" in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a correlation id (the x-correlation-id a request carried)")
    return text


def add_env(parser: argparse.ArgumentParser, help: str = "environment from environments.toml (default: local)") -> None:
    parser.add_argument("--env", type=environment_name, default="local", help=help)


def add_service(parser: argparse.ArgumentParser, help: str = "service name (a folder under services/)") -> None:
    parser.add_argument("--service", type=service_name, required=True, help=help)
