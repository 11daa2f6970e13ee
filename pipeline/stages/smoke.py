"""HTTP smoke checks: requests a manifest declares, sent through the API as a real caller sends them.

Locally they go through the gateway of `deploy.py serve` (one is started in-process on a free
port for the checks); in AWS through each API's URL. Requests to AWS_IAM routes are signed with
SigV4 (botocore) by the identity the check names. Judging an answer (`failure_of`) is pure logic.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.aws import Identity, Target
from pipeline.errors import StageFailed
from pipeline.project.manifest import RUN_VARIABLE, Check, Expectation
from pipeline.project.naming import resource_prefix

_TIMEOUT_S = 30.0
_MISSING = object()


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: int
    failure: str  # "" when the check passed


def field_value(document: Any, path: str) -> Any:
    """The value at a dotted path (`user.id`) of a JSON document; _MISSING when absent."""
    for part in path.split("."):
        if not isinstance(document, dict) or part not in document:
            return _MISSING
        document = document[part]
    return document


def failure_of(expect: Expectation, answer: Answer) -> str:
    """Why `answer` does not meet `expect` ("" when it does): status first, then the JSON fields."""
    if answer.status != expect.status:
        kind = "a server error" if answer.status >= 500 else "an unexpected status"
        return f"{kind}: expected {expect.status}, got {answer.status}: {answer.body[:200].decode(errors='replace')}"
    if not expect.fields and not expect.equal:
        return ""
    try:
        document = json.loads(answer.body or b"null")
    except ValueError:
        return f"the body is not JSON: {answer.body[:200].decode(errors='replace')}"
    missing = [path for path in (*expect.fields, *expect.equal) if field_value(document, path) is _MISSING]
    if missing:
        return f"field(s) missing from the answer: {', '.join(missing)}"
    for path, wanted in expect.equal.items():
        found = field_value(document, path)
        if found != wanted:
            return f"field {path} is {found!r}, expected {wanted!r}"
    return ""


def substitute(value: Any, variables: dict[str, str]) -> Any:
    """`value` with every {name} in its texts replaced from `variables` (names are checked at parse time)."""
    if isinstance(value, str):
        for name, replacement in variables.items():
            value = value.replace("{" + name + "}", replacement)
        return value
    if isinstance(value, dict):
        return {key: substitute(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    return value


Signer = Callable[[str, str, dict[str, str], bytes], dict[str, str]]  # method, url, headers, body -> headers


def send(method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
    """One HTTP request; an HTTP error status is an answer, an unreachable API raises StageFailed."""
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            return Answer(response.status, response.read())
    except urllib.error.HTTPError as err:
        return Answer(err.code, err.read())
    except (urllib.error.URLError, OSError) as err:
        raise StageFailed(f"verify: {url} is unreachable: {err}", "is the API deployed? `make serve` shows local routes") from None


def run_checks(checks: tuple[Check, ...], base_url: Callable[[str], str], signer: Signer, folder: Path) -> list[CheckResult]:
    """Send `checks` in order; stops at the first that fails. `base_url(service)` is where its API answers.

    Raises StageFailed when an API cannot be reached or a body file cannot be read.
    """
    variables = {RUN_VARIABLE: f"smoke-{uuid.uuid4().hex[:12]}"}
    results = []
    for check in checks:
        answer = _send_check(check, variables, base_url, signer, folder)
        failure = failure_of(check.expect, answer)
        if not failure:
            document = json.loads(answer.body or b"null") if check.save else None
            for variable, path in check.save.items():
                value = field_value(document, path)
                if value is _MISSING:
                    failure = f"field {path} (saved as {{{variable}}}) is missing from the answer"
                    break
                variables[variable] = str(value)
        results.append(CheckResult(check.name, answer.status, failure))
        if failure:
            break
    return results


def _send_check(check: Check, variables: dict[str, str], base_url: Callable[[str], str], signer: Signer,
                folder: Path) -> Answer:
    if check.body_file:
        try:
            body = substitute((folder / check.body_file).read_text(), variables).encode()
        except OSError as err:
            raise StageFailed(f"verify: check {check.name!r} cannot read {check.body_file}: {err.strerror}",
                              "add the file or fix smoke.checks[].body_file") from None
    else:
        body = b"" if check.body is None else json.dumps(substitute(check.body, variables)).encode()
    headers = {key.lower(): str(value) for key, value in substitute(check.headers, variables).items()}
    if body:
        headers.setdefault("content-type", "application/json")
    url = base_url(check.service) + substitute(check.path, variables)
    if check.sign:
        headers = signer(check.method, url, headers, body)
    return send(check.method, url, headers, body)


def sigv4_signer(target: Target, identity: Identity) -> Signer:
    """Sign requests for execute-api as `identity`, as a calling service's role signs them."""

    def sign(method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        held = target.signing_credentials(identity)
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        credentials = Credentials(held.access_key_id, held.secret_access_key, held.session_token)
        SigV4Auth(credentials, "execute-api", target.environment.region).add_auth(request)
        return dict(request.headers.items())

    return sign


def api_urls(target: Target) -> Callable[[str], str]:
    """Each service's API URL in AWS, looked up by its name `<env>-<service>`. Raises StageFailed when absent."""
    found: dict[str, str] = {}

    def url_of(service: str) -> str:
        if service not in found:
            client = target.client("apigatewayv2", Identity.DEPLOYER)
            name = resource_prefix(target.environment.name, service)
            endpoints = [api["ApiEndpoint"] for api in client.get_apis().get("Items", []) if api["Name"] == name]
            if not endpoints:
                raise StageFailed(f"verify: no HTTP API named {name} for the smoke checks",
                                  f"deploy {service} first, or fix smoke.checks[].service")
            found[service] = endpoints[0].rstrip("/")
        return found[service]

    return url_of


@contextmanager
def local_gateway(target: Target) -> Iterator[Callable[[str], str]]:
    """A gateway of `deploy.py serve` on a free port for the checks' duration; yields service -> base URL."""
    from pipeline.local.gateway import make_server

    server = make_server(target, 0)
    thread = threading.Thread(target=server.serve_forever, name="smoke-gateway", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield lambda service: f"http://{host!s}:{port}/{service}"
    finally:
        server.shutdown()
        server.server_close()
