#!/usr/bin/env python3
"""What the orchestrator adds to an infra change, against doing the same work by hand.

Deploys a copy of the project to an emulator of its own, then changes a function's memory,
alternately:
- through `deploy.py deploy --service location` (whole process: preflight, tests, package, plan
  with init reuse and the plan policy, apply, publish and `live`, verify, ledger);
- by hand: the service's tests (the test stage's own command), then `terraform plan -out` and
  `terraform apply` of that plan on the same root, data dir and inputs.
The tests are in both because the orchestrator runs its plan stage beside them: subtracting the
test stage from a deploy would no longer leave what the orchestrator itself costs; the ledger's
test and plan stage times are printed beside, so what the overlap hides stays visible. Medians
of `--rounds` runs each. Prints a table; asserts nothing. Target: adds under 10% of plan + apply.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def set_memory(project: Path, megabytes: int) -> None:
    manifest = project / "services" / "location" / "service.yaml"
    manifest.write_text(re.sub(r"memory_mb: \d+", f"memory_mb: {megabytes}", manifest.read_text(), count=1))


def deploy(project: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "deploy.py", "deploy", "--service", "location"], cwd=project,
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"deploy failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    os.environ["DEPLOY_LOCAL_DIR"] = tempfile.mkdtemp(prefix="bench-infra-")
    os.environ["DEPLOY_EMULATOR_PORT"] = "0"
    with tempfile.TemporaryDirectory() as work:
        project = Path(work) / "project"
        shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns(".git", ".local", ".venv", "__pycache__"))
        sys.path.insert(0, str(project))
        from pipeline import emulator
        from pipeline.aws import Identity, connect
        from pipeline.project.environments import get_environment
        from pipeline.project.services import load_service
        from pipeline.stages.deploy import run_tests
        from pipeline.state.ledger import Ledger
        from pipeline.terraform.roots import data_dir, terraform_for
        from pipeline.terraform.toolchain import ensure_toolchain

        orchestrated: list[float] = []
        test_stages: list[float] = []
        plan_stages: list[float] = []
        tests: list[float] = []
        terraform_by_hand: list[float] = []
        try:
            deploy(project)
            target = connect(get_environment("local")).for_service("location")
            root = project / "services" / "location" / "infra"
            terraform = terraform_for(target, ensure_toolchain(), root, Identity.DEPLOYER)
            var_file = data_dir(target, root) / "inputs.tfvars.json"
            plan_file = data_dir(target, root) / "by-hand.tfplan"
            memory = 256
            for _ in range(rounds):
                memory += 64
                set_memory(project, memory)
                orchestrated.append(deploy(project))
                last = Ledger(target).last_success("location")
                assert last is not None
                stage_seconds = {record.name: record.seconds for record in last.stages}
                test_stages.append(stage_seconds["test"])
                plan_stages.append(stage_seconds["plan"])

                memory += 64
                set_memory(project, memory)
                started = time.perf_counter()
                run_tests(load_service("location"))
                tests.append(time.perf_counter() - started)
                started = time.perf_counter()
                terraform.run(["plan", "-input=false", "-no-color", f"-var-file={var_file}", f"-out={plan_file}"])
                terraform.run(["apply", "-input=false", "-no-color", str(plan_file)])
                terraform_by_hand.append(time.perf_counter() - started)
        finally:
            emulator.stop()
    deployed, tested, by_hand, test_stage, plan_stage = (
        statistics.median(values) for values in (orchestrated, tests, terraform_by_hand, test_stages, plan_stages))
    added = deployed - tested - by_hand
    rows = [
        ("deploy.py deploy, infra change (whole process)", f"{deployed:.1f} s"),
        ("by hand: the service's tests", f"{tested:.1f} s"),
        ("by hand: terraform plan -out + apply, same root", f"{by_hand:.1f} s"),
        ("orchestrator adds (deploy.py - tests - plan/apply)", f"{added:+.1f} s"),
        ("  as a share of plan + apply (target < +10%)", f"{100 * added / by_hand:+.0f}%"),
        ("inside deploy.py: test stage", f"{test_stage:.1f} s"),
        ("inside deploy.py: plan stage (plan -out, show -json, policy)", f"{plan_stage:.1f} s"),
    ]
    print(f"medians of {rounds} rounds each")
    for label, value in rows:
        print(f"{label:<62} {value:>8}")


if __name__ == "__main__":
    main()
