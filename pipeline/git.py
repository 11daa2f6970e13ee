"""The few git facts the pipeline needs, each a small typed function over the git CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pipeline.paths import PROJECT_ROOT


def _git(*args: str, cwd: Path = PROJECT_ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def head_commit(cwd: Path = PROJECT_ROOT) -> str:
    """The checked-out commit, or "" in a repository with no commits (or no repository)."""
    try:
        return _git("rev-parse", "HEAD", cwd=cwd).strip()
    except (subprocess.CalledProcessError, OSError):
        return ""


def has_uncommitted_changes(path: Path, cwd: Path = PROJECT_ROOT) -> bool:
    """Whether anything under `path` differs from HEAD, untracked files included."""
    try:
        return bool(_git("status", "--porcelain", "--", str(path), cwd=cwd).strip())
    except (subprocess.CalledProcessError, OSError):
        return True
