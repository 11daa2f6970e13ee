"""The resource ARN and condition keys of a request to the emulator, derived as AWS does.

moto authorises requests of most services against the resource "*". Here a request to Lambda,
DynamoDB, CloudWatch Logs, CloudWatch, API Gateway or S3 becomes the list of authorisation
requests AWS would make: the action on the real ARN (function, qualified by version or alias
where the request names one; table or index; log group or stream; alarm; API path; bucket or
object), with `aws:ResourceTag/<key>` from the resource's tags, `aws:RequestTag/<key>` and
`aws:TagKeys` from the request, and for a request that hands a role to a service (Lambda
CreateFunction, UpdateFunctionConfiguration) an `iam:PassRole` on that role with
`iam:PassedToService`. Requests that name no resource (List*, Describe* of everything) stay on
"*", as in AWS, where only `Resource: "*"` covers them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pipeline.emulator.policy_evaluation import UNRESOLVED, Request

Conditions = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Call:
    """One request as moto parsed it: what the resolvers read."""

    action: str  # as AWS policies name it, e.g. lambda:UpdateFunctionCode or apigateway:PATCH
    operation: str  # the API operation, e.g. UpdateFunctionCode
    method: str
    path: str  # decoded URL path
    query: Mapping[str, list[str]]
    body: Any  # the JSON body as a dict, or the form fields (first values) for query-protocol requests
    account: str
    region: str

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if regional else ''}:{self.account if account else ''}:{resource}"

    def param(self, name: str) -> str | None:
        value = self.body.get(name) if isinstance(self.body, dict) else None
        if value is None and self.query.get(name):
            value = self.query[name][0]
        return None if value is None else str(value)

    def param_list(self, name: str) -> list[Any]:
        """A list parameter from a JSON body, or from a form's `Name.member.N` fields."""
        value = self.body.get(name) if isinstance(self.body, dict) else None
        if isinstance(value, list):
            return value
        members = sorted(((int(k.rsplit(".", 1)[1]), v) for k, v in self.body.items()
                          if re.fullmatch(rf"{re.escape(name)}\.member\.\d+", k)), key=lambda kv: kv[0])
        if members:
            return [v for _, v in members]
        keyed: dict[int, dict[str, str]] = {}
        for key, v in self.body.items():
            found = re.fullmatch(rf"{re.escape(name)}\.member\.(\d+)\.(\w+)", key)
            if found:
                keyed.setdefault(int(found.group(1)), {})[found.group(2)] = v
        return [keyed[i] for i in sorted(keyed)]


def _tag_conditions(prefix: str, tags: Mapping[str, str]) -> Conditions:
    return {f"{prefix}/{key.lower()}": (str(value),) for key, value in tags.items()}


def _tags_of(tag_list: Any) -> dict[str, str]:
    """Tags given as a map or as [{Key, Value}] (either spelling of the field names)."""
    if isinstance(tag_list, dict):
        return {str(k): str(v) for k, v in tag_list.items()}
    tags = {}
    for tag in tag_list or []:
        key = tag.get("Key", tag.get("key")) if isinstance(tag, dict) else None
        if key is not None:
            tags[str(key)] = str(tag.get("Value", tag.get("value", "")))
    return tags


def _requested_tags(tags: Mapping[str, str], keys: list[str] | None = None) -> Conditions:
    """aws:RequestTag/<key> for tags a request sets and aws:TagKeys for the keys it names."""
    named = list(keys if keys is not None else tags)
    conditions = _tag_conditions("aws:requesttag", tags)
    if named:
        conditions["aws:tagkeys"] = tuple(named)
    return conditions


def _tagging(call: Call, setters: tuple[str, ...], tags: Any, removers: tuple[str, ...], keys: Any) -> Conditions:
    """The request-tag keys of an operation that sets `tags` (one of `setters`) or removes `keys` (`removers`)."""
    if call.operation in setters:
        return _requested_tags(_tags_of(tags))
    if call.operation in removers:
        return _requested_tags({}, [str(key) for key in keys or []])
    return {}


def _safe_tags(lookup: Callable[[], Mapping[str, str]]) -> dict[str, str]:
    """A resource's tags, or none when it does not exist (yet): aws:ResourceTag keys are then absent."""
    try:
        return dict(lookup())
    except Exception:  # moto raises a different not-found error per service
        return {}


def _backend(module: str, call: Call) -> Any:
    import importlib

    backends = getattr(importlib.import_module(f"moto.{module}.models"), f"{module}_backends")
    return backends[call.account][call.region]


# --- Lambda -----------------------------------------------------------------------------------

