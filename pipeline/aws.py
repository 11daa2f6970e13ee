"""Reaching an environment: the emulator or real AWS, as the ops or the deployer identity.

Terraform and boto3 get the same endpoint and credentials from here, so `local` and real AWS
differ only in this module's inputs (environments.toml), never in the roots or the stages.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, overload

from pipeline import emulator
from pipeline.errors import (
    BootstrapMissing,
    EmulatorError,
    IdentityError,
    PipelineError,
    PreflightFailed,
)
from pipeline.project.environments import Environment
from pipeline.project.naming import DEPLOYER_ROLE_PATH, deployer_role_name

if TYPE_CHECKING:  # boto3-stubs: types only, the stages load boto3 lazily
    from botocore.client import BaseClient
    from botocore.config import Config
    from mypy_boto3_apigatewayv2 import ApiGatewayV2Client
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_codepipeline import CodePipelineClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

# The AWS services the pipeline calls; each has its boto3-stubs package in requirements/dev.txt.
ServiceName = Literal[
    "apigatewayv2", "cloudwatch", "codepipeline", "dynamodb", "iam", "lambda", "logs", "s3", "sts"
]

# Set by CI runners (CodeBuild, GitHub Actions) that already hold a role's credentials: profiles are ignored.
AMBIENT_CREDENTIALS = "DEPLOY_AMBIENT_CREDENTIALS"
# An endpoint that does not answer fails in seconds, not after botocore's 60 s connect timeout per retry.
CONNECT_TIMEOUT_S = 5


class Identity(enum.Enum):
    OPS = "ops"  # applies ops roots: buckets, IAM
    DEPLOYER = "deployer"  # ships services: code, functions, APIs, tables; no IAM writes


@dataclass(frozen=True)
class Target:
    """An environment made reachable: its definition plus the emulator endpoint, if it has one.

    At the embedded emulator the pipeline is its ops user, and deployer roles are assumed from
    its developer user. At an external endpoint (environments.toml `endpoint`) it is the
    environment's configured identity (fixed credentials or a profile) for both.
    """

    environment: Environment
    endpoint: str | None = None
    emulator_started: bool = False
    emulator_note: str = ""  # what the started emulator wants the user to know (a busy port)
    service: str | None = None  # the service whose deployer identity DEPLOYER stands for
    # Assumed deployer credentials, fetched once per Target (a deploy is far shorter than a session).
    _assumed: dict[str, emulator.Credentials] = field(default_factory=dict, repr=False, compare=False)

    def for_service(self, name: str) -> Target:
        """This target, deploying as `name`'s deployer identity."""
        return replace(self, service=name, _assumed={})

    def _credentials(self, identity: Identity) -> emulator.Credentials:
        if self._assumes_deployer(identity):
            return self._deployer_credentials()
        if self.environment.endpoint is not None:
            return endpoint_credentials(self.environment)
        return emulator.ops_credentials()

    def _assumer_credentials(self) -> emulator.Credentials:
        """Who assumes deployer roles at an emulator: the developer user, or the endpoint's identity."""
        if self.environment.endpoint is not None:
            return endpoint_credentials(self.environment)
        return emulator.developer_credentials()

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
            sts = _client("sts", self.endpoint, region, self._assumer_credentials())
        else:
            session = boto3.Session(profile_name=self._profile(Identity.DEPLOYER), region_name=region)
            sts = session.client("sts", config=_config())
        role = deployer_role_name(self.environment.name, self.service)
        try:
            caller = sts.get_caller_identity()
            if self.endpoint is None and f":assumed-role/{role}/" in caller["Arn"]:
                # A build already running as this deployer role (CodeBuild's service role) uses it as is.
                return _frozen(session)
            partition = caller["Arn"].split(":")[1]
            role_arn = f"arn:{partition}:iam::{caller['Account']}:role{DEPLOYER_ROLE_PATH}{role}"
            issued = sts.assume_role(RoleArn=role_arn, RoleSessionName=f"deploy-{self.service}")["Credentials"]
        except (BotoCoreError, ClientError) as err:
            if isinstance(known := as_pipeline_error(err), IdentityError) and isinstance(err, BotoCoreError):
                raise known from None  # no profile or credentials at all: signing in is the fix, not ops
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
        import boto3

        env = {"AWS_REGION": self.environment.region, "AWS_DEFAULT_REGION": self.environment.region}
        if self._uses_profile(identity):
            profile = self._profile(identity)
            # Resolved here, so a missing profile or credentials fail now rather than in Terraform's retries.
            _frozen(boto3.Session(profile_name=profile, region_name=self.environment.region))
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

    @overload
    def client(self, service: Literal["apigatewayv2"], identity: Identity) -> ApiGatewayV2Client: ...
    @overload
    def client(self, service: Literal["cloudwatch"], identity: Identity) -> CloudWatchClient: ...
    @overload
    def client(self, service: Literal["codepipeline"], identity: Identity) -> CodePipelineClient: ...
    @overload
    def client(self, service: Literal["dynamodb"], identity: Identity) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["iam"], identity: Identity) -> IAMClient: ...
    @overload
    def client(self, service: Literal["lambda"], identity: Identity) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["logs"], identity: Identity) -> CloudWatchLogsClient: ...
    @overload
    def client(self, service: Literal["s3"], identity: Identity) -> S3Client: ...
    @overload
    def client(self, service: Literal["sts"], identity: Identity) -> STSClient: ...

    def client(self, service: ServiceName, identity: Identity) -> BaseClient:
        """A boto3 client for `service` as `identity`, typed by boto3-stubs."""
        import boto3

        if self._uses_profile(identity):
            session = boto3.Session(profile_name=self._profile(identity), region_name=self.environment.region)
            client: BaseClient = session.client(service, config=_config())
            return client
        made: BaseClient = _client(service, self.endpoint, self.environment.region, self._credentials(identity))
        return made


