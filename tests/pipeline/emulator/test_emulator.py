"""The embedded emulator: loopback only, IAM enforced, and each compatibility patch needed."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pipeline import emulator
from pipeline.aws import Identity, Target
from pipeline.errors import EmulatorError

pytestmark = pytest.mark.emulator


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening socket on `port`, from /proc/net/tcp{,6}."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    addresses.add(address)
    return addresses


def client(endpoint: str, service: str, key: str, secret: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


def test_listens_on_loopback_only(local_target: Target) -> None:
    running = emulator.current()
    assert running is not None
    assert listening_addresses(running.port) == {"0100007F"}  # 127.0.0.1


def test_unknown_credentials_are_refused(local_target: Target) -> None:
    assert local_target.endpoint
    with pytest.raises(ClientError, match="InvalidAccessKeyId|InvalidClientTokenId"):
        client(local_target.endpoint, "s3", "test", "test").list_buckets()


def test_a_user_without_iam_permissions_is_denied_iam_writes(local_target: Target) -> None:
    """A least-privilege user works within its grant, and IAM itself refuses what it lacks."""
    assert local_target.endpoint
    iam = local_target.client("iam", Identity.OPS)
    iam.create_user(UserName="scoped-reader")
    iam.put_user_policy(UserName="scoped-reader", PolicyName="tables", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:DescribeTable",
                       "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/scoped-*"}],
    }))
    key = iam.create_access_key(UserName="scoped-reader")["AccessKey"]
    as_user = lambda service: client(local_target.endpoint, service, key["AccessKeyId"], key["SecretAccessKey"])  # noqa: E731

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        as_user("dynamodb").describe_table(TableName="scoped-missing")
    with pytest.raises(ClientError, match="AccessDenied"):
        as_user("iam").create_role(RoleName="escalate", AssumeRolePolicyDocument="{}")
    with pytest.raises(ClientError, match="AccessDenied"):
        as_user("dynamodb").delete_table(TableName="scoped-missing")


# Each case: a request that only a patch makes pass under IAM enforcement.
def list_with_reserved_prefix(s3: Any) -> None:
    s3.create_bucket(Bucket="compat-check")
    s3.list_objects_v2(Bucket="compat-check", Prefix="services/location/")


def get_stage_named_default(apigw: Any) -> None:
    api_id = apigw.create_api(Name="compat", ProtocolType="HTTP")["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="$default")
    apigw.get_stage(ApiId=api_id, StageName="$default")


def get_a_function(lambda_client: Any) -> None:
    try:
        lambda_client.get_function(FunctionName="absent")
    except lambda_client.exceptions.ResourceNotFoundException:
        pass  # authorised, and correctly not found


def invoke_without_a_payload(lambda_client: Any) -> None:
    try:
        lambda_client.invoke(FunctionName="absent")  # as `aws lambda invoke` without --payload
    except lambda_client.exceptions.ResourceNotFoundException:
        pass  # authorised, and correctly not found


CASES = [("s3", list_with_reserved_prefix), ("apigatewayv2", get_stage_named_default), ("lambda", get_a_function),
         ("lambda", invoke_without_a_payload)]


@pytest.mark.parametrize(("service", "request_"), CASES)
def test_the_patched_emulator_accepts_correctly_signed_requests(local_target: Target, service: str, request_: Any) -> None:
    request_(local_target.client(service, Identity.OPS))


@pytest.mark.parametrize(("service", "request_"), CASES)
def test_plain_moto_still_needs_the_patch(unpatched_moto: tuple[str, emulator.Credentials], service: str, request_: Any) -> None:
    """When this fails, moto fixed the bug: drop the matching patch from pipeline/emulator/compat.py."""
    endpoint, credentials = unpatched_moto
    with pytest.raises(ClientError, match="SignatureDoesNotMatch"):
        request_(client(endpoint, service, credentials.access_key_id, credentials.secret_access_key))


def test_plain_moto_denies_resource_scoped_allows(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto resolves resources itself: drop requests_are_authorised_on_their_resources_as_in_aws."""
    endpoint, credentials = unpatched_moto
    iam = client(endpoint, "iam", credentials.access_key_id, credentials.secret_access_key)
    iam.create_user(UserName="scoped")
    iam.put_user_policy(UserName="scoped", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:DescribeTable",
                       "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/scoped-*"}],
    }))
    key = iam.create_access_key(UserName="scoped")["AccessKey"]
    with pytest.raises(ClientError, match="AccessDenied"):
        client(endpoint, "dynamodb", key["AccessKeyId"], key["SecretAccessKey"]).describe_table(TableName="scoped-x")


