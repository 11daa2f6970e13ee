"""What runs where: per service in an environment, live versions, last execution, drift, alarms, URL.

Read-only and cheap: the ledger, one state object and one GetFunctionConfiguration and GetAlias
per function (the code-only path's drift check, not a plan), one DescribeAlarms per environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.aws import Identity, Target
from pipeline.errors import IdentityError
from pipeline.project.environments import HOST, gateway_port
from pipeline.project.naming import function_name, resource_prefix
from pipeline.project.services import load_service, service_names
from pipeline.stages.deploy import ALIAS, service_infra_hash
from pipeline.stages.live_config import drifted_functions, read_state
from pipeline.state.ledger import Ledger, LedgerEntry
from pipeline.terraform.roots import state_key


@dataclass(frozen=True)
class LiveAlias:
    """Where a function's `live` alias points: a version, plus weighted extra versions if shifting."""

    function: str  # manifest name
    version: str
    weights: dict[str, float]  # additional version -> share of traffic


@dataclass(frozen=True)
class ExecutionSummary:
    execution_id: str
    kind: str  # deploy | promote | rollback
    result: str  # succeeded | failed
    finished_at: float
    seconds: float
    commit: str
    error: str
    stages: tuple[tuple[str, str, float, float], ...]  # (name, status, started_at, seconds)


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    environment: str
    live: tuple[LiveAlias, ...]  # empty: not deployed
    artifact_sha256: str  # of the last successful execution
    commit: str
    last_execution: ExecutionSummary | None
    infra_changed: bool | None  # infra inputs differ from the last success's; None: never deployed
    drift: tuple[str, ...]  # functions changed outside Terraform (the cheap check)
    alarms: tuple[str, ...]  # alarm names in ALARM
    api_url: str
    note: str = ""  # why the rest is empty, e.g. no deployer role for a service never deployed here


def summary_of(entry: LedgerEntry) -> ExecutionSummary:
    """A ledger entry as the status and the console show it."""
    stages = tuple((stage.name, stage.status, stage.started_at, stage.seconds) for stage in entry.stages)
    return ExecutionSummary(entry.execution_id, entry.kind, entry.result, entry.finished_at,
                            entry.finished_at - entry.started_at, entry.commit, entry.error, stages)


def live_aliases(target: Target, service: str) -> tuple[LiveAlias, ...]:
    """Each deployed function's `live` alias; functions not deployed (yet) are left out."""
    client = target.client("lambda", Identity.DEPLOYER)
    found = []
    for name in sorted(load_service(service).manifest.functions):
        try:
            alias = client.get_alias(FunctionName=function_name(target.environment.name, service, name), Name=ALIAS)
        except client.exceptions.ResourceNotFoundException:
            continue
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        found.append(LiveAlias(name, str(alias["FunctionVersion"]), {str(k): float(v) for k, v in weights.items()}))
    return tuple(found)


def alarms_firing(target: Target) -> list[str]:
    """Names of the environment's alarms in the ALARM state."""
    client = target.client("cloudwatch", Identity.OPS)
    pages = client.get_paginator("describe_alarms").paginate(StateValue="ALARM")
    return [alarm["AlarmName"] for page in pages for alarm in page.get("MetricAlarms", [])]


def api_url(target: Target, service: str, state: dict[str, object] | None) -> str:
    """Where a client reaches the service: the local gateway in the emulator, else the API's endpoint."""
    if target.environment.emulator:
        return f"http://{HOST}:{gateway_port()}/{service}"
    outputs = (state or {}).get("outputs") or {}
    endpoint = outputs.get("api_endpoint", {}) if isinstance(outputs, dict) else {}
    return str(endpoint.get("value", "")) if isinstance(endpoint, dict) else ""


def service_status(target: Target, service: str, firing: list[str]) -> ServiceStatus:
    """One service's status in the target's environment. Raises ServiceNotFound, ManifestError."""
    loaded = load_service(service)
    target = target.for_service(service)
    ledger = Ledger(target)
    executions = ledger.executions(service)
    success = ledger.last_success(service)
    state = read_state(target, state_key(loaded.infra_dir))
    prefix = resource_prefix(target.environment.name, service) + "-"
    return ServiceStatus(
        service=service, environment=target.environment.name, live=live_aliases(target, service),
        artifact_sha256=success.artifact_sha256 if success else "", commit=success.commit if success else "",
        last_execution=summary_of(executions[-1]) if executions else None,
        infra_changed=None if success is None else success.infra_hash != service_infra_hash(target, loaded),
        drift=tuple(drifted_functions(target, state)) if state is not None else (),
        alarms=tuple(name for name in firing if name.startswith(prefix)),
        api_url=api_url(target, service, state),
    )


def environment_status(target: Target, services: list[str] | None = None) -> list[ServiceStatus]:
    """Every service's status (or the named ones') in the target's environment.

    Raises ServiceNotFound for an unknown name, EmulatorError, or botocore errors for missing access.
    """
    from botocore.exceptions import ClientError

    firing = alarms_firing(target)
    found = []
    for name in services or service_names():
        load_service(name)  # an unknown name is the caller's mistake, not a status
        try:
            found.append(service_status(target, name, firing))
        except (IdentityError, ClientError) as err:  # typically: never deployed here, no deployer role or grants yet
            reason = err.message if isinstance(err, IdentityError) else f"{name}'s deployer cannot read its state: {err}"
            found.append(ServiceStatus(name, target.environment.name, (), "", "", None, None, (), (), "", reason))
    return found
