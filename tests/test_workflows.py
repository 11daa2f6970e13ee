"""The GitHub Actions workflows: actionlint-clean, and their commands are the real CLI."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from cli.main import build_parser
from pipeline.paths import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return loaded


def step(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("id") == step_id or s.get("name") == step_id)


def test_actionlint_passes_on_every_workflow() -> None:
    actionlint = Path(sys.executable).parent / "actionlint"
    result = subprocess.run([str(actionlint), "-no-color"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def deploy_commands(job: str) -> list[list[str]]:
    """The deploy.py command lines a job of deploy.yml runs, split as the shell splits them."""
    steps = workflow("deploy.yml")["jobs"][job]["steps"]
    lines = [line.strip() for s in steps for line in s.get("run", "").splitlines() if "deploy.py" in line]
    return [shlex.split(line.split("$(")[0].replace('"$service"', "location").split(" ||")[0].split(" >")[0]) for line in lines]


def test_dev_deploys_what_its_ledger_says_changed_and_prod_promotes_what_its_ledger_says_is_behind() -> None:
    parser = build_parser()
    dev = [parser.parse_args(argv[2:]) for argv in deploy_commands("dev")]
    prod = [parser.parse_args(argv[2:]) for argv in deploy_commands("prod")]

    assert [(a.command, a.changed, a.env) for a in dev] == [("deploy", True, "dev")]
    assert [(a.command, a.env, a.json) for a in prod if a.command == "changed"] == [("changed", "prod", True)]
    assert [(a.command, a.source, a.to) for a in prod if a.command == "promote"] == [("promote", "dev", "prod")]
    assert all(not getattr(a, "since", None) for a in dev + prod), "select from the ledger, never from the push"
    jobs = workflow("deploy.yml")["jobs"]
    assert jobs["prod"]["needs"] == "dev" and jobs["prod"]["if"] == "${{ !cancelled() }}"
    assert [jobs[job]["environment"] for job in ("dev", "prod")] == ["dev", "prod"]
