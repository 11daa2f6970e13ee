"""The test stage runs a service's unit tests with none of the caller's AWS settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.project.services import load_service
from pipeline.stages.deploy import run_tests
from tests.conftest import unused_port


def test_a_services_tests_ignore_the_callers_endpoint_profile_and_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Followed, any of these breaks location's tests: a dead endpoint, a profile that does not exist,
    a config file whose default profile names a missing credential process."""
    config = tmp_path / "config"
    config.write_text("[default]\ncredential_process = /nonexistent/credential-helper\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{unused_port()}")
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(config))

    summary = run_tests(load_service("location"))

    assert "passed" in summary and "failed" not in summary
