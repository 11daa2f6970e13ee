"""A deploy killed with SIGKILL while it holds its service's lock: the lock recovers.

The killed deploy cannot release its lock, and its heartbeat stops. The next deploy sees the lock
silent past the stale period (6 heartbeats; 1 s heartbeats here), takes it over and says so;
`unlock` releases one by hand, naming the holder, and the ledger records it.
"""

from __future__ import annotations

import re
import shutil
import signal
import time
from collections.abc import Iterator

import pytest

from pipeline.aws import Identity, Target
from pipeline.state.ledger import Ledger
from pipeline.state.locks import HEARTBEAT_VARIABLE, HeldLock, read_lock
from tests.e2e.conftest import (
    Project,
    add_echo_service,
    commit_all,
    copy_project,
    finish,
    forget_service,
    git,
)

pytestmark = pytest.mark.e2e

SERVICE = "crashy"
FAST_HEARTBEAT = {HEARTBEAT_VARIABLE: "1"}  # stale after 6 s
TOOK_OVER = re.compile(rf"\[{SERVICE}\] took over a stale deploy lock held by (.+) \(execution (\S+)\): "
                       r"no heartbeat for (\d+)s \(stale after 6s\)")


def _held(target: Target) -> HeldLock | None:
    return read_lock(target.client("s3", Identity.OPS), target.environment.artifact_bucket, SERVICE)


@pytest.fixture(scope="module")
def crashy(tmp_path_factory: pytest.TempPathFactory, local_target: Target) -> Iterator[Project]:
    """A project with a one-function service, deployed once, so later deploys skip Terraform."""
    project = copy_project(tmp_path_factory.mktemp("locks") / "repo")
    add_echo_service(project)
    shutil.move(project.root / "services" / "echo", project.root / "services" / SERVICE)
    manifest = project.root / "services" / SERVICE / "service.yaml"
    manifest.write_text(manifest.read_text().replace("name: echo", f"name: {SERVICE}"))
    git(project, "init", "-q")
    commit_all(project, "crashy")
    first = project.deploy_py("deploy", "--service", SERVICE, env=FAST_HEARTBEAT)
    assert first.returncode == 0, first.stdout + first.stderr
    yield project
    forget_service(local_target, SERVICE)


def kill_while_holding_the_lock(project: Project, target: Target) -> tuple[int, HeldLock]:
    """Start a deploy, SIGKILL it as soon as its lock exists; returns its pid and the lock it left."""
    process = project.start("deploy", "--service", SERVICE, env=FAST_HEARTBEAT)
    deadline = time.monotonic() + 300
    while (held := _held(target)) is None:
        assert process.poll() is None, f"the deploy ended before it took the lock: {process.communicate()}"
        assert time.monotonic() < deadline, "the deploy never took its lock"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    killed = finish(process)[0]
    assert killed.returncode == -signal.SIGKILL
    assert f"pid {process.pid}" in held.holder.who
    left = _held(target)
    assert left is not None and left.holder.execution_id == held.holder.execution_id, "nothing released the lock"
    return process.pid, left


def test_the_next_deploy_takes_over_a_killed_deploys_lock_saying_so(crashy: Project, local_target: Target) -> None:
    pid, left = kill_while_holding_the_lock(crashy, local_target)

    result = crashy.deploy_py("deploy", "--service", SERVICE, env=FAST_HEARTBEAT)

    assert result.returncode == 0, result.stdout + result.stderr
    took_over = TOOK_OVER.search(result.stdout)
    assert took_over, result.stdout
    assert took_over.group(1).endswith(f"pid {pid} since " + time.strftime(
        "%Y-%m-%d %H:%M:%S UTC", time.gmtime(left.holder.since)))
    assert took_over.group(2) == left.holder.execution_id
    assert 6 < int(took_over.group(3)) <= 6 + 3, "taken over within the stale period (plus S3's 1 s resolution)"
    assert "Traceback" not in result.stderr
    assert _held(local_target) is None, "the deploy that took over released the lock"


def test_unlock_releases_a_killed_deploys_lock_naming_the_holder_and_records_it(
    crashy: Project, local_target: Target
) -> None:
    pid, left = kill_while_holding_the_lock(crashy, local_target)

    released = crashy.deploy_py("unlock", "--service", SERVICE, env=FAST_HEARTBEAT)

    assert released.returncode == 0, released.stdout + released.stderr
    assert f"released {SERVICE}'s deploy lock in local, held by {left.holder.describe()}" in released.stdout
    assert f"pid {pid}" in released.stdout
    assert _held(local_target) is None
    recorded = re.search(r"recorded in the ledger as (\S+) \(kind unlock", released.stdout)
    assert recorded, released.stdout
    unlocks = [entry for entry in Ledger(local_target.for_service(SERVICE)).history(SERVICE) if entry.kind == "unlock"]
    assert [entry.execution_id for entry in unlocks][-1] == recorded.group(1)
    assert unlocks[-1].origin == left.holder.execution_id and unlocks[-1].result == "released"
    assert f"held by {left.holder.describe()}" in unlocks[-1].stages[0].detail
    history = crashy.deploy_py("history", "--service", SERVICE)
    assert re.search(rf"{recorded.group(1)}  {SERVICE} .* released .* unlock from {left.holder.execution_id}", history.stdout)
    again = crashy.deploy_py("unlock", "--service", SERVICE)
    assert again.returncode == 0 and f"{SERVICE} holds no deploy lock in local: nothing to release" in again.stdout
    assert unlocks[-1] not in Ledger(local_target.for_service(SERVICE)).executions(SERVICE), "not an execution"
    follow_up = crashy.deploy_py("deploy", "--service", SERVICE, env=FAST_HEARTBEAT)
    assert follow_up.returncode == 0, follow_up.stdout + follow_up.stderr
    assert "took over" not in follow_up.stdout


def test_unlock_of_an_unknown_service_names_the_known_ones(crashy: Project) -> None:
    refused = crashy.deploy_py("unlock", "--service", "nope")
    assert refused.returncode == 2
    assert "argument --service: unknown service 'nope' (known services: " in refused.stderr
    assert SERVICE in refused.stderr
