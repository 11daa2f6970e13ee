"""Working against the emulator: `emulator`, `invoke` and `serve`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cli.common import EXIT_FAILED, EXIT_OK, add_env, add_service, port

if TYPE_CHECKING:
    from cli.common import Subcommands


def cmd_emulator(args: argparse.Namespace) -> int:
    from pipeline import emulator

    if args.action == "start":
        running, started = emulator.ensure_running()
        print(f"emulator {'started' if started else 'already running'} at {running.endpoint} (pid {running.pid})")
        if started and running.busy_port:
            print(f"note: {running.busy_port_note()}")
    elif args.action == "stop":
        stopped = emulator.stop()
        print(f"emulator stopped (pid {stopped.pid})" if stopped else "no emulator was running")
    else:
        found = emulator.current()
        print(f"emulator running at {found.endpoint} (pid {found.pid})" if found else "emulator not running")
    return EXIT_OK


def cmd_invoke(args: argparse.Namespace) -> int:
    from pipeline.stages.invoke import invoke_function, read_event

    invocation = invoke_function(args.service, args.function, read_event(args.event), args.env)
    print(invocation.payload)
    if invocation.function_error:
        print(f"error: {invocation.function}:live (version {invocation.version}) failed "
              f"({invocation.function_error})", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.local.gateway import connect_local, load_routes, make_server
    from pipeline.project.environments import HOST, gateway_port

    target = connect_local(args.env)
    server = make_server(target, args.port if args.port is not None else gateway_port())
    print(f"gateway at http://{HOST}:{server.server_port}/<service>/<path> (emulator {target.endpoint})")
    for route in load_routes(target):
        method, path = route.route_key.split(" ", 1)
        print(f"  {method:6} /{route.service}{path}  [{route.authorization}] -> {route.function_arn.split(':function:')[1]}")
    print("Ctrl-C stops it", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def register(commands: Subcommands) -> None:
    emulator = commands.add_parser("emulator", help="start, stop or show the local AWS emulator")
    emulator.add_argument("action", choices=("start", "stop", "status"))
    emulator.set_defaults(handler=cmd_emulator)

    invoke = commands.add_parser("invoke", help="invoke a deployed function's live alias and print its response")
    add_service(invoke)
    invoke.add_argument("--function", required=True, help="function name from the service's manifest")
    invoke.add_argument("--event", type=Path, help="JSON file with the event (default: {})")
    add_env(invoke)
    invoke.set_defaults(handler=cmd_invoke)

    serve = commands.add_parser("serve", help="local API gateway on 127.0.0.1 routing to every deployed service's API")
    serve.add_argument("--port", type=port, help="port to listen on (default: DEPLOY_GATEWAY_PORT or 4580)")
    add_env(serve, help="an emulator environment from environments.toml (default: local)")
    serve.set_defaults(handler=cmd_serve)