def create_api(as_user: Any) -> None:
    as_user("apigatewayv2").create_api(Name="by-method", ProtocolType="HTTP")


def put_alarm(as_user: Any) -> None:
    as_user("cloudwatch").put_metric_alarm(
        AlarmName="named", MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold",
    )


def invoke_absent_function(as_user: Any) -> None:
    lambda_client = as_user("lambda")
    try:
        lambda_client.invoke(FunctionName="absent", Payload=b"{}")
    except lambda_client.exceptions.ResourceNotFoundException:
        pass  # authorised, and correctly not found


def head_absent_bucket(as_user: Any) -> None:
    try:
        as_user("s3").head_bucket(Bucket="absent-bucket")
    except ClientError as err:
        if err.response["Error"]["Code"] != "404":  # 404: authorised, and correctly not found
            raise


# Each case: the action AWS policies name, and a request that needs exactly it.
NAMING_CASES = [("apigateway:POST", create_api), ("cloudwatch:PutMetricAlarm", put_alarm),
                ("lambda:InvokeFunction", invoke_absent_function), ("s3:ListBucket", head_absent_bucket)]


def call_as_a_user_granted(endpoint: str, iam: Any, action: str, request_: Any) -> None:
    """A user granted only `action` (on every resource, which plain moto matches) makes `request_`."""
    user = f"granted-{action.replace(':', '-')}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
    }))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    request_(lambda service: client(endpoint, service, key["AccessKeyId"], key["SecretAccessKey"]))


@pytest.mark.parametrize(("action", "request_"), NAMING_CASES)
def test_actions_are_named_as_in_aws_policies(local_target: Target, action: str, request_: Any) -> None:
    assert local_target.endpoint
    call_as_a_user_granted(local_target.endpoint, local_target.client("iam", Identity.OPS), action, request_)


@pytest.mark.parametrize(("action", "request_"), NAMING_CASES)
def test_plain_moto_names_actions_after_operations_and_signing_names(
    unpatched_moto: tuple[str, emulator.Credentials], action: str, request_: Any
) -> None:
    """When this fails, moto names the action as AWS does: drop it from actions_are_named_as_in_aws_policies."""
    endpoint, credentials = unpatched_moto
    iam = client(endpoint, "iam", credentials.access_key_id, credentials.secret_access_key)
    with pytest.raises(ClientError, match=r"AccessDenied|\(403\)"):  # a denied HEAD has no error body
        call_as_a_user_granted(endpoint, iam, action, request_)


def denied_create_role_body(endpoint: str, iam: Any) -> str:
    """The raw response body of an IAM write by a user with no permissions."""
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    iam.create_user(UserName="powerless")  # no policy at all
    key = iam.create_access_key(UserName="powerless")["AccessKey"]
    request = AWSRequest("POST", f"{endpoint}/", data=b"Action=CreateRole&Version=2010-05-08&RoleName=x&AssumeRolePolicyDocument=%7B%7D",
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "iam", "us-east-1").add_auth(request)
    prepared = request.prepare()
    try:
        urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers)))
    except urllib.error.HTTPError as error:
        assert error.code == 403
        return str(error.read().decode())
    raise AssertionError("the IAM write was allowed")


def test_access_denied_uses_the_aws_query_error_shape(local_target: Target) -> None:
    assert local_target.endpoint
    body = denied_create_role_body(local_target.endpoint, local_target.client("iam", Identity.OPS))
    assert "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>" in body


