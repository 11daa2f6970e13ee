"""Benchmarks for the orchestrator's speed targets; prints a table, asserts nothing.

1. A synthetic monorepo (default 1,000 services, 10,000 commits, shared modules and libs) built
   with `git fast-import`: `deploy.py changed --since <first commit>` against raw
   `git diff --name-only` over the same range, and a no-op `deploy --changed` with the ledger in
   an emulator of its own.
2. Unless --skip-deploy: the real project copied to a temporary folder and deployed to that
   emulator, then a code-only change to `location` (command to `live` moved, tests excluded)
   and re-packaging the unchanged service (cache hit).

Usage: .venv/bin/python bench/changes.py [--services N] [--commits N] [--runs N] [--skip-deploy]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

LIBS = ("geo", "obs", "auth")
MODULES = {
    "modules/table/main.tf": 'resource "aws_dynamodb_table" "this" {}\n',
    "modules/function/main.tf": 'resource "aws_lambda_function" "this" {}\n',
    "modules/stack/main.tf": 'module "table" {\n  source = "../table"\n}\n\nmodule "function" {\n  source = "../function"\n}\n',
    "modules/iam/function-role/main.tf": 'resource "aws_iam_role" "this" {}\n',
}
CLI_FILES = ("deploy.py", "environments.toml", "toolchain.toml", "pipeline")


def service_files(index: int) -> dict[str, str]:
    name = f"svc{index:04d}"
    libs = "[obs]" if index % 10 == 0 else "[]"
    imports = "from geo.point import Point\n" if index % 10 == 1 else ""
    module = "stack" if index % 2 else "function"
    return {
        f"services/{name}/service.yaml": (
            f"name: {name}\ndescription: synthetic\nruntime: python3.11\nlibs: {libs}\n"
            f"functions:\n  run:\n    handler: {name}.handler.handler\n"
        ),
        f"services/{name}/src/{name}/__init__.py": "",
        f"services/{name}/src/{name}/handler.py": f"{imports}\n\ndef handler(event, context):\n    return 0\n",
        f"services/{name}/requirements.txt": "",
        f"services/{name}/infra/main.tf": f'module "app" {{\n  source = "../../../modules/{module}"\n}}\n',
    }


def initial_tree(services: int) -> dict[str, str]:
    files = {"README.md": "# synthetic monorepo\n", "ops/iam/main.tf": "# roles\n", **MODULES}
    for lib in LIBS:
        files[f"libs/{lib}/{lib}/__init__.py"] = ""
        files[f"libs/{lib}/{lib}/point.py"] = "Point = 0\n"
    for index in range(services):
        files.update(service_files(index))
    return files


def next_change(rng: random.Random, services: int, step: int) -> tuple[str, str]:
    """One commit's change: mostly a service's code, sometimes a lib, module, doc or ops file."""
    roll = rng.random()
    if roll < 0.04:
        lib = rng.choice(LIBS)
        return f"libs/{lib}/{lib}/point.py", f"Point = {step}\n"
    if roll < 0.07:
        module = rng.choice(sorted(MODULES))
        return module, f"# revision {step}\n" + MODULES[module]
    if roll < 0.09:
        return "README.md", f"# synthetic monorepo, revision {step}\n"
    if roll < 0.10:
        return "ops/iam/main.tf", f"# roles, revision {step}\n"
    name = f"svc{rng.randrange(services):04d}"
    return f"services/{name}/src/{name}/handler.py", f"def handler(event, context):\n    return {step}\n"


def fast_import_stream(services: int, commits: int) -> Iterator[bytes]:
    rng = random.Random(4)

    def data(text: str) -> bytes:
        raw = text.encode()
        return b"data %d\n%s\n" % (len(raw), raw)

    def commit(step: int, files: dict[str, str]) -> bytes:
        header = b"commit refs/heads/main\ncommitter bench <bench@example.com> %d +0000\n" % (1_700_000_000 + step)
        header += data(f"change {step}")
        return header + b"".join(b"M 100644 inline %s\n" % path.encode() + data(text) for path, text in files.items())

    yield commit(0, initial_tree(services))
    for step in range(1, commits):
        path, text = next_change(rng, services, step)
        yield commit(step, {path: text})


def build_monorepo(folder: Path, services: int, commits: int) -> str:
    """The synthetic repository, checked out, with this project's CLI copied in (untracked)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=folder, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    for chunk in fast_import_stream(services, commits):
        importer.stdin.write(chunk)
    importer.stdin.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=folder, check=True)
    for name in CLI_FILES:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, folder / name)
    return subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=folder, check=True,
                          capture_output=True, text=True).stdout.strip()


def timed(command: list[str], cwd: Path, runs: int, warm_up: bool = True) -> tuple[float, str]:
    """Median wall time of `command` over `runs` runs (after an optional warm-up), and its last output."""
    output = ""
    samples = []
    for attempt in range(runs + 1 if warm_up else runs):
        started = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
        output = result.stdout
        if attempt or not warm_up:
            samples.append(elapsed)
    return statistics.median(samples), output


