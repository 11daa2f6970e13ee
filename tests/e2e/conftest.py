"""End-to-end fixtures: a throwaway copy of the project deploying to the suite's emulator."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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

    def deploy_py(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the project's CLI as a user would, against the suite's emulator."""
        return subprocess.run(
            [sys.executable, "deploy.py", *args], cwd=self.root, env=dict(os.environ),
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )


def copy_project(destination: Path) -> Project:
    shutil.copytree(PROJECT_ROOT, destination, ignore=_NOT_COPIED)
    return Project(destination)


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory, local_target: Target) -> Project:
    """One project copy shared by the session (its deployed services are reused across tests)."""
    return copy_project(tmp_path_factory.mktemp("project") / "repo")
