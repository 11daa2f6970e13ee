"""Platform's command over the Terraform modules: `modules docs`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.common import EXIT_OK

if TYPE_CHECKING:
    from cli.common import Subcommands


def cmd_modules(args: argparse.Namespace) -> int:
    from pipeline.terraform.module_docs import MODULES_DIR, module_folders, update_readme

    for module in module_folders():
        state = "updated" if update_readme(module) else "unchanged"
        print(f"{state:9} modules/{module.relative_to(MODULES_DIR).as_posix()}/README.md")
    return EXIT_OK


def register(commands: Subcommands) -> None:
    modules = commands.add_parser("modules", help="regenerate the input and output tables of every module README")
    modules.add_argument("action", choices=("docs",))
    modules.set_defaults(handler=cmd_modules)
