"""Bad CLI input is a usage error (exit 2) naming what is accepted, before anything is reached or changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.paths import PROJECT_ROOT


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["deploy", "--service", "location", "--env", "nope"], "argument --env: unknown environment 'nope' "
                                                               "(defined in environments.toml: local, dev, prod)"),
        (["drift", "--service", "location", "--env", "nope"], "argument --env: unknown environment 'nope'"),
        (["state", "push", "--service", "location", "--env", "nope"], "argument --env: unknown environment 'nope'"),
        (["promote", "--service", "location", "--from", "local", "--to", "nope"], "argument --to: unknown environment"),
        (["drift", "--service", "no-such-service"], "argument --service: unknown service 'no-such-service' "
                                                    "(known services: authentication, location, profile)"),
        (["history", "--service", "no-such-service"], "argument --service: unknown service 'no-such-service'"),
        (["unlock", "--service", "../location"], "argument --service: unknown service '../location'"),
        (["deploy", "--service", "location", "--jobs", "0"], "argument --jobs: '0' is not a whole number of at least 1"),
        (["deploy", "--service", "location", "--jobs", "-1"], "argument --jobs: '-1' is not a whole number of at least 1"),
        (["serve", "--port", "99999"], "argument --port: '99999' is not a port (1-65535, or 0 for any free one)"),
        (["serve", "--port", "-1"], "argument --port: '-1' is not a port"),
        (["rollback", "--service", "location", "--to", "../x"], "argument --to: '../x' is not an execution id"),
        (["stage", "verify", "--service", "location", "--execution", "a/b"], "argument --execution: 'a/b' is not an"),
    ],
)
def test_bad_input_is_a_usage_error_naming_what_is_accepted(args: list[str], named: str, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "deploy.py", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={"PATH": os.environ["PATH"], "DEPLOY_LOCAL_DIR": str(tmp_path)})
    assert result.returncode == 2, result.stderr
    assert f"error: {named}" in result.stderr
    assert "usage: deploy.py" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir()), "nothing may be started or written"


@pytest.mark.parametrize("value", ["-5", "soon", "nan", "inf"])
def test_a_lock_timeout_that_is_not_a_number_of_seconds_is_a_usage_error(value: str, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "deploy.py", "deploy", "--service", "location", "--lock-timeout", value],
                            cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={"PATH": os.environ["PATH"], "DEPLOY_LOCAL_DIR": str(tmp_path)})
    assert result.returncode == 2, result.stderr
    assert f"argument --lock-timeout: {value!r} is not a number of seconds" in result.stderr
    assert not any(tmp_path.iterdir()), "nothing may be started or written"
