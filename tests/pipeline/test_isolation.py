"""The isolation proof catches what the old prefix-scoped deployer policy allowed.

The proof over the policies ops/iam really renders is tests/e2e/test_isolation.py; here it runs
on hand-written documents, so a proof that could never fail would show.
"""

from __future__ import annotations

import json
from typing import Any

from tests.pipeline.isolation import Account, ServiceShape, allowed_actions, breaches, deployer_documents

ACCOUNT = Account("dev", "us-east-1", "123456789012", "dev-artifacts", "dev-state")
LOCATION = ServiceShape("location", ("get_location", "history"), ("locations",))
HISTORY = ServiceShape("location-history", ("get",), ("visits",))
PROFILE = ServiceShape("profile", ("get_profile",), called_services=("location",))


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def prefix_scoped(service: str) -> str:
    """The shape of the deployer policy before exact names and API tags."""
    return document(
        {"Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "lambda:UpdateAlias"],
         "Resource": f"arn:aws:lambda:us-east-1:123456789012:function:dev-{service}-*"},
        {"Effect": "Allow", "Action": ["apigateway:PATCH", "apigateway:GET"],
         "Resource": ["arn:aws:apigateway:us-east-1::/apis", "arn:aws:apigateway:us-east-1::/apis/*"]},
    )


def test_a_prefix_grant_reaches_the_service_whose_name_extends_it_and_every_api() -> None:
    found = {(b.attacker, b.victim, b.action, b.resource.rsplit(":", 1)[-1])
             for b in breaches({"location": [prefix_scoped("location")]}, [LOCATION, HISTORY, PROFILE], ACCOUNT)}

    assert ("location", "location-history", "lambda:UpdateFunctionCode", "dev-location-history-get") in found
    assert ("location", "location-history", "lambda:UpdateAlias", "live") in found
    assert ("location", "profile", "apigateway:PATCH", "/apis/profile0api/routes/r1") in found
    assert not [b for b in found if b[1] == "profile" and b[2] == "lambda:UpdateFunctionCode"]


def test_tag_scoped_api_grants_hold_unless_a_tag_or_name_may_be_chosen_freely() -> None:
    own_api = {"StringEquals": {"aws:ResourceTag/service": "location", "aws:ResourceTag/environment": "dev"}}
    tagged = document({"Effect": "Allow", "Action": "apigateway:PATCH", "Resource": "arn:aws:apigateway:us-east-1::/apis/*",
                       "Condition": own_api})
    any_name = document({"Effect": "Allow", "Action": "apigateway:POST", "Resource": "arn:aws:apigateway:us-east-1::/apis",
                         "Condition": {"StringEquals": {"aws:RequestTag/service": "location"}}})

    assert list(breaches({"location": [tagged]}, [LOCATION, HISTORY, PROFILE], ACCOUNT)) == []
    posing = [b for b in breaches({"location": [any_name]}, [LOCATION, PROFILE], ACCOUNT)]
    assert posing and all(b.context["apigateway:Request/ApiName"] == ("dev-profile",) for b in posing)


def test_reading_a_called_services_api_is_allowed_and_reading_another_is_not() -> None:
    reads = document({"Effect": "Allow", "Action": "apigateway:GET", "Resource": "arn:aws:apigateway:us-east-1::/apis/*",
                      "Condition": {"StringEquals": {"aws:ResourceTag/service": ["profile", "location"]}}})

    assert list(breaches({"profile": [reads]}, [LOCATION, PROFILE], ACCOUNT)) == []
    assert {b.victim for b in breaches({"location": [reads]}, [LOCATION, PROFILE], ACCOUNT)} == {"profile"}


def test_a_grant_on_names_starting_with_a_function_name_reaches_the_extending_service() -> None:
    """location's function `history` and location-history's `get`: dev-location-history-* is both."""
    alarms = document({"Effect": "Allow", "Action": "cloudwatch:DeleteAlarms",
                       "Resource": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:dev-location-history-*"})

    found = {b.resource.rsplit(":", 1)[-1] for b in breaches({"location": [alarms]}, [LOCATION, HISTORY], ACCOUNT)}

    assert found == {"dev-location-history-get-errors", "dev-location-history-get-throttles",
                     "dev-location-history-visits-read-throttles"}


def planned(documents: dict[str, str]) -> dict[str, Any]:
    """The part of `terraform show -json` of ops/iam that holds the deployer policies."""
    modules = [{"address": f'module.deployer["{service}"]', "resources": [
        {"type": "aws_iam_role", "values": {}}, {"type": "aws_iam_role_policy", "values": {"policy": policy}}]}
        for service, policy in documents.items()]
    return {"planned_values": {"root_module": {"child_modules": [{"address": "module.boundary"}, *modules]}}}


def test_deployer_documents_are_read_from_the_plan_by_service() -> None:
    assert deployer_documents(planned({"location": "{}", "profile": "[]"})) == {"location": ["{}"], "profile": ["[]"]}


def test_allowed_actions_lists_every_allow_once() -> None:
    policy = document({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"},
                      {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                      {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})

    assert allowed_actions([policy]) == ["s3:GetObject", "s3:PutObject"]
