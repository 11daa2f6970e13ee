#!/usr/bin/env python3
"""The deploy CLI: parses arguments, calls pipeline/, prints results, sets the exit code.

Exit codes: 0 ok, 1 a pipeline error (one line plus a hint), 2 usage, 3 a bug, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.ledger import StageRecord

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class LineReporter:
    """Plain progress lines, one per stage event, readable in a terminal and in CI logs."""

    def stage_started(self, service: str, stage: str) -> None:
        print(f"[{service}] {stage} ...", flush=True)

    def stage_finished(self, service: str, record: StageRecord) -> None:
        detail = f": {record.detail}" if record.detail else ""
        print(f"[{service}] {record.name} {record.status} in {record.seconds:.1f}s{detail}", flush=True)

    def note(self, service: str, message: str) -> None:
        print(f"[{service}] {message}", flush=True)


def cmd_deploy(args: argparse.Namespace) -> int:
    from pipeline.run import deploy_service

    execution = deploy_service(args.service, args.env, LineReporter())
    total = execution.finished_at - execution.started_at
    print(f"{execution.service}: deployed to {execution.environment} in {total:.1f}s "
          f"(execution {execution.execution_id}, artifact {execution.artifact_sha256[:12]})")
    return EXIT_OK


def cmd_emulator(args: argparse.Namespace) -> int:
    from pipeline import emulator

    if args.action == "start":
        running, started = emulator.ensure_running()
        print(f"emulator {'started' if started else 'already running'} at {running.endpoint} (pid {running.pid})")
    elif args.action == "stop":
        stopped = emulator.stop()
        print(f"emulator stopped (pid {stopped.pid})" if stopped else "no emulator was running")
    else:
        found = emulator.current()
        print(f"emulator running at {found.endpoint} (pid {found.pid})" if found else "emulator not running")
    return EXIT_OK


def cmd_invoke(args: argparse.Namespace) -> int:
    from pipeline.invoke import invoke_function, read_event

    invocation = invoke_function(args.service, args.function, read_event(args.event), args.env)
    print(invocation.payload)
    if invocation.function_error:
        print(f"error: {invocation.function}:live (version {invocation.version}) failed "
              f"({invocation.function_error})", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.gateway import HOST, connect_local, gateway_port, load_routes, make_server

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


def cmd_new_service(args: argparse.Namespace) -> int:
    from pipeline.scaffold import create_service

    created = create_service(args.name, args.description or f"The {args.name} service.")
    print(f"created services/{created.name}:")
    for path in created.files:
        print(f"  {path}")
    print(f"next: make deploy SERVICE={created.name}, then make serve and curl "
          f"http://127.0.0.1:4580/{created.name}/status")
    print("ops: ops/iam reads every manifest; apply it to create the execution role(s) "
          f"{', '.join(created.roles)} (path /services/{created.name}/; logs and X-Ray only until the manifest "
          "asks for more). The pipeline applies it itself in local; elsewhere: make iam-plan, review, make iam-apply.")
    return EXIT_OK


def cmd_toolchain(args: argparse.Namespace) -> int:
    from pipeline.roots import all_roots, root_id
    from pipeline.toolchain import ensure_toolchain, lock_root

    toolchain = ensure_toolchain()
    source = f"mirror {toolchain.mirror}" if toolchain.mirror else "the registry"
    print(f"{toolchain.binary} {toolchain.version}; providers from {source}")
    if args.action == "lock":
        for root in all_roots():
            lock_root(toolchain, root)
            print(f"locked {root_id(root)}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deploy.py", description="Test, package and deploy services.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for unexpected errors")
    commands = parser.add_subparsers(dest="command", required=True)

    deploy = commands.add_parser("deploy", help="run a service through test, package and deploy")
    deploy.add_argument("--service", required=True, help="service name (a folder under services/)")
    deploy.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    deploy.set_defaults(handler=cmd_deploy)

    emulator = commands.add_parser("emulator", help="start, stop or show the local AWS emulator")
    emulator.add_argument("action", choices=("start", "stop", "status"))
    emulator.set_defaults(handler=cmd_emulator)

    invoke = commands.add_parser("invoke", help="invoke a deployed function's live alias and print its response")
    invoke.add_argument("--service", required=True, help="service name (a folder under services/)")
    invoke.add_argument("--function", required=True, help="function name from the service's manifest")
    invoke.add_argument("--event", type=Path, help="JSON file with the event (default: {})")
    invoke.add_argument("--env", default="local", help="environment from environments.toml (default: local)")
    invoke.set_defaults(handler=cmd_invoke)

    serve = commands.add_parser("serve", help="local API gateway on 127.0.0.1 routing to every deployed service's API")
    serve.add_argument("--port", type=int, help="port to listen on (default: DEPLOY_GATEWAY_PORT or 4580)")
    serve.add_argument("--env", default="local", help="an emulator environment from environments.toml (default: local)")
    serve.set_defaults(handler=cmd_serve)

    new_service = commands.add_parser("new-service", help="create services/<name> from the templates")
    new_service.add_argument("--name", required=True, help="service name: lower case letters, digits, hyphens")
    new_service.add_argument("--description", help="one line for the manifest")
    new_service.set_defaults(handler=cmd_new_service)

    toolchain = commands.add_parser("toolchain", help="check Terraform and its providers, or regenerate lock files")
    toolchain.add_argument("action", choices=("check", "lock"))
    toolchain.set_defaults(handler=cmd_toolchain)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return int(exit.code or 0)
    try:
        return int(args.handler(args))
    except PipelineError as err:
        print(f"error: {err.message}", file=sys.stderr)
        if err.hint:
            print(f"hint: {err.hint}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:
        if args.debug:
            traceback.print_exc()
        else:
            print("error: unexpected failure (a bug); run again with --debug for the traceback", file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
