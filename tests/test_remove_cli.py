"""`remove` refuses bad input and services others call before anything is reached or changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.paths import PROJECT_ROOT


@pytest.mark.parametrize(("args", "code", "named"), [
    (["remove", "--service", "no-such-service", "--yes"], 2, "argument --service: unknown service 'no-such-service'"),
    (["remove", "--service", "profile", "--env", "nope", "--yes"], 2, "argument --env: unknown environment 'nope'"),
    (["remove", "--service", "authentication", "--yes"], 1, "error: remove: location, profile still call authentication"),
])
def test_remove_refuses_naming_what_is_wrong(args: list[str], code: int, named: str, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "deploy.py", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={"PATH": os.environ["PATH"], "DEPLOY_LOCAL_DIR": str(tmp_path)})
    assert result.returncode == code, result.stderr
    assert named in result.stderr
    assert "hint: " in result.stderr if code == 1 else "usage: " in result.stderr
    assert not any(tmp_path.iterdir()), "nothing may be started or written"


def test_changed_names_the_remove_command_for_a_deleted_service(capsys: pytest.CaptureFixture[str]) -> None:
    from cli.render import print_report
    from pipeline.changes.rules import ChangeReport

    print_report(ChangeReport(deleted=("orders",)), False, {}, "dev")

    assert ("restore services/orders from git and run: python deploy.py remove --service orders --env dev"
            in capsys.readouterr().out)
