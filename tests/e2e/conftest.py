"""End-to-end fixtures: a throwaway copy of the project deploying to the suite's emulator.

Every CLI run goes through `Project.start` and `finish`, which keep its output and the AWS
secrets its child processes were handed (Terraform gets the assumed deployer role's session that
way; nothing else keeps it), so tests/e2e/test_acceptance.py can search for them after the rest
(tests/conftest.py runs it last).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline.aws import Identity, Target
from pipeline.paths import PROJECT_ROOT
from pipeline.state.ledger import LedgerEntry
from tests.pipeline.conftest import write_service

_NOT_COPIED = shutil.ignore_patterns(".git", ".local", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache")
_SECRET_VARIABLES = (b"AWS_SECRET_ACCESS_KEY", b"AWS_SESSION_TOKEN")
# A fixed placeholder such as LocalStack's "test" (the external-endpoint tests use one) is no secret,
# and as a search string it would match every transcript; real keys and tokens are far longer.
_PLACEHOLDER_MAX = 8
_POLL_SECONDS = 0.1


@dataclass
class Handled:
    """What the suite's CLI runs printed, and every secret they (or a test) held."""

    transcripts: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)


HANDLED = Handled()


@dataclass(frozen=True)
class Project:
    """A copy of the repository, so tests may edit services without touching the real tree."""

    root: Path

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start the project's CLI as a user would, against the suite's emulator; `finish` waits."""
        return subprocess.Popen(
            [sys.executable, "deploy.py", *args], cwd=self.root, env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )

    def deploy_py(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run the project's CLI to the end."""
        return finish(self.start(*args, env=env))[0]


def _descendants(pid: int) -> list[int]:
    found = []
    try:
        listed = list(Path(f"/proc/{pid}/task").glob("*/children"))
    except OSError:  # the process ended while it was looked at
        return found
    for children in listed:
        try:
            kids = [int(kid) for kid in children.read_text().split()]
        except OSError:
            continue
        for kid in kids:
            found += [kid, *_descendants(kid)]
    return found


def _keep_secrets_below(pid: int) -> None:
    for process in _descendants(pid):
        try:
            environ = Path(f"/proc/{process}/environ").read_bytes()
        except OSError:
            continue
        for variable in environ.split(b"\0"):
            name, _, value = variable.partition(b"=")
            if name in _SECRET_VARIABLES and len(value) > _PLACEHOLDER_MAX:
                HANDLED.secrets.add(value.decode())


def finish(*processes: subprocess.Popen[str], timeout_s: float | None = None) -> list[subprocess.CompletedProcess[str]]:
    """Wait for CLI runs, keeping their output and the secrets their child processes hold meanwhile.

    Raises subprocess.TimeoutExpired after `timeout_s` (the runs are killed).
    """
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    outputs: dict[int, tuple[str, str]] = {}
    while len(outputs) < len(processes):
        for process in processes:
            if process.pid in outputs:
                continue
            _keep_secrets_below(process.pid)
            try:
                outputs[process.pid] = process.communicate(timeout=_POLL_SECONDS)
            except subprocess.TimeoutExpired:
                if deadline is not None and time.monotonic() > deadline:
                    for running in processes:
                        running.kill()
                    raise
    results = []
    for process in processes:
        stdout, stderr = outputs[process.pid]
        HANDLED.transcripts.append(stdout + stderr)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    return results


def executions_by_service(result: subprocess.CompletedProcess[str]) -> dict[str, LedgerEntry | None]:
    """`deploy --json`'s executions by service; None for a pipeline that stopped before recording one."""
    return {item["service"]: LedgerEntry.from_json(item["execution"]) if item["execution"] else None
            for item in json.loads(result.stdout)}


def stage_detail(entry: LedgerEntry | None, name: str) -> str:
    """The detail line a stage of an execution recorded (what progress printed after it)."""
    assert entry is not None, "the pipeline recorded no execution"
    return next(record.detail for record in entry.stages if record.name == name)


