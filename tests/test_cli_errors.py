"""Bad CLI input is a usage error (exit 2) naming what is accepted, before anything is reached or changed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from pipeline.paths import PROJECT_ROOT
from tests.conftest import write_unreachable_environments


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


COMMANDS_WITH_AN_ENVIRONMENT = [
    ["deploy", "--service", "location"], ["deploy", "--changed"], ["changed"], ["history"],
    ["rollback", "--service", "location"], ["stage", "deploy", "--service", "location"],
    ["stage", "verify", "--service", "location"], ["invoke", "--service", "location", "--function", "get_location"],
    ["drift", "--service", "location"], ["state", "push", "--service", "location"], ["unlock", "--service", "location"],
    ["bootstrap"], ["pipelines", "apply"], ["iam", "plan"], ["iam", "apply"],
]


@pytest.mark.parametrize("state", ["endpoint that does not answer", "profile not on this machine", "no credentials"])
@pytest.mark.parametrize("args", COMMANDS_WITH_AN_ENVIRONMENT, ids=" ".join)
def test_an_unusable_environment_is_exit_1_with_a_hint_for_every_command(
    args: list[str], state: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    signal_handlers_restored: None,
) -> None:
    """Fails fast (one attempt at a closed port; profiles resolved before Terraform starts) and starts nothing."""
    environments = write_unreachable_environments(tmp_path / "environments.toml")
    monkeypatch.setenv("DEPLOY_ENVIRONMENTS_FILE", str(environments))
    monkeypatch.setenv("DEPLOY_LOCAL_DIR", str(tmp_path / "local"))
    if state == "no credentials":
        monkeypatch.setenv("DEPLOY_AMBIENT_CREDENTIALS", "1")  # as CI runs: the environment's own, here none
    env = ["--env", "local"] if state == "endpoint that does not answer" else ["--env", "dev"]

    code = main([*args, *env])

    printed = capsys.readouterr()
    assert code == 1, printed.out + printed.err
    assert "hint: " in printed.err and "Traceback" not in printed.err + printed.out
    expected = {"endpoint that does not answer": r"nothing answers at http://127\.0\.0\.1:\d+, the endpoint of",
                "profile not on this machine": r"AWS profile 'not-on-this-machine-(ops|deployer)' is not configured",
                "no credentials": r"no (usable )?AWS credentials"}[state]
    if args == ["iam", "apply"] and state != "endpoint that does not answer":
        expected = r"no saved ops/iam plan for 'dev'"  # the reviewed plan is looked for before any credentials
    assert re.search(expected, printed.err), printed.err
    assert not (tmp_path / "local" / "emulator").exists(), "no emulator was started"