_LAMBDA_FUNCTION_PATH = re.compile(r"^/\d{4}-\d{2}-\d{2}/functions/(?P<name>[^/]+)")
_LAMBDA_TAGS_PATH = re.compile(r"^/\d{4}-\d{2}-\d{2}/tags/(?P<arn>.+)$")
# Operations on an alias or the function as a whole: authorised on the unqualified function ARN.
_LAMBDA_UNQUALIFIED = {"CreateAlias", "GetAlias", "UpdateAlias", "DeleteAlias", "ListAliases", "ListVersionsByFunction",
                       "PublishVersion", "UpdateFunctionCode", "UpdateFunctionConfiguration", "PutFunctionConcurrency",
                       "GetFunctionConcurrency", "DeleteFunctionConcurrency", "GetFunctionCodeSigningConfig"}
_PASSED_ROLES = {"lambda:CreateFunction": ("Role", "lambda.amazonaws.com"),
                 "lambda:UpdateFunctionConfiguration": ("Role", "lambda.amazonaws.com")}


def _function_and_qualifier(reference: str) -> tuple[str, str | None]:
    """`name`, `name:qualifier`, or a full or partial ARN, as Lambda accepts them."""
    tail = reference.split(":function:", 1)[1] if ":function:" in reference else reference
    name, _, qualifier = tail.partition(":")
    return name, qualifier or None


def _lambda(call: Call) -> list[Request]:
    tags_path = _LAMBDA_TAGS_PATH.match(call.path)
    function_path = _LAMBDA_FUNCTION_PATH.match(call.path)
    if tags_path:
        name, qualifier = _function_and_qualifier(tags_path.group("arn"))
    elif function_path:
        name, qualifier = _function_and_qualifier(function_path.group("name"))
        qualifier = call.param("Qualifier") or qualifier
    elif call.operation == "CreateFunction" and call.param("FunctionName"):
        name, qualifier = _function_and_qualifier(str(call.param("FunctionName")))
    else:
        return [Request(call.action, UNRESOLVED)]
    function_arn = call.arn("lambda", f"function:{name}")
    resource = function_arn if qualifier is None or call.operation in _LAMBDA_UNQUALIFIED else f"{function_arn}:{qualifier}"
    conditions = _tag_conditions("aws:resourcetag", _safe_tags(lambda: _backend("awslambda", call).list_tags(function_arn)))
    body = call.body if isinstance(call.body, dict) else {}
    conditions |= _tagging(call, ("CreateFunction", "TagResource"), body.get("Tags"), ("UntagResource",),
                           call.query.get("tagKeys"))
    requests = [Request(call.action, resource, conditions)]
    passed = _PASSED_ROLES.get(call.action)
    role = call.param(passed[0]) if passed else None
    if passed and role:
        requests.append(Request("iam:PassRole", role, {"iam:passedtoservice": (passed[1],)}))
    return requests


# --- DynamoDB ---------------------------------------------------------------------------------

def _dynamodb(call: Call) -> list[Request]:
    body = call.body if isinstance(call.body, dict) else {}
    if "ResourceArn" in body:  # TagResource, UntagResource, ListTagsOfResource
        resources = [str(body["ResourceArn"])]
    elif "RequestItems" in body:  # BatchGetItem, BatchWriteItem: every table they touch
        resources = [call.arn("dynamodb", f"table/{table}") for table in body["RequestItems"]]
    elif "TransactItems" in body:
        resources = sorted({call.arn("dynamodb", f"table/{part['TableName']}") for item in body["TransactItems"]
                            for part in item.values() if isinstance(part, dict) and "TableName" in part})
    elif "TableName" in body:
        index = f"/index/{body['IndexName']}" if body.get("IndexName") else ""
        resources = [call.arn("dynamodb", f"table/{body['TableName']}{index}")]
    else:
        return [Request(call.action, UNRESOLVED)]
    backend = _backend("dynamodb", call)
    requested = _tagging(call, ("CreateTable", "TagResource"), body.get("Tags"), ("UntagResource",), body.get("TagKeys"))

    def conditions(resource: str) -> Conditions:
        table_arn = resource.split("/index/")[0]
        tags = _safe_tags(lambda: _tags_of(backend.list_tags_of_resource(table_arn)))
        return _tag_conditions("aws:resourcetag", tags) | requested

    return [Request(call.action, resource, conditions(resource)) for resource in resources]


# --- CloudWatch Logs --------------------------------------------------------------------------