def copy_project(destination: Path) -> Project:
    shutil.copytree(PROJECT_ROOT, destination, ignore=_NOT_COPIED)
    return Project(destination)


def git(project: Project, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, cwd=project.root, check=True, capture_output=True, text=True).stdout.strip()


def commit_all(project: Project, message: str) -> str:
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", message)
    return git(project, "rev-parse", "HEAD")


ECHO_HANDLER = "def handler(event, context):\n    return {{'echo': event, 'version': {version}}}\n"


def add_echo_service(project: Project) -> None:
    """`echo`: one function, no API or table, with a smoke event: the cheapest service to deploy."""
    folder = write_service(project.root / "services", "echo", ECHO_HANDLER.format(version=1))
    # Every service root is the same thin call of modules/service, driven by its manifest.
    shutil.copytree(project.root / "services" / "location" / "infra", folder / "infra", dirs_exist_ok=True)


def forget_service(target: Target, service: str) -> None:
    """Remove a test-only service's traces from the suite's emulator.

    Other tests' repositories do not have it: its roles and ledger would read to them as a deleted
    service, so ops' IAM is applied again from the real tree and its ledger entries go.
    """
    from pipeline.state.bootstrap import apply_iam
    from pipeline.state.ledger import HEADS_PREFIX, PREFIX
    from pipeline.terraform.toolchain import ensure_toolchain

    apply_iam(target, ensure_toolchain())
    s3 = target.client("s3", Identity.OPS)
    bucket = target.environment.artifact_bucket
    # Every version: in a versioned bucket moto still lists a deleted key's folder-like prefix.
    for prefix in (f"{PREFIX}/{service}/", f"{HEADS_PREFIX}/{service}."):
        listed = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
        for item in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]:
            s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])


GREETER_MANIFEST = """name: greeter
description: Answers GET /greeting through its public API; its smoke check asks for it.
runtime: python3.11
api:
  authorization: NONE
functions:
  greet:
    handler: greeter.greet.handler
    route: GET /greeting
smoke:
  checks:
    - name: the greeting answers
      request: GET /greeting
      expect: {status: 200, fields: [greeting, version]}
"""
# The handler answers `status` with `body`: a healthy release, or one broken as the test needs.
GREETER_HANDLER = (
    "import json\n\n\ndef handler(event, context):\n"
    "    return {{'statusCode': {status}, 'body': json.dumps({body})}}\n"
)


def write_greeter(project: Project, status: int, body: dict[str, object]) -> None:
    """Make `greeter`'s handler answer `status` and `body` (its unit test keeps passing)."""
    folder = project.root / "services" / "greeter"
    (folder / "src" / "greeter" / "greet.py").write_text(GREETER_HANDLER.format(status=status, body=body))


def add_greeter_service(project: Project) -> None:
    """`greeter`: one function behind a public API route, with an HTTP smoke check."""
    folder = project.root / "services" / "greeter"
    (folder / "src" / "greeter").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "service.yaml").write_text(GREETER_MANIFEST)
    (folder / "src" / "greeter" / "__init__.py").write_text("")
    write_greeter(project, 200, {"greeting": "hello", "version": 1})
    (folder / "tests" / "test_greet.py").write_text(
        "from greeter.greet import handler\n\n\ndef test_answers():\n    assert 'statusCode' in handler({}, None)\n"
    )
    shutil.copytree(project.root / "services" / "location" / "infra", folder / "infra", dirs_exist_ok=True)



@pytest.fixture(scope="session")
def gateway_port(local_target: Target) -> Iterator[int]:
    """The port `deploy.py serve` uses in this session; deploys point services' API URLs at it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEPLOY_GATEWAY_PORT", str(port))
        yield port


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory, local_target: Target, gateway_port: int) -> Project:
    """One project copy shared by the session (its deployed services are reused across tests)."""
    return copy_project(tmp_path_factory.mktemp("project") / "repo")
