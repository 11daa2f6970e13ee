"""Grants before code: a manifest asking for a new grant is ops' to review, and its code waits.

Locally the pipeline creates missing roles itself, but never widens existing ones: a changed grant
waits for `make iam-plan` and `make iam-apply`, as it does in AWS.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from tests.e2e.conftest import Project, commit_all, copy_project, git

pytestmark = pytest.mark.e2e

MANIFEST = Path("services") / "location" / "service.yaml"
GRANTED, WIDENED = "locations: [dynamodb:GetItem]", "locations: [dynamodb:GetItem, dynamodb:UpdateItem]"


def ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, local_target: Target, gateway_port: int) -> Iterator[Project]:
    """A project copy with location deployed from a commit; ops/iam is put back afterwards."""
    project = copy_project(tmp_path_factory.mktemp("grants") / "repo")
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "initial")
    ok(project.deploy_py("deploy", "--service", "location"))
    yield project
    manifest = project.root / MANIFEST
    manifest.write_text(manifest.read_text().replace(WIDENED, GRANTED))
    ok(project.deploy_py("iam", "plan", "--env", "local"))
    ok(project.deploy_py("iam", "apply", "--env", "local"))


def artifact_keys(target: Target) -> list[str]:
    s3 = target.client("s3", Identity.OPS)
    listed = s3.list_objects_v2(Bucket=target.environment.artifact_bucket, Prefix="services/location/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_a_new_grant_is_reviewed_by_ops_and_its_code_waits_for_the_apply(repo: Project, local_target: Target) -> None:
    manifest = repo.root / MANIFEST
    manifest.write_text(manifest.read_text().replace(GRANTED, WIDENED, 1))
    commit_all(repo, "get_location may update locations")
    (repo.root / "services" / "location" / "src" / "location" / "marker.py").write_text("CHANGED = True\n")
    commit_all(repo, "code that needs it")

    changed = repo.deploy_py("changed", "--since", "HEAD~2", "--json")
    ok(changed)
    report = json.loads(changed.stdout)
    assert [item["service"] for item in report["services"]] == ["location"]
    assert report["ops_review"] == [MANIFEST.as_posix()]
    assert report["grants"][0]["changes"] == ["+ get_location: dynamodb:UpdateItem on table locations"]

    uploaded = artifact_keys(local_target)
    refused = repo.deploy_py("deploy", "--service", "location")
    assert refused.returncode == 1
    assert "get_location: dynamodb:UpdateItem on table locations" in refused.stderr
    assert "make iam-plan ENV=local" in refused.stderr and "nothing was uploaded" in refused.stderr
    assert artifact_keys(local_target) == uploaded

    planned = repo.deploy_py("iam", "plan", "--env", "local")
    ok(planned)
    assert "+ Allow dynamodb:UpdateItem on" in planned.stdout
    ok(repo.deploy_py("iam", "apply", "--env", "local"))
    deployed = repo.deploy_py("deploy", "--service", "location")
    ok(deployed)
    assert artifact_keys(local_target) != uploaded
    # The grant is there before the code that uses it; until then it is a least-privilege warning.
    assert "functions.get_location is granted dynamodb:UpdateItem on table locations but no code calls it" in deployed.stdout
