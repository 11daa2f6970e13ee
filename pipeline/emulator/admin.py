"""The emulator's admin surface, closed: a WSGI layer in front of moto's server.

moto serves `/moto-api/*` (reset the whole state, switch IAM enforcement off with reset-auth,
seed, configure) to anyone who can reach the port, and its Flask apps reflect any request's
Origin in Access-Control-Allow-Origin, so even a web page open in the developer's browser could
call them. Here every `/moto-api/` path except the liveness page (`GET /moto-api/`) needs the
admin secret in the ADMIN_SECRET_HEADER, a random value the orchestrator generates when it
starts the emulator and keeps in a 0600 file; and no response carries a CORS grant.

Extra admin endpoints of the project's own (the gateway's request authorisation) are mounted
here too, behind the same secret.
"""

from __future__ import annotations

import hmac
import json
from http import HTTPStatus
from collections.abc import Callable, Iterable, Mapping
from typing import Any

ADMIN_SECRET_HEADER = "X-Emulator-Admin-Secret"
ADMIN_PREFIX = "/moto-api"
LIVENESS_PATH = "/moto-api/"

# A WSGI app: (environ, start_response) -> body chunks.
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# An admin endpoint of our own: the request's JSON body -> (HTTP status, JSON answer).
AdminEndpoint = Callable[[Any], tuple[int, Any]]


def _json_answer(start_response: Callable[..., Any], status: str, body: Any) -> list[bytes]:
    raw = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))])
    return [raw]


def _without_cors_grants(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]


def _read_json(environ: Mapping[str, Any]) -> Any:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    return json.loads(raw) if raw else {}


def guarded(app: WsgiApp, secret: str, endpoints: Mapping[str, AdminEndpoint]) -> WsgiApp:
    """`app` with its admin paths behind `secret`, no CORS grants, and `endpoints` mounted by path.

    A request to an admin path without the right secret gets 403 and never reaches moto.
    """
    expected = secret.encode()

    def authorised(environ: Mapping[str, Any]) -> bool:
        given = str(environ.get("HTTP_" + ADMIN_SECRET_HEADER.upper().replace("-", "_"), "")).encode()
        return hmac.compare_digest(given, expected)

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        is_liveness = path == LIVENESS_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        if path.startswith(ADMIN_PREFIX) and not is_liveness:
            if not authorised(environ):
                return _json_answer(start_response, "403 Forbidden", {
                    "message": f"the emulator's admin API needs the {ADMIN_SECRET_HEADER} header only the orchestrator holds",
                })
            endpoint = endpoints.get(path)
            if endpoint is not None:
                try:
                    request = _read_json(environ)
                except ValueError:
                    return _json_answer(start_response, "400 Bad Request", {"message": "the body must be JSON"})
                status, answer = endpoint(request)
                return _json_answer(start_response, f"{status} {HTTPStatus(status).phrase}", answer)

        def start_without_cors(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            return start_response(status, _without_cors_grants(headers), *args)

        return app(environ, start_without_cors)

    return serve
