"""Recovering a state an apply could not save: nothing to push is said plainly."""

from __future__ import annotations

import pytest

from pipeline.errors import ServiceNotFound
from pipeline.flows.recovery import push_unsaved_state


def test_an_unknown_service_is_refused() -> None:
    with pytest.raises(ServiceNotFound, match="unknown service 'nope'"):
        push_unsaved_state("nope", "dev")


@pytest.mark.emulator
def test_without_a_kept_state_there_is_nothing_to_push(deployer_environment: str) -> None:
    assert push_unsaved_state("location", deployer_environment) is None
