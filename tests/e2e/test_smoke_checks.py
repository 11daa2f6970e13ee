"""HTTP smoke checks end to end: a release that answers wrongly through its API is rolled back.

`greeter` is deployed healthy, then released three times broken: answering 500, answering 401,
answering 200 without a field its check needs. Each time the real CLI's verify sends the check
through the local gateway, fails naming it, moves `live` back, and the ledger head stays.
"""

from __future__ import annotations

import json

import pytest

from pipeline.aws import Identity, Target
from pipeline.state.ledger import Ledger
from tests.e2e.conftest import Project, add_greeter_service, commit_all, copy_project, git, write_greeter

pytestmark = pytest.mark.e2e

FUNCTION = "local-greeter-greet"


def live(target: Target) -> tuple[str, dict[str, object]]:
    """The version `live` serves and what it answers."""
    client = target.client("lambda", Identity.OPS)
    version = client.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"]
    answer = json.loads(client.invoke(FunctionName=FUNCTION, Qualifier="live", Payload=b"{}")["Payload"].read())
    return str(version), json.loads(answer["body"])


@pytest.fixture(scope="module")
def greeter(tmp_path_factory: pytest.TempPathFactory, local_target: Target, gateway_port: int) -> Project:
    project = copy_project(tmp_path_factory.mktemp("smoke") / "repo")
    add_greeter_service(project)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "greeter")
    result = project.deploy_py("deploy", "--service", "greeter")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 smoke checks passed (the greeting answers: 200)" in result.stdout
    return project


@pytest.mark.parametrize(("status", "body", "reason"), [
    (500, {"message": "internal error"}, "a server error: expected 200, got 500"),
    (401, {"message": "missing bearer token"}, "an unexpected status: expected 200, got 401"),
    (200, {"greeting": "hello"}, "field(s) missing from the answer: version"),
])
def test_a_release_answering_wrongly_is_rolled_back_and_the_ledger_stays(
    greeter: Project, local_target: Target, status: int, body: dict[str, object], reason: str
) -> None:
    good_version, good_answer = live(local_target)
    good_head = Ledger(local_target).heads()["greeter"]
    write_greeter(greeter, status, body)
    commit_all(greeter, f"greeter answers {status}")

    result = greeter.deploy_py("deploy", "--service", "greeter")

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"verify: smoke check 'the greeting answers' failed: {reason}" in result.stderr
    assert f"live moved back to greet@{good_version}" in result.stderr
    assert live(local_target) == (good_version, good_answer)
    assert Ledger(local_target).heads()["greeter"] == good_head
    failed = Ledger(local_target).executions("greeter")[-1]
    print(f"answering {status}: verify failed and moved live back in {failed.stages[-1].seconds:.1f}s")
    assert failed.result == "failed" and failed.stages[-1].name == "verify"
    assert f"smoke check 'the greeting answers' failed: {reason}" in failed.stages[-1].detail