def seed_ledger(repo: Path, services: int) -> None:
    """Every synthetic service recorded as deployed from HEAD, in the bench emulator's ledger."""
    from pipeline.aws import Identity, connect
    from pipeline.project.environments import get_environment
    from pipeline.state.ledger import Ledger, LedgerEntry

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()
    target = connect(get_environment("local"))
    target.client("s3", Identity.OPS).create_bucket(Bucket=target.environment.artifact_bucket)
    ledger = Ledger(target)
    now = time.time()
    entries = [
        LedgerEntry(execution_id=f"bench-{index}", service=f"svc{index:04d}", environment="local", commit=head,
                    from_commit=True, result="succeeded", started_at=now, finished_at=now)
        for index in range(services)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(ledger.record, entries))


def bench_monorepo(args: argparse.Namespace, rows: list[tuple[str, str, str]]) -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as work:
        repo = Path(work) / "monorepo"
        started = time.perf_counter()
        first = build_monorepo(repo, args.services, args.commits)
        print(f"built {args.services} services x {args.commits} commits in {time.perf_counter() - started:.1f}s", flush=True)
        raw, diff = timed(["git", "diff", "--name-only", first, "HEAD"], repo, args.runs)
        ours, report = timed([python, "deploy.py", "changed", "--since", first, "--json"], repo, args.runs)
        selected = len(json.loads(report)["services"])
        rows.append(("raw `git diff --name-only <first> HEAD`", f"{raw * 1000:.0f} ms", f"{len(diff.splitlines())} paths"))
        rows.append(("`deploy.py changed --since <first>`", f"{ours * 1000:.0f} ms", f"{selected} services selected (target < 250 ms)"))
        seed_ledger(repo, args.services)
        noop, output = timed([python, "deploy.py", "deploy", "--changed"], repo, args.runs)
        assert "no services to deploy" in output, output
        rows.append(("no-op `deploy --changed` (ledger in emulator)", f"{noop * 1000:.0f} ms", "target < 1 s"))


def bench_deploy(rows: list[tuple[str, str, str]]) -> None:
    from pipeline.aws import connect
    from pipeline.project.environments import get_environment
    from pipeline.state.ledger import Ledger

    with tempfile.TemporaryDirectory() as work:
        project = Path(work) / "project"
        shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns(".git", ".local", ".venv", "__pycache__"))
        deploy: Callable[[], float] = lambda: timed([sys.executable, "deploy.py", "deploy", "--service", "location"], project, 1, warm_up=False)[0]
        first = deploy()
        handler = project / "services" / "location" / "src" / "location" / "store.py"
        handler.write_text(handler.read_text() + "\n# bench change\n")
        total = deploy()
        last = Ledger(connect(get_environment("local"))).last_success("location")
        assert last is not None
        stages = {stage.name: stage for stage in last.stages}
        # The test stage runs beside package and plan; the deploy waited only for what it ran past them.
        tests_end = stages["test"].started_at + stages["test"].seconds
        plan_end = stages["plan"].started_at + stages["plan"].seconds
        waited = max(0.0, tests_end - plan_end)
        rows.append(("first deploy of location (bootstrap, IAM, infra)", f"{first:.1f} s", "for scale"))
        rows.append(("code-only change, command to `live` moved", f"{total - waited:.1f} s",
                     f"tests excluded (waited {waited:.1f} s of {total:.1f} s for them); target < 5 s"))
        sys.path.insert(0, str(project))
        from pipeline.project.services import load_service
        from pipeline.stages.deploy import package

        service = load_service("location", project / "services")
        cache = project / ".local" / "cache" / "artifacts"
        package(service, cache)
        started = time.perf_counter()
        cached = package(service, cache).cached
        rows.append(("re-package unchanged location", f"{(time.perf_counter() - started) * 1000:.0f} ms",
                     f"cache hit: {cached}; target < 100 ms"))


@contextmanager
def own_emulator() -> Iterator[None]:
    """A fresh local dir, so each section gets an emulator of its own, stopped afterwards."""
    from pipeline import emulator

    with tempfile.TemporaryDirectory() as local:
        os.environ["DEPLOY_LOCAL_DIR"] = local
        try:
            yield
        finally:
            emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (median reported)")
    parser.add_argument("--skip-deploy", action="store_true", help="only the synthetic monorepo")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    os.environ.update(DEPLOY_EMULATOR_PORT="0", CI="true")
    with own_emulator():
        bench_monorepo(args, rows)
    print_table(rows)
    if not args.skip_deploy:
        with own_emulator():
            bench_deploy(rows)
    print_table(rows)


def print_table(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(row[0]) for row in rows)
    print(f"\n{'measurement':<{width}}  {'time':>9}  notes")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>9}  {note}")


if __name__ == "__main__":
    main()
