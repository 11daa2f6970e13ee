"""`alerts apply`: ops' alerts topic of an environment, which every service's alarms notify."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.common import EXIT_OK, add_env

if TYPE_CHECKING:
    from cli.common import Subcommands


def cmd_alerts(args: argparse.Namespace) -> int:
    from pipeline.aws import connect
    from pipeline.project.environments import get_environment
    from pipeline.state.bootstrap import alerts_topic_name, apply_alerts
    from pipeline.terraform.toolchain import ensure_toolchain

    environment = get_environment(args.env)
    apply_alerts(connect(environment), ensure_toolchain())
    told = ", ".join(environment.alert_subscriptions) or "nobody yet (add alert_subscriptions in environments.toml)"
    print(f"ops/alerts applied to {environment.name}: topic {alerts_topic_name(environment.name)} tells {told}")
    return EXIT_OK


def register(commands: Subcommands) -> None:
    alerts = commands.add_parser("alerts", help="ops: apply ops/alerts, the topic every service's alarms notify")
    alerts.add_argument("action", choices=("apply",))
    add_env(alerts)
    alerts.set_defaults(handler=cmd_alerts)
