"""What the drift report says Terraform would put back, read from a JSON plan."""

from __future__ import annotations

from typing import Any

from pipeline.flows.drift import drifted_resources


def change(address: str, actions: list[str], before: dict[str, Any] | None, after: dict[str, Any] | None,
           unknown: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"address": address,
            "change": {"actions": actions, "before": before, "after": after, "after_unknown": unknown or {}}}


def test_each_resource_to_change_is_listed_with_the_attributes_set_back() -> None:
    plan = {"resource_changes": [
        change("aws_lambda_function.get", ["update"], {"memory_size": 512, "timeout": 10, "tags": {}},
               {"memory_size": 256, "timeout": 10, "tags": {"team": "geo"}}),
        change("aws_dynamodb_table.t", ["no-op"], {"name": "t"}, {"name": "t"}),
        change("data.aws_caller_identity.me", ["read"], None, {"id": "1"}),
    ]}

    assert drifted_resources(plan) == ("aws_lambda_function.get: memory_size, tags",)


def test_attributes_known_only_after_apply_are_not_drift_and_a_replacement_names_its_actions() -> None:
    plan = {"resource_changes": [
        change("aws_lambda_alias.live", ["update"], {"function_version": "3", "arn": "a"},
               {"function_version": "4", "arn": None}, unknown={"arn": True}),
        change("aws_iam_role.gone", ["delete", "create"], {"name": "r"}, {"name": "r"}),
        change("aws_s3_bucket.new", ["create"], None, {"bucket": "b"}),
    ]}

    assert drifted_resources(plan) == (
        "aws_lambda_alias.live: function_version",
        "aws_iam_role.gone: delete/create",
        "aws_s3_bucket.new: bucket",
    )


def test_a_plan_without_resource_changes_has_no_drift() -> None:
    assert drifted_resources({}) == ()
    assert drifted_resources({"resource_changes": []}) == ()
