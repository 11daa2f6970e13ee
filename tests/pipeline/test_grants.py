"""Declared grants against applied role policies (pipeline.policy.grants), with AWS semantics."""

from __future__ import annotations

import json

from pipeline.policy.grants import Grant, Place, declared_grants, grant_changes, missing_grants
from pipeline.project.manifest import Manifest, load_yaml, parse_manifest
from pipeline.project.services import load_service

PLACE = Place("dev", "us-east-1", "123456789012")
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/dev-profile-profiles"
VERIFY = "arn:aws:lambda:us-east-1:123456789012:function:dev-authentication-verify_token:live"
# What ops/iam grants routes of location: any API id and stage, path parameters as wildcards.
LOCATION_ROUTES = "arn:aws:execute-api:us-east-1:123456789012:*/*/GET/locations/*"


def profile() -> Manifest:
    return load_service("profile").manifest


def routes(service: str) -> list[str]:
    return ["GET /locations/{user_id}", "PUT /locations/{user_id}"] if service == "location" else []


def role_policy(*statements: tuple[list[str], list[str]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resources} for actions, resources in statements]})


def test_a_role_with_every_declared_grant_misses_nothing() -> None:
    applied = role_policy((["dynamodb:GetItem"], [TABLE]), (["lambda:InvokeFunction"], [VERIFY]),
                          (["execute-api:Invoke"], [LOCATION_ROUTES, LOCATION_ROUTES.replace("GET", "PUT")]))
    creator = role_policy((["dynamodb:PutItem"], [TABLE]), (["lambda:InvokeFunction"], [VERIFY]))

    assert missing_grants(profile(), {"get_profile": [applied], "create_profile": [creator]}, PLACE, routes) == []


def test_each_grant_the_roles_lack_is_named_with_its_action() -> None:
    applied = role_policy((["dynamodb:GetItem"], [TABLE]), (["execute-api:Invoke"], [LOCATION_ROUTES]))

    missing = missing_grants(profile(), {"get_profile": [applied]}, PLACE, routes)

    assert [grant.describe() for grant in missing] == [
        "create_profile: lambda:InvokeFunction on function authentication.verify_token",
        "create_profile: dynamodb:PutItem on table profiles",
        "get_profile: execute-api:Invoke on API of location",  # PUT /locations/{user_id} is not callable
        "get_profile: lambda:InvokeFunction on function authentication.verify_token",
    ]


def test_a_grant_on_another_services_table_of_the_same_name_does_not_count() -> None:
    elsewhere = role_policy((["dynamodb:*"], [TABLE.replace("dev-profile-", "dev-profile-history-")]))

    assert Grant("get_profile", "permissions", "dynamodb:GetItem", "profiles") in missing_grants(
        profile(), {"get_profile": [elsewhere]}, PLACE, routes)


def test_grant_changes_list_added_and_removed_grants() -> None:
    before = profile()
    text = (load_service("profile").folder / "service.yaml").read_text()
    after = parse_manifest(load_yaml(text.replace("profiles: [dynamodb:GetItem]", "profiles: [dynamodb:GetItem, dynamodb:UpdateItem]")
                                     .replace("    calls_apis: [location]\n", ""), "m"), "m", "profile")

    assert grant_changes(before, after).lines() == [
        "+ get_profile: dynamodb:UpdateItem on table profiles",
        "- get_profile: execute-api:Invoke on API of location",
    ]
    assert grant_changes(None, before).added == tuple(sorted(declared_grants(before)))
