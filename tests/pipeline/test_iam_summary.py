"""The IAM change summary, on JSON plans of ops/iam made against the emulator.

The fixtures are `terraform show -json` of real saved plans, trimmed to IAM resource changes and
the prior state's roles: one adds dynamodb:Query to location's get_location; the other adds a
service (`orders`) and widens the permission boundary.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.policy.iam_summary import Grant, PermissionChange, ResourceChange, grants, summarize

FIXTURES = Path(__file__).parent / "fixtures"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/local-location-locations"


def fixture(name: str) -> dict[str, Any]:
    plan: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return plan


def test_one_added_action_is_exactly_one_gained_grant_on_one_role() -> None:
    summary = summarize(fixture("iam_plan_one_action.json"))

    assert summary.resources == ()
    assert summary.permissions == (
        PermissionChange("role local-location-get_location", True, Grant("Allow", "dynamodb:Query", TABLE)),
    )
    assert summary.lines() == [
        "role local-location-get_location:",
        f"  + Allow dynamodb:Query on {TABLE}",
    ]


def test_a_new_service_lists_its_new_roles_by_name_and_their_grants() -> None:
    summary = summarize(fixture("iam_plan_new_service.json"))

    created_roles = [r.name for r in summary.resources if r.change == "create" and r.kind == "role"]
    assert created_roles == ["local-deployer-orders", "local-orders-get_order"]
    assert ResourceChange("update", "policy", "local-boundary", "module.boundary.aws_iam_policy.this") in summary.resources
    function_role = {p.grant for p in summary.permissions if p.owner == "role local-orders-get_order"}
    assert Grant("Allow", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/local-orders-orders") in function_role
    deployer = {p.grant for p in summary.permissions if p.owner == "role local-deployer-orders"}
    assert Grant("Deny", "iam:Create*", "*") in deployer
    assert not [g for g in deployer if g.effect == "Allow" and g.action.startswith("iam:") and g.action not in ("iam:GetRole", "iam:PassRole")]
    assert [p.grant for p in summary.permissions if p.owner == "policy local-boundary"] == [Grant("Allow", "sqs:*", "*")]
    assert all(p.gained for p in summary.permissions)


def test_removed_and_negated_statements_are_expanded() -> None:
    before = json.dumps({"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Deny", "Action": "lambda:*", "NotResource": ["arn:x"]},
    ]})
    after = json.dumps({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}})
    plan = {"resource_changes": [{
        "address": "aws_iam_role_policy.p", "type": "aws_iam_role_policy", "name": "p",
        "change": {"actions": ["update"], "before": {"role": "r", "policy": before}, "after": {"role": "r", "policy": after},
                   "after_unknown": {}},
    }]}

    summary = summarize(plan)

    assert grants(before) - grants(after) == {Grant("Allow", "s3:PutObject", "arn:aws:s3:::b/*"), Grant("Deny", "lambda:*", "NOT arn:x")}
    assert [p.describe() for p in summary.permissions] == ["- Allow s3:PutObject on arn:aws:s3:::b/*", "- Deny lambda:* on NOT arn:x"]


def test_no_iam_changes_say_so() -> None:
    assert summarize({"resource_changes": []}).lines() == ["no IAM changes"]
