"""Bad CLI input is named with what to do, exit 1, before anything is reached or changed."""

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
        (["deploy", "--service", "location", "--env", "nope"], "unknown environment 'nope'"),
        (["drift", "--service", "location", "--env", "nope"], "unknown environment 'nope'"),
        (["state", "push", "--service", "location", "--env", "nope"], "unknown environment 'nope'"),
        (["drift", "--service", "no-such-service"], "unknown service 'no-such-service'"),
    ],
)
def test_bad_input_is_named_with_a_hint(args: list[str], named: str, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "deploy.py", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={"PATH": os.environ["PATH"], "DEPLOY_LOCAL_DIR": str(tmp_path)})
    assert result.returncode == 1, result.stderr
    assert f"error: {named}" in result.stderr
    assert "hint: " in result.stderr
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
