"""A local stand-in for API Gateway: `deploy.py serve` routes HTTP requests to deployed functions.

Requests to `http://127.0.0.1:<port>/<service>/<path>` are matched against the routes of the
HTTP API named `<env>-<service>` as read from the emulator, turned into API Gateway's Lambda
proxy payload (format 2.0), sent to the integration's function alias with Lambda Invoke, and the
function's answer is turned back into an HTTP response as API Gateway does.

As API Gateway does: requests are matched to routes; each route is throttled with a token bucket
from its stage's route settings (which Terraform sets from the manifest's `api.throttle_*`),
answering 429 past the limit; an AWS_IAM route checks the SigV4 signature against the emulator's
identities and the signer's `execute-api:Invoke` on the route's ARN against its policies (in the
emulator process, through its admin API: pipeline/emulator/execute_api.py), answering 403 with
API Gateway's messages; a body over API Gateway's 10 MB payload limit gets 413 and a malformed or
negative Content-Length 400, before the body is read.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pipeline import emulator
from pipeline.aws import Identity, Target, connect
from pipeline.emulator.execute_api import AUTHORISE_PATH
from pipeline.errors import GatewayError
from pipeline.project.environments import HOST, get_environment

_ROUTES_TTL_S = 2.0  # re-read routes this often, so a deploy shows up without a restart
_ROUTES_SYNC_AFTER_S = 10.0  # older than this (a quiet spell), re-read them before answering
_FUNCTION_IN_URI = re.compile(r"functions/(?P<arn>arn:[^/]+)/invocations$")
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
STAGE = "$default"
_JSON = {"content-type": "application/json"}


def connect_local(environment_name: str) -> Target:
    """The emulator environment the gateway serves. Raises GatewayError for a real-AWS environment."""
    environment = get_environment(environment_name)
    if not environment.emulator:
        raise GatewayError(f"serve stands in for API Gateway in the emulator; {environment_name} uses real AWS",
                           "use an environment with emulator = true, e.g. --env local")
    return connect(environment)


@dataclass(frozen=True)
class Throttle:
    rate_per_second: float
    burst: int


@dataclass(frozen=True)
class Route:
    service: str
    api_id: str
    route_key: str  # e.g. "GET /locations/{user_id}"
    pattern: re.Pattern[str]
    function_arn: str  # alias-qualified, from the integration URI
    authorization: str  # AWS_IAM or NONE
    throttle: Throttle | None = None  # from the stage's route settings; None: not throttled

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when this route serves `method path`, else None."""
        route_method = self.route_key.split(" ", 1)[0]
        if route_method not in ("ANY", method):
            return None
        found = self.pattern.fullmatch(path)
        return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}


