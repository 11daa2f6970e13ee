"""The GitHub Actions workflows: actionlint-clean, and their commands are the real CLI."""

from __future__ import annotations

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


def test_zizmor_finds_nothing_in_any_workflow() -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    result = subprocess.run([str(zizmor), "--offline", "--no-progress", ".github/workflows"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def assumes_a_role(job: dict[str, Any]) -> bool:
    return any(s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in job["steps"])


@pytest.mark.parametrize("name", ["deploy.yml", "pull-request.yml"])
def test_only_jobs_that_assume_a_role_may_request_an_oidc_token(name: str) -> None:
    definition = workflow(name)

    assert definition["permissions"] == {}
    for job_name, job in definition["jobs"].items():
        assert (job.get("permissions", {}).get("id-token") == "write") == assumes_a_role(job), job_name


@pytest.mark.parametrize("name", ["deploy.yml", "pull-request.yml"])
def test_every_action_is_pinned_to_a_full_commit(name: str) -> None:
    uses = [s["uses"] for job in workflow(name)["jobs"].values() for s in job["steps"] if "uses" in s]

    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", use) for use in uses), uses


def test_the_pull_request_job_holding_ops_credentials_runs_base_code_behind_a_review_gate() -> None:
    job = workflow("pull-request.yml")["jobs"]["iam-plan"]
    checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    data_step = step(job, "take only the pull request's IAM inputs, as data")

    assert job["environment"] == "ops-review"
    assert checkouts[0]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}" and "path" not in checkouts[0]["with"]
    assert checkouts[1]["with"]["path"] == "pull-request"
    copied = set(re.findall(r"pull-request/([\w/*.-]+)", data_step["run"]))
    assert copied == {"ops/iam", "modules/iam", "services/*/service.yaml"}
    assert data_step["run"].rstrip().endswith("rm -rf pull-request")
    steps = job["steps"]
    assert steps.index(data_step) < min(i for i, s in enumerate(steps) if "deploy.py" in s.get("run", ""))
    other_jobs = [j for name, j in workflow("pull-request.yml")["jobs"].items() if name != "iam-plan"]
    assert not [j for j in other_jobs if assumes_a_role(j) or "environment" in j]


def test_the_pull_request_comment_shows_the_grants_a_manifest_asks_for(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "repo").root
    run_git(root, "init", "-q", "-b", "main")
    base = commit(root, {}, "initial")
    manifest = root / "services" / "location" / "service.yaml"
    commit(root, {"services/location/service.yaml": manifest.read_text().replace(
        "locations: [dynamodb:GetItem]", "locations: [dynamodb:GetItem, dynamodb:UpdateItem]")})
    script = step(workflow("pull-request.yml")["jobs"]["changes"], "changed")["run"]
    output = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "BASE": base, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

    values = github_output(output)
    assert values["ops_review"] == "1"
    assert "needs ops review (grants changed; its code deploys only after make iam-apply): services/location/service.yaml" in values["report"]
    assert "+ get_location: dynamodb:UpdateItem on table locations" in values["report"]


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
