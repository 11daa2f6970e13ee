"""The verify stage: send the service's smoke event to its `live` alias; roll back on failure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.aws import Identity, Target
from pipeline.errors import InvocationError, StageFailed
from pipeline.project.naming import function_name
from pipeline.project.services import Service
from pipeline.stages.deploy import ALIAS
from pipeline.stages.invoke import read_event
from pipeline.state.ledger import version_labels

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


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


def _roll_back(client: LambdaClient, target: Target, service: Service, previous: dict[str, str]) -> str:
    for function, version in sorted(previous.items()):
        name = function_name(target.environment.name, service.name, function)
        client.update_alias(FunctionName=name, Name=ALIAS, FunctionVersion=version)
    return f"live moved back to {version_labels(previous)}" if previous else "no earlier version to move live back to"


def verify(target: Target, service: Service, previous: dict[str, str]) -> str:
    """Invoke the declared smoke event on `live`; returns a one-line summary.

    On a function error or a refused invoke, moves every function's `live` back to `previous` and raises
    StageFailed saying so. Raises StageFailed for an event file that is not JSON.
    """
    smoke = service.manifest.smoke
    if smoke is None:
        return "no smoke event declared"
    try:
        payload = read_event(service.folder / smoke.event)
    except InvocationError as err:
        raise StageFailed(f"verify: {err.message}", err.hint) from None
    from botocore.exceptions import ClientError

    client = target.client("lambda", Identity.DEPLOYER)
    name = function_name(target.environment.name, service.name, smoke.function)
    try:
        response = client.invoke(FunctionName=name, Qualifier=ALIAS, Payload=payload)
        body = response["Payload"].read().decode(errors="replace")
        failed = bool(response.get("FunctionError")) or response.get("StatusCode", 500) >= 300
    except ClientError as err:
        body, failed = f"the invoke was refused: {err}", True
    if failed:
        rolled = _roll_back(client, target, service, previous)
        raise StageFailed(
            f"verify: smoke event {smoke.event} failed on {name}:{ALIAS}: {body[:300]}; {rolled}",
            "fix the function (its logs say why) and deploy again; the ledger did not move",
        )
    return f"{smoke.function} answered the smoke event ({len(body)} bytes)"