def route_pattern(path: str) -> re.Pattern[str]:
    """A regex for a route path: `{name}` matches one segment, `{name+}` the rest of the path."""
    parts = []
    for segment in path.strip("/").split("/"):
        greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
        single = re.fullmatch(r"\{(\w+)\}", segment)
        if greedy:
            parts.append(f"(?P<{greedy.group(1)}>.+)")
        elif single:
            parts.append(f"(?P<{single.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


def route_throttle(stage: Mapping[str, Any], route_key: str) -> Throttle | None:
    """A route's throttle from its stage: its own route settings, else the stage's defaults."""
    for settings in ((stage.get("RouteSettings") or {}).get(route_key) or {}, stage.get("DefaultRouteSettings") or {}):
        rate, burst = settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit")
        if rate is not None and burst is not None:
            return Throttle(float(rate), int(burst))
    return None


def _default_stage(client: Any, api_id: str) -> dict[str, Any]:
    try:
        return dict(client.get_stage(ApiId=api_id, StageName=STAGE))
    except client.exceptions.NotFoundException:
        return {}


def load_routes(target: Target) -> list[Route]:
    """Every route of every `<env>-<service>` HTTP API in the target, with its function alias."""
    client = target.client("apigatewayv2", Identity.OPS)
    prefix = f"{target.environment.name}-"
    routes = []
    for api in client.get_apis().get("Items", []):
        if not api["Name"].startswith(prefix):
            continue
        stage = _default_stage(client, api["ApiId"])
        integrations = {i["IntegrationId"]: i for i in client.get_integrations(ApiId=api["ApiId"]).get("Items", [])}
        for route in client.get_routes(ApiId=api["ApiId"]).get("Items", []):
            integration = integrations.get(route.get("Target", "").removeprefix("integrations/"))
            found = _FUNCTION_IN_URI.search(integration["IntegrationUri"]) if integration else None
            if found is None or " " not in route["RouteKey"]:
                continue
            routes.append(Route(
                service=api["Name"].removeprefix(prefix), api_id=api["ApiId"], route_key=route["RouteKey"],
                pattern=route_pattern(route["RouteKey"].split(" ", 1)[1]), function_arn=found.group("arn"),
                authorization=route.get("AuthorizationType", "NONE"),
                throttle=route_throttle(stage, route["RouteKey"]),
            ))
    return routes


def has_sigv4_signature(headers: Mapping[str, str]) -> bool:
    """Whether a request carries a SigV4 signature at all (the emulator then verifies it: Gateway.authorise)."""
    authorization = headers.get("authorization", "")
    return authorization.startswith("AWS4-HMAC-SHA256 Credential=") and "Signature=" in authorization and (
        "x-amz-date" in headers
    )


def proxy_event(route: Route, method: str, raw_path: str, query: str, headers: Mapping[str, str],
                body: bytes, path_parameters: dict[str, str], source_ip: str) -> dict[str, Any]:
    """API Gateway's Lambda proxy payload (format 2.0) for one request."""
    try:
        text_body = body.decode("utf-8")
        is_binary = False
    except UnicodeDecodeError:
        text_body, is_binary = base64.b64encode(body).decode(), True
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": dict(headers),
        "requestContext": {
            "accountId": route.function_arn.split(":")[4],
            "apiId": route.api_id,
            "domainName": headers.get("host", HOST),
            "domainPrefix": route.api_id,
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": headers.get("user-agent", "")},
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_binary,
    }
    if query:
        event["queryStringParameters"] = dict(parse_qsl(query, keep_blank_values=True))
    if path_parameters:
        event["pathParameters"] = path_parameters
    if "cookie" in headers:
        event["cookies"] = [c.strip() for c in headers["cookie"].split(";")]
    if body:
        event["body"] = text_body
    return event


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def http_response(payload: bytes, function_error: str | None) -> HttpResponse:
    """The HTTP response API Gateway makes of a function's answer (payload format 2.0)."""
    json_type = {"content-type": "application/json"}
    if function_error:
        return HttpResponse(500, json_type, b'{"message":"Internal Server Error"}')
    try:
        result = json.loads(payload or b"null")
    except ValueError:
        return HttpResponse(500, json_type, b'{"message":"Internal Server Error"}')
    if not (isinstance(result, dict) and "statusCode" in result):
        # Format 2.0 treats any other valid JSON as a 200 response body.
        return HttpResponse(200, json_type, json.dumps(result).encode())
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    if result.get("cookies"):
        headers["set-cookie"] = "; ".join(result["cookies"])
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return HttpResponse(int(result["statusCode"]), headers, raw)


# Answers (method, url) for a path prefix the gateway serves besides the services, e.g. the console.
Page = Callable[[str, str], HttpResponse]
class TokenBucket:
    """API Gateway's throttle for one route: `burst` requests at once, refilled at `rate_per_second`."""

    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle
        self._tokens = float(throttle.burst)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Whether one more request may pass now (and, if so, count it)."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(float(self.throttle.burst), self._tokens + (now - self._updated) * self.throttle.rate_per_second)
            self._updated = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


def json_answer(status: int, body: Mapping[str, str]) -> HttpResponse:
    """An answer with a JSON body, as API Gateway's own errors are."""
    return HttpResponse(status, dict(_JSON), json.dumps(body).encode())


TOO_MANY_REQUESTS = json_answer(429, {"message": "Too Many Requests"})
FORBIDDEN = json_answer(403, {"message": "Forbidden"})
NOT_FOUND = json_answer(404, {"message": "Not Found"})
INTERNAL_ERROR = json_answer(500, {"message": "Internal Server Error"})


class Gateway:
    """Routes, refreshed from the emulator when stale, their throttles, and the Lambda client that invokes them."""

    def __init__(self, target: Target, pages: Mapping[str, Page] | None = None) -> None:
        self.target = target
        self.pages = dict(pages or {})  # path prefix -> what answers it instead of a service route
        self._lambda = target.client("lambda", Identity.OPS)
        self._lock = threading.Lock()
        self._routes: list[Route] = []
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._loaded_at = float("-inf")
        self._refreshing = False

    def routes(self) -> list[Route]:
        """The deployed routes, re-read from the emulator at most every couple of seconds.

        Under steady traffic the re-read runs in the background (it takes a few API calls, too
        long to add to a request); after a quiet spell, such as a deploy, it runs before answering,
        so a new route answers its first request.
        """
        with self._lock:
            age = time.monotonic() - self._loaded_at
            if age > _ROUTES_SYNC_AFTER_S:
                self._routes = load_routes(self.target)
                self._loaded_at = time.monotonic()
            elif age > _ROUTES_TTL_S and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="routes-refresh", daemon=True).start()
            return self._routes

    def _refresh(self) -> None:
        try:
            routes = load_routes(self.target)
        except Exception:  # the emulator is busy or gone: keep serving the routes we have, retry later
            routes = None
        with self._lock:
            if routes is not None:
                self._routes, self._loaded_at = routes, time.monotonic()
            self._refreshing = False
    def admit(self, route: Route) -> bool:
        """Whether the route's throttle lets one more request through (a changed setting starts a fresh bucket)."""
        if route.throttle is None:
            return True
        with self._lock:
            bucket = self._buckets.get((route.api_id, route.route_key))
            if bucket is None or bucket.throttle != route.throttle:
                bucket = self._buckets[(route.api_id, route.route_key)] = TokenBucket(route.throttle)
        return bucket.take()

    def route_arn(self, route: Route, method: str, path: str) -> str:
        """The execute-api ARN AWS authorises a call of `route` against."""
        account = route.function_arn.split(":")[4]
        return f"arn:aws:execute-api:{self.target.environment.region}:{account}:{route.api_id}/{STAGE}/{method}{path}"

    def authorise(self, route: Route, method: str, url: str, headers: Mapping[str, str], body: bytes,
                  path: str) -> HttpResponse | None:
        """None when the signed caller may invoke the route, else API Gateway's 403. Raises EmulatorError."""
        if not has_sigv4_signature(headers):
            return FORBIDDEN
        if self.target.environment.endpoint is not None or not self.target.endpoint:
            # An external emulator keeps its identities in another process and, like LocalStack by
            # default, enforces no IAM: as there, only the signature's presence is checked.
            return None
        answer = emulator.admin_call(self.target.endpoint, AUTHORISE_PATH, {
            "method": method, "url": f"http://{headers.get('host', HOST)}{url}", "headers": dict(headers),
            "body": base64.b64encode(body).decode(), "resource": self.route_arn(route, method, path),
        })
        if answer.get("allowed") is True:
            return None
        return HttpResponse(int(answer.get("status", 403)), dict(_JSON), json.dumps(answer.get("body", {})).encode())

    def handle(self, method: str, url: str, headers: Mapping[str, str], body: bytes, source_ip: str) -> HttpResponse:
        """Answer one request as API Gateway would."""
        parts = urlsplit(url)
        for prefix, page in self.pages.items():
            if parts.path == prefix or parts.path.startswith(prefix + "/"):
                return page(method, url)
        service, _, rest = parts.path.lstrip("/").partition("/")
        path = "/" + rest
        for route in self.routes():
            if route.service != service:
                continue
            path_parameters = route.match(method, path)
            if path_parameters is None:
                continue
            if not self.admit(route):
                return TOO_MANY_REQUESTS
            if route.authorization == "AWS_IAM":
                refused = self.authorise(route, method, url, headers, body, path)
                if refused is not None:
                    return refused
            event = proxy_event(route, method, path, parts.query, headers, body, path_parameters, source_ip)
            answer = self._lambda.invoke(FunctionName=route.function_arn, Payload=json.dumps(event).encode())
            return http_response(answer["Payload"].read(), answer.get("FunctionError"))
        return NOT_FOUND


