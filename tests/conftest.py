"""Shared fixtures: an emulator of the suite's own, on a free port, with its own local state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import emulator
from pipeline.aws import Target, connect
from pipeline.environments import get_environment


@pytest.fixture(scope="session")
def local_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local state folder of the suite's own, so the developer's emulator is never touched."""
    folder = tmp_path_factory.mktemp("local")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEPLOY_LOCAL_DIR", str(folder))
        patch.setenv("DEPLOY_EMULATOR_PORT", "0")
        yield folder


@pytest.fixture(scope="session")
def local_target(local_dir: Path) -> Iterator[Target]:
    """The `local` environment, backed by an emulator started for this test session."""
    target = connect(get_environment("local"))
    try:
        yield target
    finally:
        emulator.stop()
