"""End-to-end fixtures: a throwaway copy of the project deploying to the suite's emulator."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.aws import Target
from pipeline.paths import PROJECT_ROOT

_NOT_COPIED = shutil.ignore_patterns(".git", ".local", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache")


@dataclass(frozen=True)
class Project:
    """A copy of the repository, so tests may edit services without touching the real tree."""

    root: Path

    def deploy_py(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run the project's CLI as a user would, against the suite's emulator (`env` added)."""
        return subprocess.run(
            [sys.executable, "deploy.py", *args], cwd=self.root, env={**os.environ, **(env or {})},
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )


def copy_project(destination: Path) -> Project:
    shutil.copytree(PROJECT_ROOT, destination, ignore=_NOT_COPIED)
    return Project(destination)


@pytest.fixture(scope="session")
def gateway_port(local_target: Target) -> Iterator[int]:
    """The port `deploy.py serve` uses in this session; deploys point services' API URLs at it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEPLOY_GATEWAY_PORT", str(port))
        yield port


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory, local_target: Target, gateway_port: int) -> Project:
    """One project copy shared by the session (its deployed services are reused across tests)."""
    return copy_project(tmp_path_factory.mktemp("project") / "repo")