def _config(attempts: int = 3) -> Config:
    """Short connect timeouts and standard retries: an unreachable endpoint fails within seconds."""
    from botocore.config import Config

    return Config(connect_timeout=CONNECT_TIMEOUT_S, retries={"mode": "standard", "total_max_attempts": attempts})


def _client(
    service: str, endpoint: str | None, region: str, credentials: emulator.Credentials, attempts: int = 3
) -> Any:
    import boto3

    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
        config=_config(attempts),
    )


def _frozen(session: Any) -> emulator.Credentials:
    """The credentials a boto3 session resolved. Raises IdentityError when it resolved none."""
    found = session.get_credentials()
    if found is None:
        raise IdentityError(f"no AWS credentials: not in profile {session.profile_name!r}, the environment "
                            "variables, nor an instance or container role",
                            "sign in (aws sso login --profile NAME, aws configure) or export the role's credentials")
    held = found.get_frozen_credentials()
    return emulator.Credentials(held.access_key, held.secret_key, held.token)


def endpoint_credentials(environment: Environment) -> emulator.Credentials:
    """The identity an external endpoint is reached as: its fixed credentials, or its profile's.

    Raises IdentityError when the profile does not exist or holds no credentials.
    """
    if environment.access_key_id and environment.secret_access_key:
        return emulator.Credentials(environment.access_key_id, environment.secret_access_key)
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return _frozen(boto3.Session(profile_name=environment.profile, region_name=environment.region))
    except BotoCoreError as err:
        raise IdentityError(f"environment '{environment.name}': {err}",
                            "name an existing profile in environments.toml, or fixed access_key_id/secret_access_key")


def _require_answering(target: Target) -> None:
    """An external endpoint must answer an AWS call (sts:GetCallerIdentity), whatever emulator it is.

    Raises EmulatorError when nothing answers there, IdentityError when it refuses the identity.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    environment = target.environment
    try:
        # One attempt: a liveness check that retries would keep a dead endpoint's user waiting.
        sts = _client("sts", target.endpoint, environment.region, endpoint_credentials(environment), attempts=1)
        sts.get_caller_identity()
    except ClientError as err:
        raise IdentityError(
            f"{target.endpoint} refuses environment '{environment.name}''s identity: {err}",
            "check access_key_id/secret_access_key or profile in environments.toml",
        ) from None
    except BotoCoreError as err:
        raise EmulatorError(
            f"nothing answers at {target.endpoint}, the endpoint of environment '{environment.name}': {err}",
            "start the emulator there (this environment never starts one itself), or fix endpoint in environments.toml",
        ) from None


def connect(environment: Environment) -> Target:
    """Make `environment` reachable: an external endpoint as it is, else start the local emulator if needed.

    Raises EmulatorError when the emulator cannot be started or an external endpoint does not answer.
    """
    if environment.endpoint is not None:
        target = Target(environment, endpoint=environment.endpoint.rstrip("/"))
        _require_answering(target)
        return target
    if not environment.emulator:
        return Target(environment)
    running, started = emulator.ensure_running()
    return Target(environment, endpoint=running.endpoint, emulator_started=started,
                  emulator_note=running.busy_port_note() if started else "")


_REFUSED_IDENTITY = {
    "AccessDenied", "AccessDeniedException", "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
    "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId", "AuthFailure",
}


def as_pipeline_error(err: BaseException) -> PipelineError | None:
    """An AWS SDK failure that is a state of the environment, not a bug, as an error with a hint; else None.

    No credentials or profile, an endpoint that does not answer, a bucket not bootstrapped yet, an
    identity AWS refuses: each names what to do.
    """
    from botocore import exceptions as aws

    if isinstance(err, aws.ProfileNotFound):
        return IdentityError(f"AWS profile {err.kwargs.get('profile')!r} is not configured on this machine",
                             "configure it (aws configure sso --profile NAME), or in CI set "
                             f"{AMBIENT_CREDENTIALS}=1 with the role's credentials in the environment")
    if isinstance(err, (aws.NoCredentialsError, aws.PartialCredentialsError, aws.CredentialRetrievalError,
                        aws.TokenRetrievalError, aws.SSOError)):
        return IdentityError(f"no usable AWS credentials: {err}",
                             "sign in to the environment's profile (aws sso login --profile NAME) or export credentials")
    if isinstance(err, (aws.EndpointConnectionError, aws.ConnectTimeoutError, aws.ReadTimeoutError,
                        aws.ConnectionClosedError)):
        return PreflightFailed(f"the environment does not answer: {err}",
                               "check the network, or start the emulator (deploy.py emulator start) for local ones")
    if isinstance(err, aws.ClientError):
        error = err.response.get("Error", {})
        code, message = error.get("Code", "?"), error.get("Message", "")
        operation = getattr(err, "operation_name", "a call")
        if code == "NoSuchBucket":
            return BootstrapMissing(f"{operation}: bucket {error.get('BucketName', '')} does not exist: nothing was "
                                    "bootstrapped or deployed in this environment yet",
                                    "deploy a service first (local), or ops run make bootstrap ENV=<env>")
        if code in _REFUSED_IDENTITY:
            return IdentityError(f"AWS refused {operation}: {code}: {message}",
                                 "a fresh environment has no roles yet: deploy a service first (local) or ops run "
                                 "make iam-plan / make iam-apply ENV=<env>; otherwise check your credentials")
        return PipelineError(f"AWS refused {operation}: {code}: {message}", "run again with --debug for the details")
    if isinstance(err, aws.BotoCoreError):
        return PipelineError(f"AWS SDK: {err}", "run again with --debug for the details")
    return None
