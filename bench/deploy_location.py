#!/usr/bin/env python3
"""Wall times of the walking skeleton, for comparing later work against.

Measures, on a fresh emulator with its own local state: the first `deploy.py deploy --service
location` (emulator start, bootstrap, IAM, service), a repeated one with nothing changed, and a
raw `terraform plan` of services/location/infra with the same backend and inputs. Prints a table;
asserts nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import emulator  # noqa: E402
from pipeline.aws import Identity, connect  # noqa: E402
from pipeline.paths import PROJECT_ROOT  # noqa: E402
from pipeline.project.environments import get_environment  # noqa: E402
from pipeline.terraform.roots import data_dir, terraform_for  # noqa: E402
from pipeline.terraform.toolchain import ensure_toolchain  # noqa: E402


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    os.environ["DEPLOY_LOCAL_DIR"] = tempfile.mkdtemp(prefix="bench-local-")
    os.environ["DEPLOY_EMULATOR_PORT"] = "0"
    deploy = [sys.executable, "deploy.py", "deploy", "--service", "location"]
    try:
        first = timed(deploy)
        repeat = timed(deploy)
        target = connect(get_environment("local")).for_service("location")
        root = PROJECT_ROOT / "services" / "location" / "infra"
        terraform = terraform_for(target, ensure_toolchain(), root, Identity.DEPLOYER)
        var_file = data_dir(target, root) / "inputs.tfvars.json"
        started = time.perf_counter()
        terraform.run(["plan", "-input=false", "-no-color", f"-var-file={var_file}"])
        raw_plan = time.perf_counter() - started
    finally:
        emulator.stop()
    print(f"{'measurement':<55} {'seconds':>8}")
    for name, seconds in [
        ("first deploy (fresh emulator, bootstrap, IAM, service)", first),
        ("repeated deploy, nothing changed", repeat),
        ("raw terraform plan of services/location/infra", raw_plan),
    ]:
        print(f"{name:<55} {seconds:>8.1f}")


if __name__ == "__main__":
    main()
