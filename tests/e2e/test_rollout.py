"""Progressive rollout end to end: a canary in the emulator, watched by the functions' alarms.

`greeter` rolls out as a canary (50 % for the bake, then 100 %). While the real CLI's deploy
bakes, the test invokes `live` and counts which versions answer. A healthy canary completes;
one whose new version raises on real requests trips the Errors alarm (evaluated on the metrics
the emulator's Lambda runtime publishes) and is rolled back before the bake ends.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pipeline.aws import Identity, Target
from pipeline.state.ledger import Ledger
from tests.e2e.conftest import (
    GREETER_MANIFEST,
    Project,
    add_greeter_service,
    commit_all,
    copy_project,
    finish,
    git,
)

pytestmark = pytest.mark.e2e

FUNCTION = "local-greeter-greet"
BAKE_S, INTERVAL_S, REQUESTS = 60, 2, 40
ROLLOUT = f"rollout: {{strategy: canary, percent: 50, interval_s: {INTERVAL_S}, bake_s: {BAKE_S}}}\n"
# Version `version` answers the smoke check; with `fails`, a request asking for ?fail raises.
HANDLER = (
    "import json\n\n\ndef handler(event, context):\n"
    "    if {fails} and 'fail' in event.get('rawQueryString', ''):\n"
    "        raise RuntimeError('broken on purpose')\n"
    "    return {{'statusCode': 200, 'body': json.dumps({{'greeting': 'hello', 'version': {version}}})}}\n"
)


def release(project: Project, version: int, fails: bool) -> subprocess.Popen[str]:
    (project.root / "services" / "greeter" / "src" / "greeter" / "greet.py").write_text(
        HANDLER.format(version=version, fails=fails))
    commit_all(project, f"greeter {version}")
    return project.start("deploy", "--service", "greeter")


def wait_for_weights(client: Any, deploy: subprocess.Popen[str]) -> dict[str, float]:
    """The alias's weights once the deploy stage has set them (the deploy must still be running)."""
    while deploy.poll() is None:
        weights = (client.get_alias(FunctionName=FUNCTION, Name="live").get("RoutingConfig") or {}).get(
            "AdditionalVersionWeights") or {}
        if weights:
            return dict(weights)
        time.sleep(0.5)
    raise AssertionError(f"the deploy ended before the canary began: {finish(deploy)[0]}")


def invoke_live(client: Any, event: dict[str, str]) -> tuple[str, bool]:
    answer = client.invoke(FunctionName=FUNCTION, Qualifier="live", Payload=json.dumps(event).encode())
    answer["Payload"].read()
    return answer["ExecutedVersion"], "FunctionError" in answer


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory, local_target: Target, gateway_port: int) -> Project:
    project = copy_project(tmp_path_factory.mktemp("rollout") / "repo")
    add_greeter_service(project)
    (project.root / "services" / "greeter" / "service.yaml").write_text(GREETER_MANIFEST + ROLLOUT)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "greeter, rolled out as a canary")
    first = project.deploy_py("deploy", "--service", "greeter")  # nothing live yet: all at once
    assert first.returncode == 0, first.stdout + first.stderr
    return project


def test_during_the_bake_both_versions_answer_then_the_canary_completes(canary: Project, local_target: Target) -> None:
    client = local_target.client("lambda", Identity.OPS)
    old = client.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"]
    deploy = release(canary, 2, fails=False)
    weights = wait_for_weights(client, deploy)
    # Fewer at once than the function's reserved concurrency (5): a throttle would fire its alarm.
    with ThreadPoolExecutor(max_workers=4) as pool:
        answered = Counter(version for version, _ in pool.map(lambda _: invoke_live(client, {}), range(REQUESTS)))
    result = finish(deploy)[0]

    new = next(iter(weights))
    print(f"canary counts over {REQUESTS} requests during the bake: {dict(answered)} (old {old}, new {new})")
    assert weights == {new: 0.5} and set(answered) == {old, new}, answered
    assert result.returncode == 0, result.stdout + result.stderr
    alias = client.get_alias(FunctionName=FUNCTION, Name="live")
    assert alias["FunctionVersion"] == new and not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    shifts = Ledger(local_target).executions("greeter")[-1].shifts
    assert [line.split(" ", 1)[1] for line in shifts] == [f"50% to greet@{new}", f"100% to greet@{new}"]


def test_errors_in_the_new_version_trip_the_alarm_and_roll_back_before_the_bake_ends(
    canary: Project, local_target: Target
) -> None:
    client = local_target.client("lambda", Identity.OPS)
    good = client.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"]
    good_head = Ledger(local_target).heads()["greeter"]
    deploy = release(canary, 3, fails=True)
    wait_for_weights(client, deploy)
    first_error = None
    while first_error is None and deploy.poll() is None:
        _, failed = invoke_live(client, {"rawQueryString": "fail=1"})
        first_error = time.monotonic() if failed else None
    result = finish(deploy)[0]
    rolled_back_after = time.monotonic() - first_error if first_error else None

    print(f"rolled back {rolled_back_after:.1f}s after the first error (interval {INTERVAL_S}s, bake {BAKE_S}s)")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"rollout stopped at 50%: {FUNCTION}-errors fired" in result.stderr
    assert f"live moved back to greet@{good}" in result.stderr
    alias = client.get_alias(FunctionName=FUNCTION, Name="live")
    assert alias["FunctionVersion"] == good and not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    assert Ledger(local_target).heads()["greeter"] == good_head
    failed_entry = Ledger(local_target).executions("greeter")[-1]
    assert failed_entry.result == "failed" and "rolled back at 50%" in failed_entry.shifts[-1]
    assert float(failed_entry.shifts[-1].split("s ", 1)[0].lstrip("+")) < BAKE_S