def body_length(values: list[str]) -> int | HttpResponse:
    """The body length the Content-Length header(s) announce, or the answer refusing them unread."""
    distinct = {value.strip() for value in values}
    if not distinct:
        return 0
    if len(distinct) > 1 or not distinct.pop().isdigit():
        return json_answer(400, {"message": "Bad Request"})
    length = int(values[0].strip())
    return json_answer(413, {"message": "Request Entity Too Large"}) if length > MAX_BODY_BYTES else length


def _request_handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = body_length(self.headers.get_all("content-length") or [])
            if isinstance(length, HttpResponse):
                self.close_connection = True  # the body, if any, is never read: the connection cannot be reused
                self._send(length)
                return
            body = self.rfile.read(length) if length else b""
            if len(body) < length:
                self.close_connection = True  # the client went away mid-body
                return
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                headers[key] = f"{headers[key]},{value}" if key in headers else value
            try:
                answer = gateway.handle(self.command, self.path, headers, body, self.client_address[0])
            except Exception:  # the emulator failed, not the function: API Gateway answers 500 too
                answer = INTERNAL_ERROR
            self._send(answer)

        def _send(self, answer: HttpResponse) -> None:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                if name not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("content-length", str(len(answer.body)))
            if self.close_connection:
                self.send_header("connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the functions' own logs are in CloudWatch Logs."""

    return Handler


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or sends garbage is the client's problem: no traceback on the console."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ValueError)):
            super().handle_error(request, client_address)


def make_server(target: Target, port: int, pages: Mapping[str, Page] | None = None) -> ThreadingHTTPServer:
    """A gateway HTTP server bound to 127.0.0.1:`port` (0: any free port), also serving `pages`; call serve_forever().

    Raises GatewayError when the port cannot be bound.
    """
    try:
        return _GatewayServer((HOST, port), _request_handler(Gateway(target, pages)))
    except OSError as err:
        raise GatewayError(f"the gateway cannot listen on {HOST}:{port}: {err.strerror}",
                           "stop what uses the port, or pick another with --port (and DEPLOY_GATEWAY_PORT for deploys)") from None
