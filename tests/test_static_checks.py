"""Checks over the whole tree that `make test` runs: formatting and types."""

from __future__ import annotations

import shutil
import subprocess
import sys

from pipeline.paths import PROJECT_ROOT


def test_terraform_is_formatted() -> None:
    terraform = shutil.which("terraform") or shutil.which("tofu")
    assert terraform, "terraform is not on PATH"
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", "modules", "ops", "services"],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive`:\n{result.stdout}"


def test_the_orchestrator_type_checks() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
