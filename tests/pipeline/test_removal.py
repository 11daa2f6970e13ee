"""Teardown's pure parts: who still calls a service, and what a destroy plan deletes."""

from __future__ import annotations

from pipeline.flows.removal import _deleted, callers_of


def test_a_service_is_called_by_the_services_whose_manifests_name_it() -> None:
    assert callers_of("location") == ["profile"]
    assert callers_of("authentication") == ["location", "profile"]
    assert callers_of("profile") == []


def test_a_destroy_plan_lists_only_the_managed_resources_it_deletes() -> None:
    plan = {"resource_changes": [
        {"address": "module.service.aws_lambda_function.this", "mode": "managed", "change": {"actions": ["delete"]}},
        {"address": "module.service.aws_dynamodb_table.this", "mode": "managed", "change": {"actions": ["no-op"]}},
        {"address": "data.aws_iam_role.execution", "mode": "data", "change": {"actions": ["delete"]}},
        {"address": "aws_lambda_alias.live", "mode": "managed", "change": {"actions": ["delete", "create"]}},
    ]}

    assert _deleted(plan) == ("module.service.aws_lambda_function.this", "aws_lambda_alias.live")
    assert _deleted({}) == ()
