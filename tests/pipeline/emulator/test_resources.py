"""How a request's parameters and names are read for its resource ARN, in both protocols it may use."""

from __future__ import annotations

import pytest

from pipeline.emulator.resources import (
    Call,
    _apigateway,
    _function_and_qualifier,
    _lambda,
)
from pipeline.policy.evaluation import UNRESOLVED


def call(operation: str, path: str = "/", body: object = None, query: dict[str, list[str]] | None = None,
         action: str | None = None, method: str = "GET") -> Call:
    return Call(action=action or f"lambda:{operation}", operation=operation, method=method, path=path, query=query or {},
                body=body if body is not None else {}, account="123456789012", region="us-east-1")


@pytest.mark.parametrize(("reference", "expected"), [
    ("get", ("get", None)), ("get:live", ("get", "live")),
    ("arn:aws:lambda:us-east-1:123456789012:function:get:7", ("get", "7")), ("123456789012:function:get", ("get", None)),
])
def test_a_function_is_named_in_every_form_lambda_accepts(reference: str, expected: tuple[str, str | None]) -> None:
    assert _function_and_qualifier(reference) == expected


def test_list_parameters_are_read_from_json_and_from_form_members() -> None:
    form = {"AlarmNames.member.2": "b", "AlarmNames.member.1": "a",
            "Tags.member.1.Key": "service", "Tags.member.1.Value": "location"}

    assert call("DeleteAlarms", body=form).param_list("AlarmNames") == ["a", "b"]
    assert call("PutMetricAlarm", body=form).param_list("Tags") == [{"Key": "service", "Value": "location"}]
    assert call("DeleteAlarms", body={"AlarmNames": ["x"]}).param_list("AlarmNames") == ["x"]


def test_lambda_requests_resolve_qualifiers_and_hand_over_roles() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:get"
    qualified = _lambda(call("GetFunction", "/2015-03-31/functions/get", query={"Qualifier": ["live"]}))
    alias = _lambda(call("UpdateAlias", "/2015-03-31/functions/get/aliases/live"))
    created = _lambda(call("CreateFunction", "/2015-03-31/functions", {"FunctionName": "get", "Role": "arn:aws:iam::1:role/r",
                                                                       "Tags": {"service": "location"}}))

    assert [r.resource for r in qualified] == [f"{arn}:live"]
    assert [r.resource for r in alias] == [arn]  # alias management acts on the function
    assert [(r.action, r.resource) for r in created] == [("lambda:CreateFunction", arn), ("iam:PassRole", "arn:aws:iam::1:role/r")]
    assert created[0].context["aws:requesttag/service"] == ("location",) and created[0].context["aws:tagkeys"] == ("service",)
    assert created[1].context == {"iam:passedtoservice": ("lambda.amazonaws.com",)}
    assert [r.resource for r in _lambda(call("ListFunctions", "/2015-03-31/functions"))] == [UNRESOLVED]


@pytest.mark.parametrize(("method", "path", "api_name"), [
    ("POST", "/v2/apis", ("dev-location",)),  # CreateApi
    ("PATCH", "/v2/apis/a1", ("dev-location",)),  # UpdateApi
    ("POST", "/v2/apis/a1/models", None),  # CreateModel: a name, but the model's
    ("PATCH", "/v2/apis/a1/routes/r1", None),
])
def test_an_api_is_named_by_the_requests_that_create_or_update_it(method: str, path: str, api_name: tuple[str] | None) -> None:
    apigateway_call = call("", path, {"name": "dev-location"}, action=f"apigateway:{method}", method=method)

    [request] = _apigateway(apigateway_call)

    assert request.values("apigateway:Request/ApiName") == api_name
