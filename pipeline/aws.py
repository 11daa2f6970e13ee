"""Reaching an environment: the emulator or real AWS, as the ops or the deployer identity.

Terraform and boto3 get the same endpoint and credentials from here, so `local` and real AWS
differ only in this module's inputs (environments.toml), never in the roots or the stages.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, replace
from typing import Any

from pipeline import emulator
from pipeline.environments import Environment

# Set by CI runners (CodeBuild, GitHub Actions) that already hold the right role's credentials.
AMBIENT_CREDENTIALS = "DEPLOY_AMBIENT_CREDENTIALS"


class Identity(enum.Enum):
    OPS = "ops"  # applies ops roots: buckets, IAM
    DEPLOYER = "deployer"  # ships services: code, functions, APIs, tables; no IAM writes


@dataclass(frozen=True)
class Target:
    """An environment made reachable: its definition plus the emulator endpoint, if local."""

    environment: Environment
    endpoint: str | None = None
    emulator_started: bool = False
    service: str | None = None  # the service whose deployer identity DEPLOYER stands for

    def for_service(self, name: str) -> Target:
        """This target, deploying as `name`'s deployer identity."""
        return replace(self, service=name)

    def _credentials(self, identity: Identity) -> emulator.Credentials:
        return emulator.ops_credentials()

    def process_env(self, identity: Identity) -> dict[str, str]:
        """Environment variables that point Terraform (or any AWS SDK) at this target."""
        env = {"AWS_REGION": self.environment.region, "AWS_DEFAULT_REGION": self.environment.region}
        if self.endpoint is not None:
            credentials = self._credentials(identity)
            env.update(
                AWS_ENDPOINT_URL=self.endpoint,
                AWS_ACCESS_KEY_ID=credentials.access_key_id,
                AWS_SECRET_ACCESS_KEY=credentials.secret_access_key,
            )
        else:
            profile = (
                self.environment.ops_profile if identity is Identity.OPS else self.environment.deployer_profile
            )
            if profile and os.environ.get(AMBIENT_CREDENTIALS) != "1":
                env["AWS_PROFILE"] = profile
        return env

    def client(self, service: str, identity: Identity) -> Any:
        """A boto3 client for `service` as `identity`."""
        import boto3

        if self.endpoint is None:
            profile = self.process_env(identity).get("AWS_PROFILE")
            return boto3.Session(profile_name=profile, region_name=self.environment.region).client(service)
        credentials = self._credentials(identity)
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.environment.region,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
        )


def connect(environment: Environment) -> Target:
    """Make `environment` reachable, starting the local emulator when it is not running."""
    if not environment.emulator:
        return Target(environment)
    running, started = emulator.ensure_running()
    return Target(environment, endpoint=running.endpoint, emulator_started=started)
