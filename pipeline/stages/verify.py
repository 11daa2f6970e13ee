"""The verify stage: the service's smoke event and HTTP smoke checks against `live`; roll back on failure."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.aws import Identity, Target
from pipeline.errors import InvocationError, StageFailed
from pipeline.project.manifest import Check
from pipeline.project.naming import function_name
from pipeline.project.services import Service
from pipeline.stages.deploy import ALIAS
from pipeline.stages.invoke import read_event
from pipeline.stages.smoke import CheckResult, api_urls, local_gateway, run_checks, sigv4_signer
from pipeline.state.ledger import version_labels


def live_versions(target: Target, service: Service) -> dict[str, str]:
    """The version `live` serves for each of the service's functions; those without one are absent."""
    from botocore.exceptions import ClientError

    client = target.client("lambda", Identity.DEPLOYER)
    versions = {}
    for function in service.manifest.functions:
        try:
            alias = client.get_alias(FunctionName=function_name(target.environment.name, service.name, function), Name=ALIAS)
        except ClientError:
            continue  # not deployed yet: nothing to roll back to
        versions[function] = alias["FunctionVersion"]
    return versions


def roll_back(target: Target, service: Service, previous: dict[str, str]) -> str:
    """Point every function's `live` wholly at its `previous` version (ending any weighted routing)."""
    if not previous:
        return "no earlier version to move live back to"
    client = target.client("lambda", Identity.DEPLOYER)
    for function, version in sorted(previous.items()):
        name = function_name(target.environment.name, service.name, function)
        client.update_alias(FunctionName=name, Name=ALIAS, FunctionVersion=version,
                            RoutingConfig={"AdditionalVersionWeights": {}})
    return f"live moved back to {version_labels(previous)}"


@dataclass(frozen=True)
class SmokeOutcome:
    """What the smoke event and checks found: a summary, and the first failure ("" when all passed)."""

    summary: str
    failure: str = ""


def run_smoke(target: Target, service: Service) -> SmokeOutcome:
    """Send the declared smoke event to `live`, then the HTTP checks through the API, stopping at a failure.

    An unreadable event or body file and an API that cannot be reached are failures too: the
    outcome says so, nothing is raised for them.
    """
    try:
        return _smoke(target, service)
    except StageFailed as err:
        return SmokeOutcome("", err.message.removeprefix("verify: "))


def _smoke(target: Target, service: Service) -> SmokeOutcome:
    smoke = service.manifest.smoke
    if smoke is None:
        return SmokeOutcome("no smoke event or checks declared")
    done = []
    if smoke.function:
        failure = _invoke_event(target, service, smoke.function, smoke.event)
        if failure:
            return SmokeOutcome("", failure)
        done.append(f"{smoke.function} answered the smoke event")
    if smoke.checks:
        results = _send_checks(target, service, smoke.checks)
        failed = [result for result in results if result.failure]
        if failed:
            return SmokeOutcome("", f"smoke check {failed[0].name!r} failed: {failed[0].failure}")
        done.append(f"{len(results)} smoke checks passed ({', '.join(f'{r.name}: {r.status}' for r in results)})")
    return SmokeOutcome("; ".join(done))


def _invoke_event(target: Target, service: Service, function: str, event: str) -> str:
    try:
        payload = read_event(service.folder / event)
    except InvocationError as err:
        raise StageFailed(f"verify: {err.message}", err.hint) from None
    from botocore.exceptions import ClientError

    client = target.client("lambda", Identity.DEPLOYER)
    name = function_name(target.environment.name, service.name, function)
    try:
        response = client.invoke(FunctionName=name, Qualifier=ALIAS, Payload=payload)
        body = response["Payload"].read().decode(errors="replace")
        failed = bool(response.get("FunctionError")) or response.get("StatusCode", 500) >= 300
    except ClientError as err:
        body, failed = f"the invoke was refused: {err}", True
    return f"smoke event {event} failed on {name}:{ALIAS}: {body[:300]}" if failed else ""


def _send_checks(target: Target, service: Service, checks: tuple[Check, ...]) -> list[CheckResult]:
    signer = sigv4_signer(target, Identity.DEPLOYER)
    if target.environment.emulator:
        with local_gateway(target) as base_url:
            return run_checks(checks, lambda name: base_url(name or service.name), signer, service.folder)
    urls = api_urls(target)
    return run_checks(checks, lambda name: urls(name or service.name), signer, service.folder)


def verify(target: Target, service: Service, previous: dict[str, str]) -> str:
    """Send the declared smoke event and HTTP checks to `live`; returns a one-line summary.

    On a function error, a refused invoke, a failed check (a 5xx, an unexpected status, a
    missing or different field) or an unreachable API, moves every function's `live` back to
    `previous` and raises StageFailed naming the check.
    """
    outcome = run_smoke(target, service)
    if outcome.failure:
        rolled = roll_back(target, service, previous)
        raise StageFailed(
            f"verify: {outcome.failure}; {rolled}",
            "fix the function (its logs say why) and deploy again; the ledger did not move",
        )
    return outcome.summary
