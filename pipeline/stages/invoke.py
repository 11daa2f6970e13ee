"""Invoke a deployed function's `live` alias, locally or in AWS, and return Lambda's answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.aws import Identity, connect
from pipeline.errors import InvocationError
from pipeline.project.environments import get_environment
from pipeline.project.naming import function_name
from pipeline.project.services import load_service
from pipeline.stages.deploy import ALIAS


@dataclass(frozen=True)
class Invocation:
    function: str  # the deployed function's name
    version: str  # the version `live` ran
    payload: str  # the function's JSON result, or Lambda's error payload
    function_error: str | None  # "Unhandled" when the payload is an error


def read_event(path: Path | None) -> bytes:
    """The event to send: the JSON file's bytes, or `{}`. Raises InvocationError if it is not JSON."""
    if path is None:
        return b"{}"
    try:
        text = path.read_bytes()
        json.loads(text)
    except OSError as err:
        raise InvocationError(f"cannot read event file {path}: {err.strerror}", "pass --event with a JSON file") from None
    except ValueError as err:
        raise InvocationError(f"event file {path} is not JSON: {err}", "fix the file; Lambda events are JSON") from None
    return text


def invoke_function(service_name: str, function: str, event: bytes, environment_name: str) -> Invocation:
    """Invoke `function` of `service_name` through its `live` alias in `environment_name`.

    Raises ServiceNotFound, ManifestError, EnvironmentNotFound, or InvocationError when the
    function is unknown to the manifest or not deployed.
    """
    from botocore.exceptions import ClientError

    environment = get_environment(environment_name)
    service = load_service(service_name)
    if function not in service.manifest.functions:
        raise InvocationError(
            f"service {service_name} has no function '{function}'",
            f"its functions: {', '.join(sorted(service.manifest.functions))}",
        )
    name = function_name(environment.name, service_name, function)
    client = connect(environment).for_service(service_name).client("lambda", Identity.DEPLOYER)
    try:
        response = client.invoke(FunctionName=name, Qualifier=ALIAS, Payload=event)
    except ClientError as err:
        if err.response["Error"]["Code"] != "ResourceNotFoundException":
            raise InvocationError(f"invoking {name}:{ALIAS} failed: {err}", "check the deployer's permissions") from None
        raise InvocationError(
            f"{name}:{ALIAS} is not deployed in {environment.name}",
            f"deploy it first: python deploy.py deploy --service {service_name} --env {environment.name}",
        ) from None
    return Invocation(
        function=name, version=response.get("ExecutedVersion", ""),
        payload=response["Payload"].read().decode(), function_error=response.get("FunctionError"),
    )
