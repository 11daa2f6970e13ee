"""A local stand-in for API Gateway: `deploy.py serve` routes HTTP requests to deployed functions.

Requests to `http://127.0.0.1:<port>/<service>/<path>` are matched against the routes of the
HTTP API named `<env>-<service>` as read from the emulator, turned into API Gateway's Lambda
proxy payload (format 2.0), sent to the integration's function alias with Lambda Invoke, and the
function's answer is turned back into an HTTP response as API Gateway does.

What is checked locally: route matching, and for AWS_IAM routes that the request carries a SigV4
signature (an `AWS4-HMAC-SHA256` Authorization header and an X-Amz-Date). Not checked: the
signature's validity and the signer's execute-api:Invoke permission (in AWS the callers' roles
are granted exactly their manifest's `calls_apis`), and throttling.
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

from pipeline.aws import Identity, Target, connect
from pipeline.errors import GatewayError
from pipeline.project.environments import HOST, get_environment

_ROUTES_TTL_S = 2.0  # re-read routes this often, so a deploy shows up without a restart
_ROUTES_SYNC_AFTER_S = 10.0  # older than this (a quiet spell), re-read them before answering
_FUNCTION_IN_URI = re.compile(r"functions/(?P<arn>arn:[^/]+)/invocations$")



def connect_local(environment_name: str) -> Target:
    """The emulator environment the gateway serves. Raises GatewayError for a real-AWS environment."""
    environment = get_environment(environment_name)
    if not environment.emulator:
        raise GatewayError(f"serve stands in for API Gateway in the emulator; {environment_name} uses real AWS",
                           "use an environment with emulator = true, e.g. --env local")
    return connect(environment)


@dataclass(frozen=True)
class Route:
    service: str
    api_id: str
    route_key: str  # e.g. "GET /locations/{user_id}"
    pattern: re.Pattern[str]
    function_arn: str  # alias-qualified, from the integration URI
    authorization: str  # AWS_IAM or NONE

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


def load_routes(target: Target) -> list[Route]:
    """Every route of every `<env>-<service>` HTTP API in the target, with its function alias."""
    client = target.client("apigatewayv2", Identity.OPS)
    prefix = f"{target.environment.name}-"
    routes = []
    for api in client.get_apis().get("Items", []):
        if not api["Name"].startswith(prefix):
            continue
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
            ))
    return routes


def has_sigv4_signature(headers: Mapping[str, str]) -> bool:
    """Whether a request carries a SigV4 signature (its presence only; see the module docstring)."""
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


class Gateway:
    """Routes, refreshed from the emulator when stale, and the Lambda client that invokes them."""

    def __init__(self, target: Target, pages: Mapping[str, Page] | None = None) -> None:
        self.target = target
        self.pages = dict(pages or {})  # path prefix -> what answers it instead of a service route
        self._lambda = target.client("lambda", Identity.OPS)
        self._lock = threading.Lock()
        self._routes: list[Route] = []
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
            if route.authorization == "AWS_IAM" and not has_sigv4_signature(headers):
                return HttpResponse(403, {"content-type": "application/json"}, b'{"message":"Forbidden"}')
            event = proxy_event(route, method, path, parts.query, headers, body, path_parameters, source_ip)
            answer = self._lambda.invoke(FunctionName=route.function_arn, Payload=json.dumps(event).encode())
            return http_response(answer["Payload"].read(), answer.get("FunctionError"))
        return HttpResponse(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')


def _request_handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                headers[key] = f"{headers[key]},{value}" if key in headers else value
            try:
                answer = gateway.handle(self.command, self.path, headers, body, self.client_address[0])
            except Exception:  # the emulator failed, not the function: API Gateway answers 500 too
                answer = HttpResponse(500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                if name not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("content-length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the functions' own logs are in CloudWatch Logs."""

    return Handler


def make_server(target: Target, port: int, pages: Mapping[str, Page] | None = None) -> ThreadingHTTPServer:
    """A gateway HTTP server bound to 127.0.0.1:`port` (0: any free port), also serving `pages`; call serve_forever().

    Raises GatewayError when the port cannot be bound.
    """
    try:
        server = ThreadingHTTPServer((HOST, port), _request_handler(Gateway(target, pages)))
    except OSError as err:
        raise GatewayError(f"the gateway cannot listen on {HOST}:{port}: {err.strerror}",
                           "stop what uses the port, or pick another with --port (and DEPLOY_GATEWAY_PORT for deploys)") from None
    server.daemon_threads = True
    return server
