"""Where the project and its git-ignored working state live."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def local_dir() -> Path:
    """The git-ignored folder for emulator state, Terraform data dirs and caches.

    `DEPLOY_LOCAL_DIR` moves it, so tests get an emulator and state of their own.
    """
    override = os.environ.get("DEPLOY_LOCAL_DIR")
    return Path(override) if override else PROJECT_ROOT / ".local"


def tool_dir() -> Path:
    """The folder for the generated Terraform CLI config and the shared provider cache.

    Shared by every local dir of one checkout, so tests reuse the developer's provider cache.
    """
    return PROJECT_ROOT / ".local" / "terraform"


def artifact_cache_dir() -> Path:
    """Built artifacts by input hash; shared by every local dir of one checkout."""
    return PROJECT_ROOT / ".local" / "cache" / "artifacts"
