"""The isolation proof: no service's deployer may touch another service's resources.

Used by tests/pipeline/test_isolation.py and tests/e2e/test_isolation.py; it evaluates every
ordered pair of services, which is quadratic, so it is a test of modules/iam/deployer rather
than a check every `iam plan` of a thousand services could afford.

For every ordered pair of services (attacker, victim), every action the attacker's deployer
policy allows is evaluated (pipeline/policy/evaluation.py, AWS semantics) against ARNs built for
every resource of the victim, with every request context the attacker could choose (tags and
names it sends) and the victim's own resource tags. Any Allow is a breach, except reads that are
account-wide in AWS or declared by the attacker's manifest (`calls_apis` reads the called API).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.policy.evaluation import Request, evaluate, statements
from pipeline.project.manifest import Manifest

# Reads AWS authorises against a whole collection, never one service's resource: the log groups
# of the account, and the list of HTTP APIs (GetApis: names and ids).
COLLECTION_READS = frozenset({"logs:DescribeLogGroups", "cloudwatch:DescribeAlarms"})
API_LIST_SUFFIX = "::/apis"


@dataclass(frozen=True)
class Account:
    """Where the policies apply: what every ARN is built from."""

    environment: str
    region: str
    account_id: str
    artifact_bucket: str
    state_bucket: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return (f"arn:{self.partition}:{service}:{self.region if region else ''}:"
                f"{self.account_id if account else ''}:{resource}")


@dataclass(frozen=True)
class ServiceShape:
    """What a manifest says about a service's resources and the APIs it calls."""

    name: str
    functions: tuple[str, ...]
    tables: tuple[str, ...] = ()
    called_services: tuple[str, ...] = ()

    @classmethod
    def of(cls, manifest: Manifest) -> ServiceShape:
        called = sorted({service for function in manifest.functions.values() for service in function.calls_apis})
        return cls(manifest.name, tuple(manifest.functions), tuple(manifest.tables), tuple(called))


@dataclass(frozen=True)
class VictimResource:
    """One resource of a victim, with the condition keys AWS would see and the attacker's choices."""

    arn: str
    fixed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # e.g. the victim API's tags
    choices: tuple[Mapping[str, tuple[str, ...]], ...] = ({},)  # request keys the attacker may send
    is_api: bool = False


@dataclass(frozen=True)
class Breach:
    attacker: str
    victim: str
    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]]

    def describe(self) -> str:
        keys = ", ".join(f"{key}={'|'.join(values)}" for key, values in sorted(self.context.items()))
        return (f"the deployer of {self.attacker} may {self.action} on {self.victim}'s {self.resource}"
                + (f" (with {keys})" if keys else ""))


def _request(tag: str, name: str, account: Account) -> dict[str, tuple[str, ...]]:
    """The keys of a request that tags a resource `service=tag` and names an API <env>-<name>."""
    return {
        "aws:RequestTag/service": (tag,), "aws:RequestTag/environment": (account.environment,),
        "aws:TagKeys": ("environment", "service"), "apigateway:Request/ApiName": (f"{account.environment}-{name}",),
    }


