"""A small typed runner for the terraform CLI: init, plan to a file, apply that file, read JSON."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import TerraformError
from pipeline.toolchain import Toolchain

_DIAGNOSTIC_LINES = 40


@dataclass(frozen=True)
class PlanResult:
    path: Path
    has_changes: bool


class Terraform:
    """Runs terraform for one root, with its own data dir and environment."""

    def __init__(self, toolchain: Toolchain, root: Path, data_dir: Path, env: Mapping[str, str]) -> None:
        self.toolchain = toolchain
        self.root = root
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self._env = {
            **os.environ,
            **env,
            "TF_CLI_CONFIG_FILE": str(toolchain.cli_config),
            "TF_DATA_DIR": str(data_dir),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }

    def run(self, args: Sequence[str], ok_codes: Sequence[int] = (0,)) -> subprocess.CompletedProcess[str]:
        """Run `terraform <args>` in the root. Raises TerraformError with the diagnostics on failure."""
        command = [self.toolchain.binary, *args]
        result = subprocess.run(command, cwd=self.root, env=self._env, capture_output=True, text=True)
        if result.returncode not in ok_codes:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-_DIAGNOSTIC_LINES:])
            raise TerraformError(
                f"terraform {args[0]} failed in {self._relative_root()}:\n{tail}",
                "fix the error above and run the same command again",
            )
        return result

    def _relative_root(self) -> str:
        try:
            return str(self.root.relative_to(Path.cwd()))
        except ValueError:
            return str(self.root)

    def init(self, backend_config: Mapping[str, str]) -> None:
        """Initialise providers, modules and the backend; never rewrites the committed lock file."""
        args = ["init", "-no-color", "-input=false", "-lockfile=readonly", "-reconfigure"]
        args += [f"-backend-config={key}={value}" for key, value in backend_config.items()]
        self.run(args)

    def plan(self, plan_file: Path, var_file: Path | None = None) -> PlanResult:
        """Write a saved plan; `has_changes` says whether applying it would change anything."""
        args = ["plan", "-no-color", "-input=false", "-detailed-exitcode", f"-out={plan_file}"]
        if var_file is not None:
            args.append(f"-var-file={var_file}")
        result = self.run(args, ok_codes=(0, 2))
        return PlanResult(path=plan_file, has_changes=result.returncode == 2)

    def apply(self, plan_file: Path) -> None:
        """Apply exactly the saved plan (Terraform refuses it if the state moved since)."""
        self.run(["apply", "-no-color", "-input=false", str(plan_file)])

    def show_json(self, plan_file: Path) -> dict[str, Any]:
        """The saved plan as Terraform's JSON plan representation."""
        plan: dict[str, Any] = json.loads(self.run(["show", "-json", str(plan_file)]).stdout)
        return plan

    def outputs(self) -> dict[str, Any]:
        """The root's outputs as plain values."""
        raw = json.loads(self.run(["output", "-json"]).stdout)
        return {name: item["value"] for name, item in raw.items()}
