"""`make lock-deps`: regenerate every lock from its `.in` list with uv, hashed, and stamp it.

uv keeps the versions a lock already pins unless its `.in` list asks for others, so adding a line
to an `.in` file and re-locking moves only what that line needs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import DependencyLockError
from pipeline.paths import PROJECT_ROOT
from pipeline.project.locks import LockTarget, lock_targets, project_path, render_lock

_ERROR_LINES = 15


@dataclass(frozen=True)
class LockResult:
    lock: str  # project path of the lock
    changed: bool


def uv_compile_command(target: LockTarget, output: Path, upgrade: bool) -> list[str]:
    """The uv command resolving `target`'s `.in` list into `output`, paths relative to the project."""
    command = [
        sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--generate-hashes", "--no-header",
        "--python-version", target.python_version, "--python-platform", target.platform,
        "--output-file", str(output), project_path(target.source),
    ]
    if target.wheels_only:
        command += ["--only-binary", ":all:"]
    if upgrade:
        command.append("--upgrade")
    return command


def lock_one(target: LockTarget, upgrade: bool = False) -> LockResult:
    """Resolve and write one lock. Raises DependencyLockError with uv's message when it cannot resolve."""
    inputs = target.source.read_text()
    with tempfile.TemporaryDirectory() as work:
        output = Path(work) / "lock.txt"
        if target.lock.is_file():  # uv prefers the versions already pinned in its output file
            shutil.copyfile(target.lock, output)
        result = subprocess.run(uv_compile_command(target, output, upgrade), cwd=PROJECT_ROOT,
                                capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-_ERROR_LINES:])
            raise DependencyLockError(
                f"locking {project_path(target.source)} failed:\n{tail}",
                "fix the pins in the .in file (uv reads the package index, so it needs the network)",
            )
        body = output.read_text()
    text = render_lock(target, inputs, body)
    changed = not target.lock.is_file() or target.lock.read_text() != text
    if changed:
        target.lock.write_text(text)
    return LockResult(project_path(target.lock), changed)


def lock_all(upgrade: bool = False) -> list[LockResult]:
    """Regenerate every lock of the project (requirements/, libs/, services/), in a stable order."""
    return [lock_one(target, upgrade) for target in lock_targets()]

