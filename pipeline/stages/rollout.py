"""Progressive rollout: `live` moves to the new versions in weighted steps, watched by alarms and smoke checks.

The deploy stage gave the new versions the first step's share of `live` (AdditionalVersionWeights).
Each step runs for its time; every `interval_s` the service's alarms and smoke checks are read,
and the first alarm or failed check moves `live` back. In AWS an alarm counts when CloudWatch
has it in ALARM. In the emulator, which does not evaluate alarms, the pipeline evaluates each
alarm's own rule (metric, statistic Sum, threshold, comparison) on the metrics the emulator's
Lambda runtime published since the step began.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pipeline.aws import Identity, Target
from pipeline.errors import StageFailed
from pipeline.project.manifest import Rollout
from pipeline.project.naming import function_name, resource_prefix
from pipeline.project.services import Service
from pipeline.stages.deploy import ALIAS, alias_routing
from pipeline.stages.verify import roll_back, run_smoke, verify
from pipeline.state.ledger import version_labels

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


def firing_alarms(target: Target, service: Service, since: float) -> list[str]:
    """The service's alarms in ALARM (AWS), or whose rule the metrics since `since` break (emulator)."""
    prefix = resource_prefix(target.environment.name, service.name) + "-"
    cloudwatch = target.client("cloudwatch", Identity.DEPLOYER)
    alarms = [alarm for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix)
              for alarm in page["MetricAlarms"]]
    if not target.environment.emulator:
        return [f"{alarm['AlarmName']} is in ALARM" for alarm in alarms if alarm["StateValue"] == "ALARM"]
    metrics = target.client("cloudwatch", Identity.OPS)  # the emulator's own metrics; deployers never read them
    return [found for alarm in alarms if (found := _breaks_rule(metrics, alarm, since))]


def _breaks_rule(metrics: Any, alarm: Mapping[str, Any], since: float) -> str:
    now = time.time()
    datapoints = metrics.get_metric_statistics(
        Namespace=alarm["Namespace"], MetricName=alarm["MetricName"], Dimensions=alarm["Dimensions"],
        StartTime=datetime.fromtimestamp(since, timezone.utc), EndTime=datetime.fromtimestamp(now + 1, timezone.utc),
        Period=60 * math.ceil((now + 1 - since) / 60), Statistics=["Sum"],  # one datapoint: the whole window
    )["Datapoints"]
    total = sum(point["Sum"] for point in datapoints)
    compare = _COMPARE.get(alarm["ComparisonOperator"])
    if compare is None or not datapoints or not compare(total, alarm["Threshold"]):
        return ""
    return f"{alarm['AlarmName']} fired ({alarm['MetricName']} {total:g}, threshold {alarm['Threshold']:g})"


def roll_out(target: Target, service: Service, rollout: Rollout, previous: dict[str, str], new: dict[str, str],
             shifted: Callable[[str], None], sleep: Callable[[float], None] = time.sleep) -> str:
    """Run the rollout's steps (the first already set by the deploy stage), then give the new versions all traffic.

    `shifted` hears each shift as a line for the ledger. On the first alarm or failed smoke check,
    moves `live` back to `previous` and raises StageFailed naming it. Returns a summary.
    """
    moving = {function: version for function, version in new.items() if previous.get(function, version) != version}
    steps = rollout.steps()
    if not moving or not steps:
        return ""
    started = time.monotonic()
    client = target.client("lambda", Identity.DEPLOYER)
    for index, (percent, seconds) in enumerate(steps):
        if index:
            _shift(client, target, service, previous, moving, percent)
        shifted(f"+{time.monotonic() - started:.1f}s {percent}% to {version_labels(moving)}")
        step_began = time.time()
        ends = time.monotonic() + seconds
        while True:
            sleep(max(0.0, min(rollout.interval_s, ends - time.monotonic())))
            trouble = firing_alarms(target, service, step_began) or [run_smoke(target, service).failure]
            if trouble[0]:
                rolled = roll_back(target, service, previous)
                shifted(f"+{time.monotonic() - started:.1f}s rolled back at {percent}%: {trouble[0]}")
                raise StageFailed(f"verify: rollout stopped at {percent}%: {trouble[0]}; {rolled}",
                                  "the new version's errors are in its logs and metrics; the ledger did not move")
            if time.monotonic() >= ends:
                break
    _shift(client, target, service, previous, moving, 100)
    shifted(f"+{time.monotonic() - started:.1f}s 100% to {version_labels(moving)}")
    return f"{rollout.strategy} rollout completed in {time.monotonic() - started:.1f}s ({len(steps)} watched steps)"


def _shift(client: LambdaClient, target: Target, service: Service, previous: dict[str, str], moving: dict[str, str],
           percent: int) -> None:
    for function, version in sorted(moving.items()):
        name = function_name(target.environment.name, service.name, function)
        client.update_alias(FunctionName=name, Name=ALIAS, **alias_routing(previous[function], version, percent))


def first_share(rollout: Rollout, previous: dict[str, str]) -> int:
    """The percent of traffic the deploy stage gives the new versions: all of it unless a rollout steps in."""
    steps = rollout.steps()
    return steps[0][0] if steps and previous else 100


def verify_and_roll_out(target: Target, service: Service, previous: dict[str, str], new: dict[str, str],
                        on_shift: Callable[[str], None]) -> str:
    """Smoke checks on `live`, then the environment's rollout of the new versions (a no-op all at once).

    Raises StageFailed (live moved back) on a failed check or a firing alarm.
    """
    summary = verify(target, service, previous)
    rolled = roll_out(target, service, service.manifest.rollout_in(target.environment.name), previous, new, on_shift)
    return f"{summary}; {rolled}" if rolled else summary
