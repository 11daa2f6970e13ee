"""The emulator's port: a busy one is said out loud, a bad setting is refused."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import emulator
from pipeline.errors import EmulatorError


@pytest.fixture
def own_local_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A local dir of this test's own, so it starts (and stops) an emulator beside the suite's."""
    monkeypatch.setenv("DEPLOY_LOCAL_DIR", str(tmp_path))
    try:
        yield tmp_path
    finally:
        emulator.stop()


def test_a_busy_port_moves_the_emulator_and_says_how_to_free_or_pin_one(
    own_local_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        monkeypatch.setenv(emulator.PORT_VARIABLE, str(busy))
        started = emulator.start()

    assert started.port != busy and started.busy_port == busy
    note = started.busy_port_note()
    assert f"port {busy} is busy" in note and f"listens on {started.port}" in note
    assert f"{emulator.PORT_VARIABLE}=N" in note and f"sport = :{busy}" in note
    assert emulator.current() == started, "the move is remembered with the emulator"


def test_the_wanted_port_gives_no_note(own_local_dir: Path) -> None:
    assert emulator.Emulator(pid=1, port=4566, started_at=0.0).busy_port_note() == ""


@pytest.mark.parametrize("value", ["abc", "-1", "65536", "4566.5", " 1"])
def test_a_port_setting_that_is_not_a_port_is_refused(own_local_dir: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(emulator.PORT_VARIABLE, value)
    with pytest.raises(EmulatorError, match=f"{emulator.PORT_VARIABLE} must be a port number .*not '{value}'"):
        emulator.start()
    assert not (own_local_dir / "emulator" / "state.json").exists()
