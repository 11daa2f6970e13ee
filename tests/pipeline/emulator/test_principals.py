"""The policies that bind an assumed role's session: its role's policies and its boundary (moto in process)."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws

from pipeline.emulator.principals import identity_policies, permissions_boundary

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ONLY_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}


def session_key(boundary: bool) -> object:
    from moto.iam.access_control import create_access_key

    iam, sts = boto3.client("iam", region_name="us-east-1"), boto3.client("sts", region_name="us-east-1")
    arn = iam.create_policy(PolicyName="cap", PolicyDocument=json.dumps(ONLY_S3))["Policy"]["Arn"]
    extra = {"PermissionsBoundary": arn} if boundary else {}
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST), **extra)
    iam.put_role_policy(RoleName="r", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
    issued = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="s1")["Credentials"]
    return create_access_key("123456789012", "aws", issued["AccessKeyId"], {"X-Amz-Security-Token": issued["SessionToken"]})


@mock_aws
def test_a_sessions_boundary_is_its_roles() -> None:
    key = session_key(boundary=True)
    assert identity_policies(key) == [ALLOW_ALL]
    assert permissions_boundary(key) == ONLY_S3


@mock_aws
def test_a_role_without_a_boundary_has_none() -> None:
    assert permissions_boundary(session_key(boundary=False)) is None