def test_plain_moto_wraps_access_denied_in_errors(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto sends the AWS shape: drop access_denied_is_reported_in_the_aws_query_error_format."""
    endpoint, credentials = unpatched_moto
    body = denied_create_role_body(endpoint, client(endpoint, "iam", credentials.access_key_id, credentials.secret_access_key))
    assert "<ErrorResponse><Errors><Error>" in body


def test_the_developer_user_may_only_assume_deployer_roles(local_target: Target) -> None:
    assert local_target.endpoint
    developer = emulator.developer_credentials()
    as_developer = lambda service: client(local_target.endpoint, service, developer.access_key_id, developer.secret_access_key)  # noqa: E731

    with pytest.raises(ClientError, match="AccessDenied"):
        as_developer("dynamodb").list_tables()
    with pytest.raises(ClientError, match="AccessDenied"):
        as_developer("iam").create_role(RoleName="escalate", AssumeRolePolicyDocument="{}")
    with pytest.raises(ClientError, match="AccessDenied"):
        as_developer("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/services/location/x", RoleSessionName="escape")


# CodePipeline and CodeBuild as Terraform drives them: each helper passes only with its patch.
PIPELINE_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["codepipeline.amazonaws.com"]},
}]})


def role_trusting_codepipeline(iam: Any, name: str) -> str:
    try:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=PIPELINE_TRUST)["Role"]["Arn"])


def create_pipeline_build_project(codebuild: Any, role_arn: str, name: str) -> None:
    codebuild.create_project(
        name=name, serviceRole=role_arn,
        source={"type": "CODEPIPELINE", "buildspec": "version: 0.2\nphases: {build: {commands: [true]}}\n"},
        artifacts={"type": "CODEPIPELINE"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"},
    )


def create_two_stage_pipeline(codepipeline: Any, role_arn: str, name: str) -> None:
    action = {"name": "Build", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
              "configuration": {"ProjectName": name}, "inputArtifacts": [{"name": "source"}]}
    source = {"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
              "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"}, "outputArtifacts": [{"name": "source"}]}
    codepipeline.create_pipeline(pipeline={
        "name": name, "roleArn": role_arn, "pipelineType": "V2",
        "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [{"name": "Source", "actions": [source]}, {"name": "Build", "actions": [action]}],
    })


def raw_pipeline_created(codepipeline: Any, name: str) -> Any:
    """GetPipeline's `metadata.created` as sent on the wire, before botocore parses it."""
    seen: dict[str, Any] = {}

    def keep_body(http_response: Any, **_: Any) -> None:
        seen.update(json.loads(http_response.content))

    codepipeline.meta.events.register("after-call.codepipeline.GetPipeline", keep_body)
    codepipeline.get_pipeline(name=name)
    return seen["metadata"]["created"]


def pipeline_clients(endpoint: str, key: str, secret: str) -> tuple[Any, Any, Any]:
    return tuple(client(endpoint, name, key, secret) for name in ("iam", "codebuild", "codepipeline"))  # type: ignore[return-value]


def test_the_patched_emulator_takes_pipelines_as_terraform_creates_them(local_target: Target) -> None:
    assert local_target.endpoint
    credentials = emulator.ops_credentials()
    iam, codebuild, codepipeline = pipeline_clients(
        local_target.endpoint, credentials.access_key_id, credentials.secret_access_key)
    role_arn = role_trusting_codepipeline(iam, "compat-pipeline")
    create_pipeline_build_project(codebuild, role_arn, "compat-build")
    create_two_stage_pipeline(codepipeline, role_arn, "compat-pipeline")
    assert isinstance(raw_pipeline_created(codepipeline, "compat-pipeline"), float)


def test_plain_moto_demands_a_location_for_pipeline_sources(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto fixed it: drop pipeline_sources_need_no_location."""
    endpoint, credentials = unpatched_moto
    iam, codebuild, _ = pipeline_clients(endpoint, credentials.access_key_id, credentials.secret_access_key)
    role_arn = role_trusting_codepipeline(iam, "compat-pipeline")
    with pytest.raises(ClientError, match="location is required"):
        create_pipeline_build_project(codebuild, role_arn, "compat-build")


def test_plain_moto_refuses_a_listed_codepipeline_principal(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto fixed it: drop pipeline_roles_may_list_their_service_principals."""
    endpoint, credentials = unpatched_moto
    iam, _, codepipeline = pipeline_clients(endpoint, credentials.access_key_id, credentials.secret_access_key)
    role_arn = role_trusting_codepipeline(iam, "compat-pipeline")
    with pytest.raises(ClientError, match="not authorized to perform AssumeRole"):
        create_two_stage_pipeline(codepipeline, role_arn, "compat-listed")


def test_plain_moto_sends_pipeline_timestamps_as_text(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto fixed it: drop pipeline_timestamps_are_epoch_seconds."""
    endpoint, credentials = unpatched_moto
    iam, _, codepipeline = pipeline_clients(endpoint, credentials.access_key_id, credentials.secret_access_key)
    single = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "codepipeline.amazonaws.com"}}]})
    role_arn = iam.create_role(RoleName="compat-single", AssumeRolePolicyDocument=single)["Role"]["Arn"]
    create_two_stage_pipeline(codepipeline, role_arn, "compat-timestamps")
    assert isinstance(raw_pipeline_created(codepipeline, "compat-timestamps"), str)


def handler_zip(answer: str) -> bytes:
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", f"def handler(event, context):\n    return {answer!r}\n")
    return code.getvalue()


def create_function(lambda_client: Any, iam: Any, name: str) -> None:
    """A published function (version 1) on a role of its own."""
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))["Role"]["Arn"]
    lambda_client.create_function(FunctionName=name, Role=role, Runtime="python3.11", Handler="handler.handler",
                                  Code={"ZipFile": handler_zip("one")}, Publish=True)


def create_function_twice_aliased(lambda_client: Any, iam: Any, name: str) -> list[Any]:
    """Create a function, then its `live` alias twice in a row, as an SDK retry does."""
    create_function(lambda_client, iam, name)
    outcomes = []
    for _ in range(2):
        try:
            outcomes.append(lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")["Name"])
        except ClientError as err:
            outcomes.append(err.response["Error"]["Code"])
    return outcomes


def test_a_repeated_create_alias_gets_the_alias_and_a_real_conflict_still_conflicts(local_target: Target) -> None:
    lambda_client = local_target.client("lambda", Identity.OPS)
    assert create_function_twice_aliased(lambda_client, local_target.client("iam", Identity.OPS), "retried") == ["live", "live"]
    with pytest.raises(ClientError, match="Alias already exists"):
        lambda_client.create_alias(FunctionName="retried", Name="live", FunctionVersion="$LATEST")


def test_plain_moto_refuses_a_repeated_create_alias(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto answers retries itself: drop a_repeated_create_alias_returns_the_alias_it_made."""
    endpoint, credentials = unpatched_moto
    as_ops = lambda service: client(endpoint, service, credentials.access_key_id, credentials.secret_access_key)  # noqa: E731
    assert create_function_twice_aliased(as_ops("lambda"), as_ops("iam"), "retried") == ["live", "ConflictException"]


def update_then_publish(lambda_client: Any, iam: Any, name: str) -> str:
    """Update a function's code and publish at once, without waiting: the published version."""
    create_function(lambda_client, iam, name)
    lambda_client.update_function_code(FunctionName=name, ZipFile=handler_zip("two"))
    return str(lambda_client.publish_version(FunctionName=name)["Version"])


def test_a_lambda_update_stays_in_progress_and_refuses_an_early_publish(local_target: Target) -> None:
    """The suite's emulator runs with DEPLOY_EMULATOR_LAMBDA_UPDATE_SECONDS set (tests/conftest.py)."""
    lambda_client = local_target.client("lambda", Identity.OPS)
    name = "settling"
    with pytest.raises(ClientError) as refused:
        update_then_publish(lambda_client, local_target.client("iam", Identity.OPS), name)

    arn = lambda_client.get_function_configuration(FunctionName=name)["FunctionArn"]
    assert refused.value.response["Error"]["Code"] == "ResourceConflictException"
    assert refused.value.response["Error"]["Message"] == (
        f"The operation cannot be performed at this time. An update is in progress for resource: {arn}")
    assert lambda_client.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "InProgress"
    with pytest.raises(ClientError, match="ResourceConflictException"):
        lambda_client.update_function_configuration(FunctionName=name, MemorySize=512)

    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "2"
    assert lambda_client.update_function_configuration(FunctionName=name, MemorySize=512)["LastUpdateStatus"] == "InProgress"


@pytest.mark.usefixtures("local_dir")
def test_a_lambda_update_delay_that_is_not_a_number_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(emulator.LAMBDA_UPDATE_SECONDS, "soon")
    with pytest.raises(EmulatorError, match=f"{emulator.LAMBDA_UPDATE_SECONDS} must be a number of seconds, not 'soon'"):
        emulator.start()


def test_plain_moto_applies_lambda_updates_at_once(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto keeps updates in progress itself: drop lambda_updates_settle_after."""
    endpoint, credentials = unpatched_moto
    as_ops = lambda service: client(endpoint, service, credentials.access_key_id, credentials.secret_access_key)  # noqa: E731
    assert update_then_publish(as_ops("lambda"), as_ops("iam"), "settling") == "2"


def head_bucket_as_a_session_of_a_missing_role(endpoint: str, iam: Any) -> str:
    """The error code of a request signed by a session of a role that does not exist (no retries)."""
    from botocore.config import Config

    iam.create_user(UserName="assumer")
    iam.put_user_policy(UserName="assumer", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }))
    key = iam.create_access_key(UserName="assumer")["AccessKey"]
    issued = client(endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"]).assume_role(
        RoleArn="arn:aws:iam::123456789012:role/not-created-yet", RoleSessionName="early")["Credentials"]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}),
                      aws_access_key_id=issued["AccessKeyId"], aws_secret_access_key=issued["SecretAccessKey"],
                      aws_session_token=issued["SessionToken"])
    with pytest.raises(ClientError) as failed:
        s3.head_bucket(Bucket="any-bucket")
    return str(failed.value.response["Error"]["Code"])


def test_a_session_of_a_missing_role_is_denied(local_target: Target) -> None:
    assert local_target.endpoint
    assert head_bucket_as_a_session_of_a_missing_role(local_target.endpoint, local_target.client("iam", Identity.OPS)) == "403"


def test_plain_moto_fails_a_session_of_a_missing_role_with_500(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto denies such sessions itself: drop sessions_of_missing_roles_are_denied."""
    endpoint, credentials = unpatched_moto
    iam = client(endpoint, "iam", credentials.access_key_id, credentials.secret_access_key)
    assert head_bucket_as_a_session_of_a_missing_role(endpoint, iam) == "500"


def powerless_user(endpoint: str, iam: Any, name: str) -> Any:
    """A client factory for a new user with no policy at all."""
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return lambda service: client(endpoint, service, key["AccessKeyId"], key["SecretAccessKey"])


# Each case: a JSON-protocol request a user without permissions makes.
JSON_DENIALS = [
    ("lambda", lambda c: c.get_function(FunctionName="any")),
    ("dynamodb", lambda c: c.delete_table(TableName="any")),
    ("logs", lambda c: c.delete_log_group(logGroupName="any")),
    ("apigatewayv2", lambda c: c.get_apis()),
]


def denied_error_codes(endpoint: str, iam: Any, user: str) -> list[str]:
    as_user = powerless_user(endpoint, iam, user)
    codes = []
    for service, request_ in JSON_DENIALS:
        with pytest.raises(ClientError) as denied:
            request_(as_user(service))
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        codes.append(str(denied.value.response["Error"]["Code"]))
    return codes


def test_json_services_report_a_denial_as_access_denied_exception(local_target: Target) -> None:
    assert local_target.endpoint
    codes = denied_error_codes(local_target.endpoint, local_target.client("iam", Identity.OPS), "json-denied")
    assert codes == ["AccessDeniedException"] * len(JSON_DENIALS)


def test_plain_moto_reports_json_denials_as_xml(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto answers in the request's protocol: drop json_services_report_denials_in_json."""
    endpoint, credentials = unpatched_moto
    iam = client(endpoint, "iam", credentials.access_key_id, credentials.secret_access_key)
    assert denied_error_codes(endpoint, iam, "json-denied") == ["403"] * len(JSON_DENIALS)


def test_json_services_report_a_bad_signature_and_an_unknown_key_in_json(local_target: Target) -> None:
    assert local_target.endpoint
    ops = emulator.ops_credentials()
    with pytest.raises(ClientError, match="InvalidSignatureException"):
        client(local_target.endpoint, "lambda", ops.access_key_id, "wrong-secret").list_functions()
    with pytest.raises(ClientError, match="UnrecognizedClientException"):
        client(local_target.endpoint, "dynamodb", "AKIAUNKNOWNUNKNOWN00", "x").list_tables()


def throttle_a_route_after_the_stage_exists(apigw: Any) -> dict[str, Any]:
    """Create an HTTP API stage, then update its default and one route's throttle: the stage read back.

    The stage is not `$default`: plain moto would fail that on the URL's signature first."""
    api_id = apigw.create_api(Name="updated-stage", ProtocolType="HTTP")["ApiId"]
    apigw.create_stage(ApiId=api_id, StageName="updatable",
                       DefaultRouteSettings={"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100})
    apigw.update_stage(ApiId=api_id, StageName="updatable", DefaultRouteSettings={"ThrottlingRateLimit": 5},
                       RouteSettings={"GET /a": {"ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 2}})
    return dict(apigw.get_stage(ApiId=api_id, StageName="updatable"))


def test_an_http_api_stage_can_be_updated(local_target: Target) -> None:
    stage = throttle_a_route_after_the_stage_exists(local_target.client("apigatewayv2", Identity.OPS))
    assert stage["DefaultRouteSettings"] == {"ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 100}
    assert stage["RouteSettings"] == {"GET /a": {"ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 2}}


def test_plain_moto_cannot_update_a_stage(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto implements UpdateStage: drop http_api_stages_can_be_updated."""
    from botocore.config import Config

    endpoint, credentials = unpatched_moto
    apigw = boto3.client("apigatewayv2", endpoint_url=endpoint, region_name="us-east-1",
                         aws_access_key_id=credentials.access_key_id, aws_secret_access_key=credentials.secret_access_key,
                         config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError, match="500"):
        throttle_a_route_after_the_stage_exists(apigw)


def unsigned_status_and_body(url: str, data: bytes | None = None) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# Unsigned, moto cannot tell the service from a signature's scope and serves each as S3.
UNSIGNED = [("/local-artifacts", None), ("/2015-03-31/functions/", None), ("/", b"Action=ListUsers&Version=2010-05-08")]


def test_an_unsigned_request_is_denied_as_anonymous(local_target: Target) -> None:
    for path, data in UNSIGNED:
        status, body = unsigned_status_and_body(f"{local_target.endpoint}{path}", data)
        assert status == 403 and "<Code>AccessDenied</Code>" in body, path


def test_plain_moto_fails_an_unsigned_request_with_500(unpatched_moto: tuple[str, emulator.Credentials]) -> None:
    """When this fails, moto refuses unsigned requests itself: drop unsigned_requests_are_denied."""
    endpoint, _ = unpatched_moto
    assert [unsigned_status_and_body(f"{endpoint}{path}", data)[0] for path, data in UNSIGNED] == [500] * len(UNSIGNED)
