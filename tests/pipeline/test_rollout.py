"""Progressive rollout: the manifest's rollout, its steps, and how `live` is weighted."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from pipeline.aws import Identity, Target
from pipeline.emulator.lambda_runtime import weighted_version
from pipeline.errors import ManifestError
from pipeline.project.manifest import Rollout, parse_manifest
from pipeline.stages.deploy import alias_routing
from tests.pipeline.test_manifest import minimal


def parsed(**extra: Any) -> Any:
    return parse_manifest({**minimal(), **extra}, "services/orders/service.yaml", "orders")


def test_all_at_once_by_default_and_an_environment_overrides_the_service() -> None:
    manifest = parsed(rollout={"strategy": "linear", "percent": 25, "interval_s": 30},
                      environments={"prod": {"rollout": {"strategy": "canary", "percent": 10, "bake_s": 600}}})

    assert parsed().rollout_in("prod") == Rollout()
    assert manifest.rollout_in("local") == Rollout("linear", 25, 30, 300)
    assert manifest.rollout_in("prod") == Rollout("canary", 10, 60, 600)


@pytest.mark.parametrize(("rollout", "steps"), [
    (Rollout("all_at_once"), []),
    (Rollout("canary", 10, 60, 300), [(10, 300)]),
    (Rollout("linear", 30, 20, 0), [(30, 20), (60, 20), (90, 20)]),
])
def test_steps_before_all_traffic_moves(rollout: Rollout, steps: list[tuple[int, int]]) -> None:
    assert rollout.steps() == steps


@pytest.mark.parametrize(("bad", "named"), [
    ({"rollout": {"strategy": "blue_green"}}, "'rollout.strategy' must be one of all_at_once, canary, linear"),
    ({"rollout": {"percent": 100}}, "'rollout.percent' must be a whole number from 1 to 99"),
    ({"environments": {"prod": {"rollout": {"interval_s": 0}}}}, "'environments.prod.rollout.interval_s'"),
    ({"rollout": {"strategy": "canary", "pace": 1}}, "unknown field 'rollout.pace'"),
])
def test_a_bad_rollout_is_refused_naming_its_field(bad: dict[str, Any], named: str) -> None:
    with pytest.raises(ManifestError) as refused:
        parsed(**bad)
    assert named in refused.value.message


def test_live_keeps_the_old_version_and_weights_the_new_one_until_the_last_step() -> None:
    assert alias_routing("4", "5", 10) == {"FunctionVersion": "4", "RoutingConfig": {"AdditionalVersionWeights": {"5": 0.1}}}
    assert alias_routing("4", "5", 100) == {"FunctionVersion": "5", "RoutingConfig": {"AdditionalVersionWeights": {}}}


@dataclass
class Alias:
    """The fields of moto's LambdaAlias that routing reads."""

    function_version: str
    routing_config: dict[str, Any] = field(default_factory=dict)


def test_a_weighted_alias_splits_invocations_by_weight() -> None:
    random.seed(14)
    picked = [weighted_version(Alias("4", {"AdditionalVersionWeights": {"5": 0.25}})) for _ in range(4000)]

    assert 900 < picked.count("5") < 1100 and picked.count("4") == 4000 - picked.count("5")
    assert weighted_version(Alias("4")) == "4"


@pytest.mark.emulator
def test_an_alarm_rule_is_judged_on_the_metrics_since_the_shift(local_target: Target) -> None:
    import time

    from pipeline.stages.rollout import _breaks_rule

    function = f"rollout-{uuid.uuid4().hex[:6]}"
    dimensions = [{"Name": "FunctionName", "Value": function}]
    alarm = {"AlarmName": f"{function}-errors", "Namespace": "AWS/Lambda", "MetricName": "Errors",
             "Dimensions": dimensions, "ComparisonOperator": "GreaterThanThreshold", "Threshold": 0.0}
    metrics = local_target.client("cloudwatch", Identity.OPS)
    since = time.time()

    assert _breaks_rule(metrics, alarm, since) == ""  # no datapoints yet: nothing fired
    metrics.put_metric_data(Namespace="AWS/Lambda", MetricData=[
        {"MetricName": "Errors", "Dimensions": dimensions, "Value": 2.0, "Unit": "Count"}])
    assert _breaks_rule(metrics, alarm, since) == f"{function}-errors fired (Errors 2, threshold 0)"
    assert _breaks_rule(metrics, {**alarm, "Threshold": 5.0}, since) == ""


def test_the_deploy_stage_gives_new_versions_the_first_steps_share_only_when_there_is_a_version_to_keep() -> None:
    from pipeline.stages.rollout import first_share

    canary = Rollout("canary", 10, 60, 600)
    assert first_share(canary, {"get": "3"}) == 10
    assert first_share(canary, {}) == 100  # a first deploy has nothing to keep serving
    assert first_share(Rollout(), {"get": "3"}) == 100
