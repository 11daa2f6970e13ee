"""The GitHub Actions workflows: actionlint-clean, and their commands are the real CLI."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import build_parser
from pipeline.paths import PROJECT_ROOT
from tests.e2e.conftest import copy_project
from tests.pipeline.test_changes import commit, run_git

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


def github_output(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file, heredoc values included."""
    values, lines = {}, iter(path.read_text().splitlines())
    for line in lines:
        name, sep, value = line.partition("=")
        if sep and "<<" not in line:
            values[name] = value
            continue
        name, _, delimiter = line.partition("<<")
        values[name] = "\n".join(iter(lambda: next(lines), delimiter))
    return values


@pytest.fixture(scope="module")
def pushed_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of the project as a git repository with one push's worth of change to location."""
    root = copy_project(tmp_path_factory.mktemp("workflow") / "repo").root
    run_git(root, "init", "-q", "-b", "main")
    before = commit(root, {}, "initial")
    commit(root, {"services/location/src/location/extra.py": "VALUE = 1\n", "docs/notes.md": "# n\n"})
    return root, before


def test_the_matrix_command_prints_the_json_the_matrix_is_built_from(pushed_repo: tuple[Path, str], tmp_path: Path) -> None:
    root, before = pushed_repo
    deploy = workflow("deploy.yml")
    script = step(deploy["jobs"]["changes"], "changed")["run"]
    output = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "BEFORE": before, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

    changed = json.loads(github_output(output)["changed"])
    assert set(changed) == {"services", "ops_review", "deleted"}
    assert [item["service"] for item in changed["services"]] == ["location"]
    assert all(isinstance(reason, str) for reason in changed["services"][0]["reasons"])
    for job in ("dev", "prod"):
        assert deploy["jobs"][job]["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.changes.outputs.changed).services }}"


def test_a_first_push_without_a_before_commit_compares_with_the_parent(pushed_repo: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = pushed_repo
    script = step(workflow("deploy.yml")["jobs"]["changes"], "changed")["run"]
    output = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "BEFORE": "0" * 40, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert [item["service"] for item in json.loads(github_output(output)["changed"])["services"]] == ["location"]


@pytest.mark.parametrize(("job", "environment"), [("dev", "dev"), ("prod", "prod")])
def test_every_stage_step_is_a_real_cli_command_for_its_environment(job: str, environment: str) -> None:
    definition = workflow("deploy.yml")["jobs"][job]
    assert definition["environment"] == environment
    assert definition["concurrency"]["group"] == f"deploy-${{{{ matrix.service }}}}-{environment}"
    parser = build_parser()
    commands = [s["run"] for s in definition["steps"] if "deploy.py" in s.get("run", "")]
    assert commands
    for command in commands:
        argv = shlex.split(re.sub(r"\$\{\{ matrix.service \}\}", "location", re.sub(r"\$\{\{ github\.[a-z_]+ \}\}", "1", command)))
        args = parser.parse_args(argv[2:])
        assert args.service == "location"
        if args.command == "promote":
            assert (args.source, args.to) == ("dev", "prod")
        elif args.stage in ("deploy", "verify", "test"):
            assert args.env == environment
