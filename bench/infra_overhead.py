#!/usr/bin/env python3
"""What the orchestrator adds to an infra change, against `terraform plan` + `apply` by hand.

Deploys a copy of the project to an emulator of its own, then changes a function's memory twice:
once deployed through `deploy.py deploy --service location` (its test stage subtracted), once
applied by hand with `terraform plan -out` and `terraform apply` on the same root, data dir and
inputs. Prints a table; asserts nothing. Target: the orchestrator adds under 10%.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def set_memory(project: Path, megabytes: int) -> None:
    manifest = project / "services" / "location" / "service.yaml"
    manifest.write_text(manifest.read_text().replace("memory_mb: 256", f"memory_mb: {megabytes}", 1)
                        .replace("memory_mb: 384", f"memory_mb: {megabytes}", 1))


def deploy(project: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "deploy.py", "deploy", "--service", "location"], cwd=project,
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"deploy failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - started


def main() -> None:
    os.environ["DEPLOY_LOCAL_DIR"] = tempfile.mkdtemp(prefix="bench-infra-")
    os.environ["DEPLOY_EMULATOR_PORT"] = "0"
    with tempfile.TemporaryDirectory() as work:
        project = Path(work) / "project"
        shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns(".git", ".local", ".venv", "__pycache__"))
        sys.path.insert(0, str(project))
        from pipeline import emulator
        from pipeline.aws import Identity, connect
        from pipeline.environments import get_environment
        from pipeline.ledger import Ledger
        from pipeline.roots import data_dir, terraform_for
        from pipeline.toolchain import ensure_toolchain

        try:
            deploy(project)
            set_memory(project, 384)
            total = deploy(project)
            target = connect(get_environment("local")).for_service("location")
            last = Ledger(target).last_success("location")
            assert last is not None
            tests = sum(stage.seconds for stage in last.stages if stage.name == "test")
            orchestrated = total - tests

            set_memory(project, 512)
            root = project / "services" / "location" / "infra"
            terraform = terraform_for(target, ensure_toolchain(), root, Identity.DEPLOYER)
            var_file = data_dir(target, root) / "inputs.tfvars.json"
            plan_file = data_dir(target, root) / "by-hand.tfplan"
            started = time.perf_counter()
            terraform.run(["plan", "-input=false", "-no-color", f"-var-file={var_file}", f"-out={plan_file}"])
            terraform.run(["apply", "-input=false", "-no-color", str(plan_file)])
            by_hand = time.perf_counter() - started
        finally:
            emulator.stop()
    print(f"{'measurement':<58} {'seconds':>8}")
    print(f"{'deploy.py deploy, infra change, test stage excluded':<58} {orchestrated:>8.1f}")
    print(f"{'terraform plan -out + apply by hand, same root':<58} {by_hand:>8.1f}")
    print(f"{'orchestrator overhead (target < 10%)':<58} {100 * (orchestrated / by_hand - 1):>7.0f}%")


if __name__ == "__main__":
    main()
