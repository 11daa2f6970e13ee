"""Reaching an environment: the emulator or real AWS, as the ops or the deployer identity.

Terraform and boto3 get the same endpoint and credentials from here, so `local` and real AWS
differ only in this module's inputs (environments.toml), never in the roots or the stages.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline import emulator
from pipeline.errors import IdentityError
from pipeline.project.environments import Environment
from pipeline.project.naming import DEPLOYER_ROLE_PATH, deployer_role_name

# Set by CI runners (CodeBuild, GitHub Actions) that already hold a role's credentials: profiles are ignored.
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
    # Assumed deployer credentials, fetched once per Target (a deploy is far shorter than a session).
    _assumed: dict[str, emulator.Credentials] = field(default_factory=dict, repr=False, compare=False)

    def for_service(self, name: str) -> Target:
        """This target, deploying as `name`'s deployer identity."""
        return replace(self, service=name, _assumed={})

    def _credentials(self, identity: Identity) -> emulator.Credentials:
        if self._assumes_deployer(identity):
            return self._deployer_credentials()
        return emulator.ops_credentials()

    def _assumes_deployer(self, identity: Identity) -> bool:
        """DEPLOYER of a service is its deployer role. Without a service (environment-wide ledger
        reads: history, changed) it is the deployer profile in AWS and the ops user locally."""
        return identity is Identity.DEPLOYER and self.service is not None

    def _deployer_credentials(self) -> emulator.Credentials:
        """Assume `<env>-deployer-<service>` from the developer's key (local) or deployer_profile (AWS).

        Raises IdentityError when the role cannot be assumed.
        """
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        assert self.service is not None
        cached = self._assumed.get(self.service)
        if cached is not None:
            return cached
        region = self.environment.region
        if self.endpoint is not None:
            developer = emulator.developer_credentials()
            sts = boto3.client(
                "sts", endpoint_url=self.endpoint, region_name=region,
                aws_access_key_id=developer.access_key_id, aws_secret_access_key=developer.secret_access_key,
            )
        else:
            session = boto3.Session(profile_name=self._profile(Identity.DEPLOYER), region_name=region)
            sts = session.client("sts")
        role = deployer_role_name(self.environment.name, self.service)
        try:
            caller = sts.get_caller_identity()
            if self.endpoint is None and f":assumed-role/{role}/" in caller["Arn"]:
                # A build already running as this deployer role (CodeBuild's service role) uses it as is.
                held = session.get_credentials().get_frozen_credentials()
                return emulator.Credentials(held.access_key, held.secret_key, held.token)
            partition = caller["Arn"].split(":")[1]
            role_arn = f"arn:{partition}:iam::{caller['Account']}:role{DEPLOYER_ROLE_PATH}{role}"
            issued = sts.assume_role(RoleArn=role_arn, RoleSessionName=f"deploy-{self.service}")["Credentials"]
        except (BotoCoreError, ClientError) as err:
            raise IdentityError(
                f"cannot act as {self.service}'s deployer role {role} in '{self.environment.name}': {err}",
                "ops must apply ops/iam (make iam-plan, then make iam-apply) and list you in deployer_principals",
            ) from None
        credentials = emulator.Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
        self._assumed[self.service] = credentials
        return credentials

    def _profile(self, identity: Identity) -> str | None:
        if os.environ.get(AMBIENT_CREDENTIALS) == "1":
            return None
        return self.environment.ops_profile if identity is Identity.OPS else self.environment.deployer_profile

    def _uses_profile(self, identity: Identity) -> bool:
        return self.endpoint is None and not self._assumes_deployer(identity)

    def process_env(self, identity: Identity) -> dict[str, str]:
        """Environment variables that point Terraform (or any AWS SDK) at this target."""
        env = {"AWS_REGION": self.environment.region, "AWS_DEFAULT_REGION": self.environment.region}
        if self._uses_profile(identity):
            profile = self._profile(identity)
            if profile:
                env["AWS_PROFILE"] = profile
            return env
        credentials = self._credentials(identity)
        env.update(AWS_ACCESS_KEY_ID=credentials.access_key_id, AWS_SECRET_ACCESS_KEY=credentials.secret_access_key)
        if credentials.session_token:
            env["AWS_SESSION_TOKEN"] = credentials.session_token
        if self.endpoint is not None:
            env["AWS_ENDPOINT_URL"] = self.endpoint
        return env

    def signing_credentials(self, identity: Identity) -> emulator.Credentials:
        """The credentials `identity` signs requests with (SigV4 to an IAM-authorised API)."""
        if self._uses_profile(identity):
            import boto3

            session = boto3.Session(profile_name=self._profile(identity), region_name=self.environment.region)
            found: Any = session.get_credentials()
            if found is None:
                raise IdentityError(f"no credentials for {identity.value} in '{self.environment.name}'",
                                    "configure the environment's profile (environments.toml) or CI's role")
            held = found.get_frozen_credentials()
            return emulator.Credentials(held.access_key, held.secret_key, held.token)
        return self._credentials(identity)

    def client(self, service: str, identity: Identity) -> Any:
        """A boto3 client for `service` as `identity`."""
        import boto3

        if self._uses_profile(identity):
            session = boto3.Session(profile_name=self._profile(identity), region_name=self.environment.region)
            return session.client(service)
        credentials = self._credentials(identity)
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.environment.region,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
        )


def connect(environment: Environment) -> Target:
    """Make `environment` reachable, starting the local emulator when it is not running."""
    if not environment.emulator:
        return Target(environment)
    running, started = emulator.ensure_running()
    return Target(environment, endpoint=running.endpoint, emulator_started=started)
