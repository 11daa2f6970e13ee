"""CI deploys from the ledger: a simulated run of deploy.yml's dev job, against the emulator.

The same command the workflow runs (read from deploy.yml) runs in a throwaway repository whose
`dev` is on the suite's emulator. A push whose deploy fails (an outage the service's tests
meet) leaves dev's ledger where it was, so the next push, which changes only docs, deploys the
service again; a push after that deploys nothing.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pipeline import emulator
from pipeline.aws import Identity, Target, connect
from pipeline.paths import PROJECT_ROOT
from pipeline.project.environments import get_environment
from pipeline.state.ledger import Ledger
from tests.e2e.conftest import ECHO_HANDLER, Project, add_echo_service, commit_all, copy_project, finish, git

pytestmark = pytest.mark.e2e

ENVIRONMENTS = """
[dev]
emulator = true
region = "us-east-1"
state_bucket = "ci-dev-state"
artifact_bucket = "ci-dev-artifacts"
"""
# An outage its tests meet (say, a registry that does not answer): nothing in the commit is wrong.
OUTAGE_TEST = "import os\n\n\ndef test_the_registry_answers():\n    assert os.environ.get('SIMULATED_OUTAGE') != '1'\n"


def dev_job_command() -> list[str]:
    """deploy.yml's dev deploy step, as the runner's shell splits it."""
    jobs = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "deploy.yml").read_text())["jobs"]
    step = next(s for s in jobs["dev"]["steps"] if s.get("name") == "deploy")
    argv = shlex.split(step["run"])
    assert argv[:2] == ["python", "deploy.py"], step["run"]
    return argv[2:]


class Ci:
    """Pushes to a repository and runs the dev job's command there, as the workflow would."""

    def __init__(self, project: Project, environments_file: Path, target: Target) -> None:
        self.project = project
        self.environments_file = environments_file
        self.target = target
        self.ledger = Ledger(target)

    def push(self, files: dict[str, str], message: str) -> str:
        for path, text in files.items():
            (self.project.root / path).write_text(text)
        return commit_all(self.project, message)

    def run(self, outage: bool = False) -> subprocess.CompletedProcess[str]:
        env = {"DEPLOY_ENVIRONMENTS_FILE": str(self.environments_file), "SIMULATED_OUTAGE": "1" if outage else "0"}
        return finish(self.project.start(*dev_job_command(), env=env))[0]


@pytest.fixture(scope="module")
def ci(tmp_path_factory: pytest.TempPathFactory, gateway_port: int) -> Iterator[Ci]:
    folder = tmp_path_factory.mktemp("ci")
    environments_file = folder / "environments.toml"
    environments_file.write_text(ENVIRONMENTS)
    project = copy_project(folder / "repo")
    add_echo_service(project)
    for service in ("authentication", "location", "profile"):  # one small service keeps the runs short
        shutil.rmtree(project.root / "services" / service)
    (project.root / "services" / "echo" / "tests" / "test_outage.py").write_text(OUTAGE_TEST)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "echo")
    with pytest.MonkeyPatch.context() as patch:
        # An emulator of its own: the workflow deploys to an environment named dev, as the promotion
        # drill's does, and IAM names (dev-boundary, dev-deployer-*) are account-wide.
        patch.setenv("DEPLOY_LOCAL_DIR", str(folder / "local"))
        try:
            yield Ci(project, environments_file, connect(get_environment("dev", environments_file)))
        finally:
            emulator.stop()


def test_a_failed_deploy_is_retried_by_the_next_push_without_a_change_to_the_service(ci: Ci) -> None:
    first = ci.run()
    assert first.returncode == 0, first.stdout + first.stderr
    deployed = ci.ledger.heads()["echo"]

    changed = ci.push({"services/echo/src/echo/handler.py": ECHO_HANDLER.format(version=2)}, "echo 2")
    failing = ci.run(outage=True)

    assert failing.returncode == 1 and "echo's tests failed" in failing.stderr, failing.stdout + failing.stderr
    assert ci.ledger.heads()["echo"] == deployed
    assert ci.ledger.executions("echo")[-1].result == "failed"

    docs_only = ci.push({"docs/notes.md": "# notes\n"}, "docs only")
    retried = ci.run()

    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "echo:\n  - services/echo/src/echo/handler.py changed in its folder" in retried.stdout
    assert ci.ledger.heads()["echo"].commit == docs_only != changed
    answer = ci.target.client("lambda", Identity.OPS).invoke(FunctionName="dev-echo-echo", Qualifier="live", Payload=b"{}")
    assert b'"version": 2' in answer["Payload"].read()

    quiet = ci.run()
    assert quiet.returncode == 0 and "no services to deploy" in quiet.stdout, quiet.stdout + quiet.stderr
