"""The code-vs-permissions cross-check on small services written to a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from pipeline.errors import StageFailed
from pipeline.policy.permissions import function_calls, require_grants, scan_permissions
from pipeline.project.services import Service, load_service

STORE = '''
import os

import boto3


def table():
    return boto3.resource("dynamodb").Table(os.environ["TABLE_ORDERS"])
'''

HANDLER_VIA_STORE = '''
from orders import store


def handler(event, context):
    store.table().put_item(Item=event)
    return store.table().get_item(Key={"id": "1"})
'''

HANDLER_WITH_CLIENT = '''
import os

import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    return dynamodb.query(TableName=os.environ["TABLE_AUDIT"], KeyConditionExpression="x")
'''

HANDLER_INVOKING = '''
import boto3


def handler(event, context):
    client = boto3.client("lambda")
    waiter = client.get_waiter("function_active_v2")
    return client.invoke(FunctionName="other", Payload=b"{}"), waiter
'''


HELPERS = '''
import boto3

from orders import store


def save(item):
    store.table().put_item(Item=item)


def purge(key):
    store.table().delete_item(Key=key)
'''

HANDLER_USING_ONE_HELPER = '''
from orders.helpers import save


def handler(event, context):
    save(event)
'''

HANDLER_CALLING_OTHERS = '''
import boto3
from botocore.auth import SigV4Auth


def handler(event, context):
    boto3.client("lambda").invoke(FunctionName=event["target"], Payload=b"{}")
    SigV4Auth(boto3.Session().get_credentials(), "execute-api", "us-east-1")
'''


def write_service(tmp_path: Path, handler: str, permissions: dict[str, list[str]], **grants: list[str]) -> Service:
    folder = tmp_path / "services" / "orders"
    package = folder / "src" / "orders"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "store.py").write_text(STORE)
    (package / "handle.py").write_text(textwrap.dedent(handler))
    (package / "helpers.py").write_text(HELPERS)
    manifest = {
        "name": "orders", "description": "Orders.", "runtime": "python3.11",
        "tables": {"orders": {"hash_key": "id"}, "audit": {"hash_key": "id"}},
        "functions": {"handle": {"handler": "orders.handle.handler", "permissions": permissions, **grants}},
    }
    (folder / "service.yaml").write_text(yaml.safe_dump(manifest))
    return load_service("orders", tmp_path / "services")


def test_calls_through_an_imported_helper_are_found_with_their_table(tmp_path: Path) -> None:
    service = write_service(tmp_path, HANDLER_VIA_STORE, {"orders": ["dynamodb:PutItem", "dynamodb:GetItem"]})

    calls = function_calls(service, service.manifest.functions["handle"])

    assert [(c.file, c.line, c.action, c.resource) for c in calls] == [
        ("services/orders/src/orders/handle.py", 6, "dynamodb:PutItem", "orders"),
        ("services/orders/src/orders/handle.py", 7, "dynamodb:GetItem", "orders"),
    ]
    assert scan_permissions(service).missing == scan_permissions(service).unused == ()


def test_a_call_without_a_grant_fails_naming_file_line_and_action(tmp_path: Path) -> None:
    service = write_service(tmp_path, HANDLER_VIA_STORE, {"orders": ["dynamodb:GetItem"]})

    with pytest.raises(StageFailed) as raised:
        require_grants(service, scan_permissions(service))

    assert "services/orders/src/orders/handle.py:6" in raised.value.message
    assert "ops must grant dynamodb:PutItem on table orders" in raised.value.message
    assert "handle.py:7" not in raised.value.message


def test_a_grant_on_another_table_does_not_count(tmp_path: Path) -> None:
    service = write_service(tmp_path, HANDLER_WITH_CLIENT, {"orders": ["dynamodb:Query"]})

    with pytest.raises(StageFailed, match="ops must grant dynamodb:Query on table audit"):
        require_grants(service, scan_permissions(service))


def test_an_unused_grant_is_a_least_privilege_warning(tmp_path: Path) -> None:
    service = write_service(tmp_path, HANDLER_WITH_CLIENT, {"audit": ["dynamodb:Query", "dynamodb:DeleteItem"]})

    warnings = scan_permissions(service).unused
    require_grants(service, scan_permissions(service))

    assert len(warnings) == 1
    assert "dynamodb:DeleteItem on table audit but no code calls it" in warnings[0]


def test_methods_map_to_iam_actions_and_local_helpers_are_not_calls(tmp_path: Path) -> None:
    service = write_service(tmp_path, HANDLER_INVOKING, {})

    calls = function_calls(service, service.manifest.functions["handle"])

    assert [c.action for c in calls] == ["lambda:InvokeFunction"]


def test_only_code_the_handler_reaches_counts(tmp_path: Path) -> None:
    service = write_service(tmp_path, HANDLER_USING_ONE_HELPER, {"orders": ["dynamodb:PutItem"]})

    calls = function_calls(service, service.manifest.functions["handle"])

    assert [(c.file, c.line, c.action) for c in calls] == [("services/orders/src/orders/helpers.py", 8, "dynamodb:PutItem")]


def test_invokes_and_calls_apis_grant_what_the_code_uses(tmp_path: Path) -> None:
    granted = write_service(tmp_path / "a", HANDLER_CALLING_OTHERS, {}, invokes=["billing.charge"], calls_apis=["billing"])
    assert scan_permissions(granted).missing == scan_permissions(granted).unused == ()

    bare = write_service(tmp_path / "b", HANDLER_CALLING_OTHERS, {})
    assert [m.split(": ", 1)[1] for m in scan_permissions(bare).missing] == [
        "functions.handle calls lambda.invoke: ops must grant lambda:InvokeFunction on the function it uses",
        "functions.handle calls execute-api.signed request: ops must grant execute-api:Invoke on the api it uses",
    ]
