"""The orchestrator end to end: two services in parallel, then only what changed, then history.

Runs a throwaway git repository made from the project plus a small service of its own, `echo`
(with a smoke event), against the suite's emulator with real Terraform. The project's services
were last deployed by other tests from a folder that is not a git repository, so the first
`--changed` run deploys them too (their infra is usually unchanged: code path only).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from pipeline.aws import Identity, Target
from pipeline.state.ledger import Ledger
from tests.e2e.conftest import (
    ECHO_HANDLER,
    Project,
    add_echo_service,
    commit_all,
    copy_project,
    executions_by_service,
    git,
    stage_detail,
)

pytestmark = pytest.mark.e2e

BROKEN_HANDLER = "def handler(event, context):\n    raise RuntimeError('broken on purpose')\n"


def live_version(target: Target, function: str) -> str:
    alias = target.client("lambda", Identity.OPS).get_alias(FunctionName=function, Name="live")
    return str(alias["FunctionVersion"])


def changed(project: Project) -> dict[str, object]:
    result = project.deploy_py("changed", "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, local_target: Target, gateway_port: int) -> Project:
    project = copy_project(tmp_path_factory.mktemp("orchestrator") / "repo")
    add_echo_service(project)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "two services")
    return project


@pytest.fixture(scope="module")
def changed_before(repo: Project) -> dict[str, object]:
    return changed(repo)


@pytest.fixture(scope="module")
def first_run(repo: Project, changed_before: dict[str, object]) -> subprocess.CompletedProcess[str]:
    return repo.deploy_py("deploy", "--changed", "--jobs", "2", "--json")


def test_every_service_deploys_in_parallel_and_echo_passes_verify(
    first_run: subprocess.CompletedProcess[str], changed_before: dict[str, object]
) -> None:
    assert first_run.returncode == 0, first_run.stdout + first_run.stderr
    echo_reasons = [item["reasons"] for item in changed_before["services"] if item["service"] == "echo"]  # type: ignore[attr-defined]
    assert echo_reasons == [["no successful deploy to local yet"]]
    executions = executions_by_service(first_run)
    assert {"echo", "location"} <= set(executions)
    for execution in executions.values():
        assert execution is not None and execution.result == "succeeded" and execution.environment == "local"
    echo = executions["echo"]
    assert echo is not None and [stage.status for stage in echo.stages] == ["succeeded"] * 5
    assert stage_detail(echo, "verify").startswith("echo answered the smoke event")


def test_nothing_is_changed_right_after_a_deploy(first_run: subprocess.CompletedProcess[str], repo: Project) -> None:
    report = changed(repo)

    assert report["services"] == [] and report["ops_review"] == []
    # Other tests' services share the emulator's ledger; this repository lacks them, so they count as deleted.
    assert not {"echo", "location", "authentication", "profile"} & set(report["deleted"])  # type: ignore[arg-type]


def test_a_change_to_one_service_redeploys_only_it_and_history_shows_both(
    first_run: subprocess.CompletedProcess[str], repo: Project, local_target: Target
) -> None:
    before = live_version(local_target, "local-echo-echo")
    (repo.root / "services" / "echo" / "src" / "echo" / "handler.py").write_text(ECHO_HANDLER.format(version=2))
    head = commit_all(repo, "echo v2")

    assert [s["service"] for s in changed(repo)["services"]] == ["echo"]  # type: ignore[index, union-attr]
    result = repo.deploy_py("deploy", "--changed", "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert list(executions_by_service(result)) == ["echo"]
    assert stage_detail(executions_by_service(result)["echo"], "plan") == "infra inputs unchanged, Terraform skipped; no drift"
    assert live_version(local_target, "local-echo-echo") != before
    history = json.loads(repo.deploy_py("history", "--json").stdout)
    mine = [entry for entry in history if entry["service"] in ("echo", "location") and entry["commit"]]
    assert {entry["service"] for entry in mine} == {"echo", "location"}
    last_echo = [entry for entry in mine if entry["service"] == "echo"][-1]
    assert last_echo["commit"] == head and last_echo["result"] == "succeeded" and last_echo["artifact_sha256"]
    assert [stage["name"] for stage in last_echo["stages"]] == ["test", "package", "plan", "deploy", "verify"]


def test_a_failing_smoke_event_rolls_live_back_and_keeps_the_service_changed(
    first_run: subprocess.CompletedProcess[str], repo: Project, local_target: Target
) -> None:
    good_version = live_version(local_target, "local-echo-echo")
    good_head = Ledger(local_target).heads()["echo"]
    (repo.root / "services" / "echo" / "src" / "echo" / "handler.py").write_text(BROKEN_HANDLER)
    (repo.root / "services" / "echo" / "tests" / "test_handler.py").write_text("def test_nothing():\n    pass\n")
    commit_all(repo, "echo broken")

    result = repo.deploy_py("deploy", "--changed", "--json")

    assert result.returncode == 1, result.stdout + result.stderr
    (outcome,) = json.loads(result.stdout)
    assert (outcome["service"], outcome["succeeded"], outcome["execution"]) == ("echo", False, None)
    assert outcome["error"].startswith("verify: smoke event tests/smoke.json failed on local-echo-echo:live")
    assert outcome["error"].endswith(f"live moved back to echo@{good_version}")
    assert "1 of 1 pipelines failed: echo" in result.stderr
    assert live_version(local_target, "local-echo-echo") == good_version
    assert Ledger(local_target).heads()["echo"] == good_head
    assert [s["service"] for s in changed(repo)["services"]] == ["echo"]  # type: ignore[index, union-attr]
    failed = json.loads(repo.deploy_py("history", "--service", "echo", "--json").stdout)[-1]
    assert failed["result"] == "failed" and failed["artifact_sha256"]
    assert [stage["status"] for stage in failed["stages"]] == ["succeeded", "succeeded", "succeeded", "succeeded", "failed"]


def test_changed_refuses_uncommitted_changes(first_run: subprocess.CompletedProcess[str], repo: Project) -> None:
    echo = repo.root / "services" / "echo"
    (echo / "requirements.txt").write_text("# no runtime dependencies\n")
    commit_all(repo, "echo requirements")
    (echo / "src" / "echo" / "scratch.py").write_text("x = 1\n")
    try:
        result = repo.deploy_py("deploy", "--changed")
    finally:
        (echo / "src" / "echo" / "scratch.py").unlink()

    assert result.returncode == 1
    assert "uncommitted changes in echo: --changed deploys commits only" in result.stderr
    assert "[echo] test" not in result.stdout


def test_a_bad_since_ref_is_one_line_and_a_hint(repo: Project) -> None:
    result = repo.deploy_py("changed", "--since", "no-such-ref")

    assert result.returncode == 1
    assert result.stderr.startswith("error: --since 'no-such-ref' is not a commit in this repository\nhint: ")
