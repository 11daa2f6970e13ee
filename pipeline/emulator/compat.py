"""Small, tested fixes to the embedded emulator (moto) where it differs from AWS.

Each patch names the moto versions it was checked against; tests/pipeline/emulator prove each
one changes behaviour, so a moto upgrade that makes a patch unnecessary (or breaks it) shows up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import moto

PATCHED_MOTO_VERSIONS = ("5.2.1", "5.2.5")


def requests_are_authorised_on_their_resources_as_in_aws() -> None:
    """Authorise each request on its real resource ARN and condition keys, capped by the
    principal's permissions boundary, with AWS's evaluation logic (pipeline/policy/evaluation.py).

    Checked on moto 5.2.1: moto authorises Lambda, DynamoDB, Logs, CloudWatch and API
    Gateway requests against the resource "*", so an Allow scoped to ARNs never matches (and
    the only way to make least-privilege policies work is to match every ARN, which lets one
    service's deployer change another's function); it ignores permissions boundaries, never checks
    iam:PassRole, evaluates no condition key but a trust policy's, and treats a Deny with
    NotResource as an Allow. The resources and keys come from pipeline/emulator/resources.py;
    what cannot be judged fails closed, with the reason in the AccessDenied message.
    """
    import threading
    import traceback

    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMRequestBase

    from pipeline.emulator.principals import identity_policies, permissions_boundary
    from pipeline.emulator.resources import EMULATOR, authorisation_requests
    from pipeline.policy.evaluation import UNRESOLVED, Request, evaluate

    serving = threading.local()  # the moto response whose request is being authorised, per thread
    original_authorize: Callable[..., None] = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authenticate_and_authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        serving.response = self
        try:
            original_authorize(self, iam_request_cls, resource)
        finally:
            serving.response = None

    def check_action_permitted(self: Any, resource: str) -> None:
        if self._action == "sts:GetCallerIdentity":  # always allowed, as in AWS
            return
        response = getattr(serving, "response", None)
        try:
            requests = (authorisation_requests(response, self._action, resource) if response is not None
                        else [Request(self._action, resource)])
        except Exception:  # a request shape the resolver did not expect: judge it on no resource (fail closed)
            traceback.print_exc()
            requests = [Request(self._action, UNRESOLVED)]
        identity, boundary = identity_policies(self._access_key), permissions_boundary(self._access_key)
        for request in requests:
            verdict = evaluate(identity, request, boundary=boundary, judge=EMULATOR)
            if not verdict.allowed:
                self._denial = (request, verdict.reason)
                self._raise_access_denied()
        if self._is_assuming_role_operation(resource) and not self._check_role_trust_relationship(resource):
            self._raise_access_denied()

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate_and_authorize  # type: ignore[method-assign]
    IAMRequestBase.check_action_permitted = check_action_permitted  # type: ignore[method-assign]


def unsigned_requests_are_denied() -> None:
    """Deny (403) a request without a SigV4 Authorization header, as AWS denies an anonymous caller.

    Checked on moto 5.2.1: once IAM enforcement is on, moto reads the Authorization
    header unconditionally, so an unsigned request (curl, a browser's CORS preflight) fails with
    KeyError inside the check: a 500 and a traceback in the emulator's log. moto serves unsigned
    requests as S3 (it tells the service from the signature's scope), so they get S3's denial.
    """
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import AccessDeniedError
    from moto.iam.access_control import S3IAMRequest
    from moto.s3.exceptions import S3AccessDeniedError

    original: Callable[..., None] = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authenticate_and_authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        enforcing = ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT
        if enforcing and "Authorization" not in self.headers:
            if iam_request_cls is S3IAMRequest:
                raise S3AccessDeniedError()
            raise AccessDeniedError(user_arn="anonymous", action=str(self._get_action()))  # a service told by Host
        original(self, iam_request_cls, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate_and_authorize  # type: ignore[method-assign]


def signatures_are_checked_against_the_encoded_url() -> None:
    """Re-encode the URL before moto recomputes a request's SigV4 signature.

    moto rebuilds the canonical request from the decoded URL, so under IAM enforcement any
    reserved character fails with SignatureDoesNotMatch: a query value (ListObjectsV2
    `prefix=services/`, as Terraform's S3 backend sends) or a path segment (API Gateway's
    `/stages/$default`). Clients sign the RFC 3986-encoded form; re-encoding (idempotently:
    decode, then encode) restores it. S3 paths are signed unencoded, so they are left alone.
    """
    from urllib.parse import quote, unquote

    from moto.iam.access_control import IAMRequest, IAMRequestBase

    original: Callable[[Any], Any] = IAMRequestBase._create_aws_request

    def encode(part: str) -> str:
        return quote(unquote(part), safe="-_.~")

    def create_aws_request(self: Any) -> Any:
        path, _, query = self._path.partition("?")
        if isinstance(self, IAMRequest):
            path = "/".join(encode(segment) for segment in path.split("/"))
        if query:
            pairs = (pair.partition("=") for pair in query.split("&"))
            query = "&".join(f"{encode(k)}{sep}{encode(v)}" for k, sep, v in pairs)
        self._path = f"{path}?{query}" if query else path
        return original(self)

    IAMRequestBase._create_aws_request = create_aws_request  # type: ignore[method-assign]


def bodiless_requests_are_signed_without_a_body() -> None:
    """Check the signature of a request without a body against an empty payload, as the client signed it.

    Checked on moto 5.2.1: for a request with no body moto signs its "data" instead,
    which is the query string or, with none, the request headers, encoded as a form body. Every
    GET of a REST service (Lambda GetFunction, API Gateway GetApi) and every POST without a body
    (Lambda Invoke with no payload, as `aws lambda invoke` sends it) then fails with
    SignatureDoesNotMatch under IAM enforcement, for every identity. Form-encoded requests (the
    query protocol: IAM, STS) keep moto's way: their body is parsed into that data, and signed
    from it correctly.
    """
    from moto.iam.access_control import IAMRequestBase

    original: Callable[[Any], Any] = IAMRequestBase._create_aws_request

    def create_aws_request(self: Any) -> Any:
        content_type = next((v for k, v in self._headers.items() if k.lower() == "content-type"), "")
        if self._body or content_type.startswith("application/x-www-form-urlencoded"):
            return original(self)
        # Only for the signature: moto's own error paths still read the request data afterwards.
        data, self._data = self._data, b""
        try:
            return original(self)
        finally:
            self._data = data

    IAMRequestBase._create_aws_request = create_aws_request  # type: ignore[method-assign]


def pipeline_sources_need_no_location() -> None:
    """Accept CodeBuild projects whose source and artifacts are CODEPIPELINE, without a location.

    Checked on moto 5.2.1 and 5.2.5: CreateProject demands `location` for every source and
    artifact type, but AWS forbids it for CODEPIPELINE (the pipeline hands over the input), so
    the project every CodePipeline build action needs could not be created.
    """
    from moto.codebuild import responses

    original_source: Callable[[dict[str, Any]], None] = responses._validate_required_params_source
    original_artifacts: Callable[[dict[str, Any]], None] = responses._validate_required_params_artifacts

    def validate_source(source: dict[str, Any]) -> None:
        if source.get("type") not in ("CODEPIPELINE", "NO_SOURCE"):
            original_source(source)

    def validate_artifacts(artifacts: dict[str, Any]) -> None:
        if artifacts.get("type") != "CODEPIPELINE":
            original_artifacts(artifacts)

    responses._validate_required_params_source = validate_source
    responses._validate_required_params_artifacts = validate_artifacts


def pipeline_roles_may_list_their_service_principals() -> None:
    """Accept a pipeline role whose trust policy lists codepipeline.amazonaws.com in an array.

    Checked on moto 5.2.1 and 5.2.5: CreatePipeline compares each statement's
    `Principal.Service` with the string itself, so `"Service": ["codepipeline.amazonaws.com"]`
    (valid IAM, and what Terraform's policy documents produce) is refused. The check is redone
    with both forms before moto's own, which then sees an equivalent single-string policy.
    """
    import json

    from moto.codepipeline.models import CodePipelineBackend
    from moto.iam.exceptions import NotFoundException as IAMNotFoundException

    original: Callable[..., Any] = CodePipelineBackend.create_pipeline

    def trusted_services(document: str) -> list[str]:
        services: list[str] = []
        for statement in json.loads(document).get("Statement", []):
            principal = statement.get("Principal", {})
            named = principal.get("Service", []) if isinstance(principal, dict) else []
            services += [named] if isinstance(named, str) else list(named)
        return services

    def create_pipeline(self: Any, pipeline: dict[str, Any], tags: Any) -> Any:
        try:
            role = self.iam_backend.get_role_by_arn(pipeline["roleArn"])
        except IAMNotFoundException:
            return original(self, pipeline, tags)  # moto's own check reports the missing role
        document = role.assume_role_policy_document
        if "codepipeline.amazonaws.com" not in trusted_services(document):
            return original(self, pipeline, tags)
        role.assume_role_policy_document = json.dumps(
            {"Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}}]}
        )
        try:
            return original(self, pipeline, tags)
        finally:
            role.assume_role_policy_document = document

    CodePipelineBackend.create_pipeline = create_pipeline  # type: ignore[method-assign]


def pipeline_timestamps_are_epoch_seconds() -> None:
    """Return a pipeline's `created`/`updated` as epoch seconds, as AWS's JSON protocol does.

    Checked on moto 5.2.1 and 5.2.5: GetPipeline and ListPipelines send ISO-8601 strings, which
    SDKs that parse timestamps strictly (the Terraform provider) reject, so a created pipeline
    could not be read back.
    """
    from moto.codepipeline.models import CodePipeline
    from moto.core.utils import unix_time

    def metadata(self: Any) -> dict[str, Any]:
        return {"pipelineArn": self._arn, "created": unix_time(self._created), "updated": unix_time(self._updated)}

    CodePipeline.metadata = property(metadata)  # type: ignore[assignment,method-assign]


# UpdateStage body field -> moto Stage attribute; the two settings maps merge per key, as in AWS.
_STAGE_FIELDS = {"defaultRouteSettings": "default_route_settings", "routeSettings": "route_settings",
                 "description": "description", "stageVariables": "stage_variables", "autoDeploy": "auto_deploy",
                 "accessLogSettings": "access_log_settings"}


def http_api_stages_can_be_updated() -> None:
    """Answer API Gateway v2 UpdateStage, so a changed throttle or route setting applies to a stage.

    Checked on moto 5.2.1: UpdateStage is not implemented (500), so once a stage exists
    Terraform cannot change its default or per-route throttling (route_settings from the
    manifest) without replacing the API. Settings maps merge per key, as UpdateStage does.
    """
    import json
    from datetime import datetime
    from urllib.parse import unquote

    from moto.apigatewayv2.responses import ApiGatewayV2Response

    def update_stage(self: Any) -> tuple[int, dict[str, str], str]:
        segments = self.path.split("/")
        stage = self.apigatewayv2_backend.get_stage(segments[-3], unquote(segments[-1]))
        for field, value in json.loads(self.body or "{}").items():
            attribute = _STAGE_FIELDS.get(field)
            if attribute is None:
                continue
            current = getattr(stage, attribute, None)
            merged = {**current, **value} if isinstance(current, dict) and isinstance(value, dict) else value
            setattr(stage, attribute, merged)
        stage.updated = datetime.now()
        return 200, {}, json.dumps(stage.to_json())

    ApiGatewayV2Response.update_stage = update_stage  # type: ignore[attr-defined]


# moto's name for a request -> the action AWS authorises it as.
_AWS_ACTION_NAMES = {"lambda:Invoke": "lambda:InvokeFunction", "s3:HeadBucket": "s3:ListBucket"}


def actions_are_named_as_in_aws_policies() -> None:
    """Authorise API Gateway as `apigateway:<HTTP method>`, CloudWatch as `cloudwatch:<operation>`,
    Lambda's Invoke as `lambda:InvokeFunction` and S3's HeadBucket as `s3:ListBucket`.

    moto names a request's action `<signing name>:<operation>`, which no real policy grants for
    these: AWS authorises API Gateway management by method (`apigateway:POST`) on the resource
    path, CloudWatch signs as `monitoring` but its actions are `cloudwatch:*`, and the Invoke
    operation's action is `lambda:InvokeFunction`, HeadBucket's is `s3:ListBucket`. Policies
    written for AWS would otherwise deny every API, alarm, invoke and bucket-exists request.
    """
    from moto.iam.access_control import IAMRequestBase

    original: Callable[..., None] = IAMRequestBase.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self._service == "apigateway":
            self._action = f"apigateway:{self._method}"
        elif self._service == "monitoring":
            self._action = "cloudwatch:" + self._action.split(":", 1)[1]
        elif self._action in _AWS_ACTION_NAMES:
            self._action = _AWS_ACTION_NAMES[self._action]

    IAMRequestBase.__init__ = init  # type: ignore[method-assign]


def access_denied_is_reported_in_the_aws_query_error_format() -> None:
    """Send AccessDenied as `<ErrorResponse><Error>`, the shape AWS's query APIs (IAM, STS) use.

    moto wraps it as `<ErrorResponse><Errors><Error>`, which botocore tolerates but the Go SDK
    does not: Terraform then reports a denied CreateRole as "403 UnknownError" instead of
    AccessDenied. JSON APIs get their own shape (json_services_report_denials_in_json).
    """
    from xml.sax.saxutils import escape

    from moto.core.exceptions import AccessDeniedError
    from moto.iam.access_control import IAMRequest

    def raise_access_denied(self: Any) -> None:
        error = AccessDeniedError(user_arn=self._access_key.arn, action=self._action)
        denial = getattr(self, "_denial", None)  # set by requests_are_authorised_on_their_resources_as_in_aws
        if denial is not None:
            request, reason = denial
            error.message = (f"User: {self._access_key.arn} is not authorized to perform: {request.action} "
                             f"on resource: {request.resource} {reason}")
        error.description = (
            '<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse><Error><Type>Sender</Type>'
            f"<Code>AccessDenied</Code><Message>{escape(error.message)}</Message></Error>"
            "<RequestId>emulator</RequestId></ErrorResponse>"
        )
        raise error

    IAMRequest._raise_access_denied = raise_access_denied  # type: ignore[method-assign]


# moto's query-protocol code for an authentication or authorisation failure -> AWS's JSON one.
_JSON_ERROR_CODES = {"AccessDenied": "AccessDeniedException", "SignatureDoesNotMatch": "InvalidSignatureException",
                     "InvalidClientTokenId": "UnrecognizedClientException"}


def json_services_report_denials_in_json() -> None:
    """Answer a refused request to a JSON service (Lambda, DynamoDB, Logs, API Gateway, CloudWatch
    via botocore) in that protocol's error shape: `AccessDeniedException`, `InvalidSignatureException`,
    `UnrecognizedClientException`, as AWS does.

    Checked on moto 5.2.1: IAM enforcement answers every service in the query protocol's
    XML, so botocore and the AWS CLI read a denied Lambda call as an unnamed "403" error whose
    message is the XML text, and code that catches AccessDeniedException never sees it. The
    answer is made by moto's own serializer for the request's protocol; form-encoded (query)
    requests keep the XML shape.
    """
    from botocore.exceptions import UnknownServiceError
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult, BaseResponse
    from werkzeug.exceptions import HTTPException

    original: Callable[..., None] = BaseResponse._authenticate_and_authorize_normal_action

    class Refused(ServiceException):
        """Defined outside moto's packages, so moto's serializer looks for no service model of its own."""

    def in_request_protocol(self: Any, error: Any) -> None:
        content_type = self.headers.get("Content-Type") or ""
        code = _JSON_ERROR_CODES.get(getattr(error, "error_type", ""))
        if code is None or content_type.startswith("application/x-www-form-urlencoded"):
            return
        try:
            _, headers, body = self.serialized(ActionResult(Refused(code, error.message)))
        except (NotImplementedError, UnknownServiceError):  # a protocol moto cannot serialize: keep XML
            return
        self.response_headers.update({k: v for k, v in headers.items() if k.lower() != "status"})
        error.description = body

    def authorize(self: Any, resource: str = "*") -> None:
        try:
            original(self, resource)
        except HTTPException as error:
            in_request_protocol(self, error)
            raise

    BaseResponse._authenticate_and_authorize_normal_action = authorize  # type: ignore[method-assign]


def a_repeated_create_alias_returns_the_alias_it_made() -> None:
    """Answer a CreateAlias that repeats one made seconds ago, with the same version, with that alias.

    Seen with moto 5.2.1 while Terraform applies run in parallel: the SDK sends CreateAlias again
    after moto has already answered 201 (the answer was lost on the connection), and the retry's
    409 "Alias already exists" fails an apply whose alias exists exactly as asked. Any other
    existing alias (an older one, or another version) still conflicts, as in AWS.
    """
    import time

    from moto.awslambda.models import LambdaStorage

    original: Callable[..., Any] = LambdaStorage.put_alias
    retry_window_seconds = 10.0

    def put_alias(self: Any, name: str, function_name: str, function_version: str, *args: Any) -> Any:
        existing = self._get_function_aliases(function_name).get(name)
        made_at = getattr(existing, "_created_by_put_alias_at", None)
        if (existing is not None and existing.function_version == function_version and made_at is not None
                and time.monotonic() - made_at < retry_window_seconds):
            return existing
        alias = original(self, name, function_name, function_version, *args)
        alias._created_by_put_alias_at = time.monotonic()
        return alias

    LambdaStorage.put_alias = put_alias  # type: ignore[method-assign,assignment]


def sessions_of_missing_roles_are_denied() -> None:
    """Deny (403) a request signed by a session whose role does not exist, instead of answering 500.

    Checked on moto 5.2.1 and 5.2.5: AssumeRole hands out sessions for roles that do not exist
    (a new service's deployer before ops/iam runs), and authorising a request from one raises
    NotFoundException inside the check, answered as 500 InternalError, which SDKs retry for about
    ten seconds. A session of a role that is not there holds no policy, so AWS would deny it.
    """
    from moto.iam.access_control import AssumedRoleAccessKey
    from moto.iam.exceptions import NotFoundException

    original: Callable[[Any], list[str]] = AssumedRoleAccessKey.collect_policies

    def collect_policies(self: Any) -> list[str]:
        try:
            return original(self)
        except NotFoundException:
            return []

    AssumedRoleAccessKey.collect_policies = collect_policies  # type: ignore[method-assign]


def lambda_updates_settle_after(seconds: float) -> None:
    """Keep a function's LastUpdateStatus `InProgress` for `seconds` after each code or
    configuration update, and refuse updates and PublishVersion meanwhile, as Lambda does.

    Opt-in (the launcher's DEPLOY_EMULATOR_LAMBDA_UPDATE_SECONDS); checked on moto 5.2.1 and
    5.2.5, which apply updates instantly, so nothing would show a caller that publishes without
    waiting for the update to settle. Lambda refuses such a call with 409
    ResourceConflictException; this answers with the same code and message.
    """
    import time

    from moto.awslambda.exceptions import LambdaClientError
    from moto.awslambda.models import LambdaBackend, LambdaFunction

    class UpdateInProgress(LambdaClientError):
        code = 409

        def __init__(self, arn: str) -> None:
            super().__init__("ResourceConflictException", "The operation cannot be performed at this time. "
                                                          f"An update is in progress for resource: {arn}")

    def settling(function: Any) -> bool:
        return time.monotonic() < getattr(function, "_update_settles_at", 0.0)

    original_configuration: Callable[..., dict[str, Any]] = LambdaFunction.get_configuration

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original_configuration(self, on_create)
        if "LastUpdateStatus" in config and settling(self):
            config["LastUpdateStatus"] = "InProgress"
        return config

    def refused_while_settling(original: Callable[..., Any], starts_an_update: bool) -> Callable[..., Any]:
        def call(self: Any, function_name: str, *args: Any, **kwargs: Any) -> Any:
            function = self.get_function(function_name)
            if settling(function):
                raise UpdateInProgress(function.function_arn)
            result = original(self, function_name, *args, **kwargs)
            if starts_an_update:
                function._update_settles_at = time.monotonic() + seconds
                result["LastUpdateStatus"] = "InProgress"
            return result

        return call

    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    for operation, starts_an_update in (("update_function_code", True), ("update_function_configuration", True),
                                        ("publish_version", False)):
        setattr(LambdaBackend, operation, refused_while_settling(getattr(LambdaBackend, operation), starts_an_update))


PATCHES: list[Callable[[], None]] = [
    requests_are_authorised_on_their_resources_as_in_aws,
    unsigned_requests_are_denied,
    signatures_are_checked_against_the_encoded_url,
    bodiless_requests_are_signed_without_a_body,
    actions_are_named_as_in_aws_policies,
    access_denied_is_reported_in_the_aws_query_error_format,
    json_services_report_denials_in_json,
    pipeline_sources_need_no_location,
    pipeline_roles_may_list_their_service_principals,
    pipeline_timestamps_are_epoch_seconds,
    a_repeated_create_alias_returns_the_alias_it_made,
    sessions_of_missing_roles_are_denied,
    http_api_stages_can_be_updated,
]


def apply_all() -> None:
    """Apply every patch. Raises RuntimeError on a moto version the patches were not checked on."""
    if moto.__version__ not in PATCHED_MOTO_VERSIONS:
        raise RuntimeError(
            f"moto {moto.__version__} is not one the emulator patches were checked against "
            f"({', '.join(PATCHED_MOTO_VERSIONS)}); re-run tests/pipeline/emulator and update them"
        )
    for patch in PATCHES:
        patch()
