"""Teardown end to end: `remove` refuses a service others call, and destroys a scaffolded leaf.

Runs the real CLI in a throwaway git repository against the suite's emulator.
"""

from __future__ import annotations

import json
import shutil

import pytest
from botocore.exceptions import ClientError

from pipeline.aws import Identity, Target
from pipeline.state.ledger import Ledger
from tests.e2e.conftest import Project, commit_all, copy_project, git

pytestmark = pytest.mark.e2e

LEAF = "leaf"
FUNCTION = f"local-{LEAF}-get_status"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, local_target: Target, gateway_port: int) -> Project:
    project = copy_project(tmp_path_factory.mktemp("remove") / "repo")
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "the reference services")
    return project


def test_remove_is_refused_while_another_service_calls_it(repo: Project) -> None:
    result = repo.deploy_py("remove", "--service", "location", "--yes")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "error: remove: profile still calls location; nothing was destroyed" in result.stderr
    assert "services/profile/service.yaml" in result.stderr


def test_a_scaffolded_leaf_is_destroyed_after_confirmation_and_changed_is_quiet(repo: Project, local_target: Target) -> None:
    assert repo.deploy_py("new-service", "--name", LEAF).returncode == 0
    commit_all(repo, "a leaf service")
    deployed = repo.deploy_py("deploy", "--service", LEAF)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "1 smoke checks passed (status answers: 200)" in deployed.stdout
    client = local_target.client("lambda", Identity.OPS)

    unconfirmed = repo.deploy_py("remove", "--service", LEAF)  # stdin is not a terminal: refused without --yes
    assert unconfirmed.returncode == 1 and "no terminal to confirm on; nothing was destroyed" in unconfirmed.stderr
    assert client.get_function(FunctionName=FUNCTION)["Configuration"]["FunctionName"] == FUNCTION

    removed = repo.deploy_py("remove", "--service", LEAF, "--yes")

    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert f"  - module.service.module.function[\"get_status\"].aws_lambda_function.this" in removed.stdout
    assert f"{LEAF}: removed from local" in removed.stdout
    with pytest.raises(ClientError, match="ResourceNotFound"):
        client.get_function(FunctionName=FUNCTION)
    entries = Ledger(local_target).executions(LEAF)
    assert [(entry.kind, entry.result) for entry in entries][-2:] == [("deploy", "succeeded"), ("remove", "succeeded")]
    artifact = f"services/{LEAF}/{entries[-2].artifact_sha256}.zip"
    local_target.client("s3", Identity.OPS).head_object(Bucket="local-artifacts", Key=artifact)  # kept

    shutil.rmtree(repo.root / "services" / LEAF)
    codeowners = repo.root / ".github" / "CODEOWNERS"
    codeowners.write_text("".join(line for line in codeowners.read_text().splitlines(True) if f"/{LEAF}/" not in line))
    commit_all(repo, "the leaf is gone")
    changed = json.loads(repo.deploy_py("changed", "--json").stdout)
    assert LEAF not in changed["deleted"] and LEAF not in [item["service"] for item in changed["services"]]