def victim_targets(victim: ServiceShape, attacker: str, account: Account) -> list[VictimResource]:
    """ARNs of every resource `victim` owns (or that would pose as it), as IAM sees them."""
    prefix = f"{account.environment}-{victim.name}"
    targets: list[VictimResource] = []
    for function in victim.functions:
        name = f"{prefix}-{function}"
        targets += [VictimResource(account.arn("lambda", f"function:{name}{suffix}")) for suffix in ("", ":live", ":1")]
        log_group = account.arn("logs", f"log-group:/aws/lambda/{name}")
        targets += [VictimResource(log_group), VictimResource(f"{log_group}:*"), VictimResource(f"{log_group}:log-stream:any")]
        targets += [VictimResource(account.arn("cloudwatch", f"alarm:{name}-{metric}")) for metric in ("errors", "throttles")]
        roles = f"role/services/{victim.name}/{name}"
        targets.append(VictimResource(account.arn("iam", roles, region=False),
                              choices=({"iam:PassedToService": ("lambda.amazonaws.com",)},)))
    for table in victim.tables:
        targets.append(VictimResource(account.arn("dynamodb", f"table/{prefix}-{table}")))
        targets.append(VictimResource(account.arn("cloudwatch", f"alarm:{prefix}-{table}-read-throttles")))
    tags = {"aws:ResourceTag/service": (victim.name,), "aws:ResourceTag/environment": (account.environment,)}
    # What the attacker may send along: nothing, or its own or the victim's tags and API name.
    pairs = [(tag, name) for tag in (attacker, victim.name) for name in (attacker, victim.name)]
    choices = ({}, *(_request(tag, name, account) for tag, name in pairs))
    api = f"/apis/{victim.name}0api"  # stands for the generated id of the victim's API
    for path in ("", "/routes", "/routes/r1", "/integrations", "/integrations/i1", "/stages", "/stages/$default",
                 "/stages/$default/routesettings/GET /x", "/deployments", "/deployments/d1"):
        targets.append(VictimResource(account.arn("apigateway", api + path, account=False), tags, choices, is_api=True))
    # A new API posing as the victim's, by its tags or its name (callers find an API by name).
    posing = tuple(_request(tag, name, account) for tag, name in pairs if victim.name in (tag, name))
    targets.append(VictimResource(account.arn("apigateway", "/apis", account=False), {}, posing, is_api=True))
    objects = [
        (account.artifact_bucket, f"services/{victim.name}/artifact.zip"),
        (account.artifact_bucket, f"ledger/{victim.name}/executions/e1.json"),
        (account.artifact_bucket, f"ledger/{victim.name}/last-success.json"),
        (account.artifact_bucket, f"ledger-heads/{victim.name}.0000000000000001.c0ffee.committed/"),
        (account.artifact_bucket, f"locks/{victim.name}.json"),
        (account.state_bucket, f"services/{victim.name}/infra/terraform.tfstate"),
        (account.state_bucket, f"services/{victim.name}/infra/terraform.tfstate.tflock"),
    ]
    targets += [VictimResource(f"arn:{account.partition}:s3:::{bucket}/{key}") for bucket, key in objects]
    return targets


def deployer_documents(plan: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each service's deployer policy documents, by service, from `terraform show -json` of ops/iam."""
    documents: dict[str, list[str]] = {}
    for module in plan.get("planned_values", {}).get("root_module", {}).get("child_modules", []):
        address = str(module.get("address", ""))
        if address.startswith('module.deployer["'):
            documents[address.split('"')[1]] = [resource["values"]["policy"] for resource in module.get("resources", [])
                                                 if resource["type"] == "aws_iam_role_policy"]
    return documents


def allowed_actions(documents: Iterable[str | Mapping[str, Any]]) -> list[str]:
    """Every action an Allow statement names, sorted; wildcard actions are kept as written."""
    return sorted({
        action for document in documents for statement in statements(document)
        if statement["Effect"] == "Allow" and "Action" in statement
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    })


def concrete(action: str) -> str:
    """An action name `action` (which may hold wildcards) matches, e.g. s3:Get* -> s3:GetAnything."""
    return action.replace("*", "Anything").replace("?", "X")


def _is_read(action: str) -> bool:
    verb = action.split(":", 1)[1]
    return verb.startswith(("Get", "List", "Describe")) or action.lower() == "apigateway:get"


def _excused(action: str, target: VictimResource, attacker: ServiceShape, victim: str) -> bool:
    """Reads the design allows across services: account-wide ones, and the APIs a service calls."""
    if action in COLLECTION_READS or (action == "apigateway:GET" and target.arn.endswith(API_LIST_SUFFIX)):
        return True
    return target.is_api and _is_read(action) and victim in attacker.called_services


def _service_of(arn: str) -> str:
    return arn.split(":", 3)[2]


def breaches(
    documents: Mapping[str, Sequence[str | Mapping[str, Any]]], shapes: Sequence[ServiceShape], account: Account
) -> Iterator[Breach]:
    """Every Allow one service's deployer documents give it on another service's resources
    (once per action and resource, with the first request context that gets it).

    `documents` maps each service to its deployer's identity policies. Raises PolicyError for a
    policy element the evaluator cannot judge (never passes by skipping it).
    """
    by_name = {shape.name: shape for shape in shapes}
    for attacker, texts in sorted(documents.items()):
        policies = [{"Statement": statements(text)} for text in texts]  # parsed once, evaluated many times
        actions = [concrete(action) for action in allowed_actions(policies)]
        for victim in sorted(by_name.keys() - {attacker}):
            for target in victim_targets(by_name[victim], attacker, account):
                for action in actions:
                    if action.split(":", 1)[0] != _service_of(target.arn):
                        continue
                    if _excused(action, target, by_name[attacker], victim):
                        continue
                    # One breach per action and resource: the first request context that is allowed.
                    for choice in target.choices:
                        context = {**target.fixed, **choice}
                        if evaluate(policies, Request(action, target.arn, context)).allowed:
                            yield Breach(attacker, victim, action, target.arn, context)
                            break