def _logs(call: Call) -> list[Request]:
    group = call.param("logGroupName") or call.param("logGroupIdentifier")
    arn = call.param("resourceArn")
    if arn:
        group_arn = arn.removesuffix(":*")
        resource = group_arn
    elif group:
        group_arn = group.removesuffix(":*") if group.startswith("arn:") else call.arn("logs", f"log-group:{group}")
        stream = call.param("logStreamName")
        resource = f"{group_arn}:log-stream:{stream}" if stream else group_arn
    elif call.operation == "DescribeLogGroups":
        return [Request(call.action, call.arn("logs", "log-group:*"))]
    else:
        return [Request(call.action, UNRESOLVED)]
    conditions = _tag_conditions("aws:resourcetag", _safe_tags(lambda: _backend("logs", call).list_tags_for_resource(group_arn)))
    body = call.body if isinstance(call.body, dict) else {}
    setters = ("CreateLogGroup", "TagResource", "TagLogGroup")
    conditions |= _tagging(call, setters, body.get("tags"), ("UntagResource",), body.get("tagKeys"))
    conditions |= _tagging(call, (), None, ("UntagLogGroup",), body.get("tags"))
    return [Request(call.action, resource, conditions)]


# --- CloudWatch (alarms) ----------------------------------------------------------------------

def _cloudwatch(call: Call) -> list[Request]:
    arn = call.param("ResourceARN")
    names = [str(n) for n in call.param_list("AlarmNames")]
    single = call.param("AlarmName")
    if arn:
        resources = [arn]
    elif single or names:
        resources = [call.arn("cloudwatch", f"alarm:{name}") for name in ([single] if single else names)]
    elif call.operation == "DescribeAlarms":
        resources = [call.arn("cloudwatch", "alarm:*")]
    else:
        return [Request(call.action, UNRESOLVED)]
    backend = _backend("cloudwatch", call)
    requested = _tagging(call, ("PutMetricAlarm", "TagResource"), call.param_list("Tags"), ("UntagResource",),
                         call.param_list("TagKeys"))
    return [Request(call.action, resource, _tag_conditions(
        "aws:resourcetag", _safe_tags(lambda: backend.list_tags_for_resource(resource))) | requested)
        for resource in resources]


# --- API Gateway (management API, v1 and v2) ---------------------------------------------------

_API_ID = re.compile(r"^/(?:apis|restapis)/(?P<id>[^/]+)")


def _apigateway(call: Call) -> list[Request]:
    path = call.path.removeprefix("/v2")
    resource = call.arn("apigateway", path, account=False)
    backend = _backend("apigatewayv2", call)
    api = _API_ID.match(path)
    tagged = path.removeprefix("/tags/") if path.startswith("/tags/") else (
        call.arn("apigateway", api.group(0), account=False) if api else None)
    conditions = _tag_conditions("aws:resourcetag", _safe_tags(lambda: backend.get_tags(tagged))) if tagged else {}
    body = call.body if isinstance(call.body, dict) else {}
    if call.method in ("POST", "PUT") and ("tags" in body or path.startswith("/tags/")):
        conditions |= _requested_tags(_tags_of(body.get("tags")))
    elif call.method == "DELETE" and path.startswith("/tags/"):
        conditions |= _requested_tags({}, call.query.get("tagKeys", []))
    if call.method in ("POST", "PATCH") and isinstance(body.get("name"), str):  # CreateApi, UpdateApi name the API
        conditions["apigateway:request/apiname"] = (body["name"],)
    return [Request(call.action, resource, conditions)]


_RESOLVERS: dict[str, Callable[[Call], list[Request]]] = {
    "lambda": _lambda, "dynamodb": _dynamodb, "logs": _logs, "cloudwatch": _cloudwatch, "apigateway": _apigateway,
}


def _body(response: Any) -> Any:
    """A JSON body as a dict, or the form fields of a query-protocol request."""
    form = getattr(response, "form_data", None)
    if form:
        return dict(form.items())
    raw = response.body.decode("utf-8", "replace") if isinstance(response.body, bytes) else response.body
    if isinstance(raw, dict):  # DynamoDB parses its body before authorising
        return raw
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def authorisation_requests(response: Any, action: str, moto_resource: str) -> list[Request]:
    """Every authorisation AWS makes for the request `response` (a moto response being served)."""
    url = urlsplit(response.uri)
    operation = ""
    try:
        operation = str(response._get_action() or "")
    except Exception:  # some services cannot name an operation for every URL; the action still stands
        pass
    service = action.split(":", 1)[0]
    resolver = _RESOLVERS.get(service)
    if service == "s3":
        prefix = parse_qs(url.query).get("prefix")
        return [Request(action, moto_resource, {"s3:prefix": (prefix[0],)} if prefix else {})]
    if resolver is None:
        return [Request(action, moto_resource)]
    return resolver(Call(action=action, operation=operation, method=response.method, path=unquote(url.path),
                         query=parse_qs(url.query, keep_blank_values=True), body=_body(response),
                         account=response.current_account, region=response.region))
