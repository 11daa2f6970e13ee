"""`status` before anything is deployed, and how the CLI renders a status row."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cli.commands.status import live_text, status_table
from pipeline.aws import Target
from pipeline.flows.status import LiveAlias, ServiceStatus, environment_status


@pytest.mark.emulator
def test_services_never_deployed_are_listed_with_the_reason(local_target: Target) -> None:
    statuses = environment_status(local_target)

    assert [s.service for s in statuses] == ["authentication", "location", "profile"]
    for status in statuses:
        assert status.live == () and status.last_execution is None and status.infra_changed is None
        assert status.note.startswith(f"{status.service}'s deployer cannot read its state: ")
    assert "note on local/location: location's deployer cannot" in status_table(statuses)


def status(*live: LiveAlias) -> ServiceStatus:
    return ServiceStatus("location", "dev", live, "ab" * 32, "c" * 40, None, False, (), (), "https://x")


def test_live_versions_read_as_one_version_or_per_function_with_weights() -> None:
    assert live_text(status()) == "not deployed"
    assert live_text(status(LiveAlias("get", "3", {}), LiveAlias("put", "3", {}))) == "v3"
    assert live_text(status(LiveAlias("get", "3", {}), LiveAlias("put", "2", {}))) == "get:v3 put:v2"
    assert live_text(status(LiveAlias("get", "3", {"4": 0.1}), LiveAlias("put", "3", {}))) == "get:v3 +v4@10%"


def test_environments_sit_side_by_side_per_service() -> None:
    rows = status_table([status(LiveAlias("get", "3", {})), replace(status(LiveAlias("get", "2", {})), environment="prod"),
                         replace(status(), service="authentication")]).splitlines()

    assert [row.split()[:3] for row in rows[1:]] == [
        ["authentication", "dev", "not"], ["location", "dev", "v3"], ["location", "prod", "v2"]]
