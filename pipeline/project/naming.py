"""Naming conventions shared by the pipeline, service roots and ops' IAM root.

They are the published interface between ops and developers: a service root finds its execution
role by name, and the pipeline finds functions by name. Change them in all three places at once.
"""

from __future__ import annotations


def resource_prefix(environment: str, service: str) -> str:
    return f"{environment}-{service}"


def function_name(environment: str, service: str, function: str) -> str:
    return f"{resource_prefix(environment, service)}-{function}"


def role_name(environment: str, service: str, function: str) -> str:
    """Execution roles are named after their function (and live under /services/<service>/)."""
    return function_name(environment, service, function)


def artifact_key(service: str, sha256: str) -> str:
    """Where the artifact with this SHA-256 lives in the artifact bucket (deployers may write only there)."""
    return f"services/{service}/{sha256}.zip"


DEPLOYER_ROLE_PATH = "/deployers/"


def deployer_role_name(environment: str, service: str) -> str:
    """The role a service's deploys run as (under DEPLOYER_ROLE_PATH), made by ops/iam."""
    return f"{environment}-deployer-{service}"
