"""The cheap drift check on the code-only fast path: live function settings versus Terraform's state.

One read of the state object and one GetFunctionConfiguration per function, instead of a plan.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pipeline.aws import Identity, Target
from pipeline.errors import DriftDetected

# Terraform attribute -> GetFunctionConfiguration field, for settings Terraform owns.
_SCALARS = {"memory_size": "MemorySize", "timeout": "Timeout", "handler": "Handler", "runtime": "Runtime", "role": "Role"}


def _recorded_functions(state: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for resource in state.get("resources", []):
        if resource.get("mode") == "managed" and resource.get("type") == "aws_lambda_function":
            for instance in resource.get("instances", []):
                yield instance.get("attributes", {})


def setting_differences(recorded: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    """Settings whose live value differs from the one Terraform recorded, as `name: state X, live Y`."""
    differences = [
        f"{attribute}: state {recorded.get(attribute)!r}, live {live.get(field)!r}"
        for attribute, field in _SCALARS.items() if recorded.get(attribute) != live.get(field)
    ]
    recorded_env = (recorded.get("environment") or [{}])[0].get("variables") or {}
    live_env = live.get("Environment", {}).get("Variables", {})
    if recorded_env != live_env:
        changed = sorted(set(recorded_env) ^ set(live_env) | {k for k in recorded_env if live_env.get(k) != recorded_env[k]})
        differences.append(f"environment variables changed: {', '.join(changed)}")
    recorded_tracing = (recorded.get("tracing_config") or [{}])[0].get("mode")
    if recorded_tracing != live.get("TracingConfig", {}).get("Mode"):
        differences.append(f"tracing: state {recorded_tracing!r}, live {live.get('TracingConfig', {}).get('Mode')!r}")
    return differences


def read_state(target: Target, state_key: str) -> dict[str, Any] | None:
    """A root's Terraform state from the environment's state bucket; None before its first apply."""
    s3 = target.client("s3", Identity.DEPLOYER)
    try:
        body = s3.get_object(Bucket=target.environment.state_bucket, Key=state_key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return dict(json.loads(body))


def drifted_functions(target: Target, state: Mapping[str, Any]) -> list[str]:
    """`function: differences` for each function in the state whose live settings differ from it."""
    client = target.client("lambda", Identity.DEPLOYER)
    drifted = []
    for recorded in _recorded_functions(state):
        live = client.get_function_configuration(FunctionName=recorded["function_name"])
        differences = setting_differences(recorded, live)
        if differences:
            drifted.append(f"{recorded['function_name']}: {'; '.join(differences)}")
    return drifted


def refuse_drifted_functions(target: Target, state_key: str, service: str) -> None:
    """Raise DriftDetected if any function in the root's state was reconfigured outside Terraform."""
    state = read_state(target, state_key)
    drifted = [] if state is None else drifted_functions(target, state)
    if drifted:
        raise DriftDetected(
            f"{service}'s functions were changed outside Terraform, so the code-only path will not ship over them:\n  "
            + "\n  ".join(drifted),
            f"see the full drift with `python deploy.py drift --service {service} --env {target.environment.name}`; "
            "put Terraform's settings back with the same command plus --reconcile, or make the change in the service's "
            "infra and deploy it",
        )
