"""Deterministic Lambda artifacts: the same inputs give a byte-identical zip, cached by input hash.

Layout: the service's `src/` tree and the packages of the libs it declares at the zip root, plus
their runtime requirements installed for the Lambda platform. Entries are sorted, timestamps fixed to 1980-01-01, modes normalised to
0644/0755, so time, umask and file order never change the hash; console scripts (whose shebang names
the building Python) are left out, so neither does the checkout's path.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import StageFailed

# Bump when the zip layout changes, so cached artifacts from the old layout are not reused.
LAYOUT_VERSION = "2"
LAMBDA_PLATFORM = "manylinux2014_x86_64"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}


@dataclass(frozen=True)
class Artifact:
    path: Path
    sha256: str  # hex digest of the zip
    inputs_hash: str  # hex digest of everything the zip was built from

    @property
    def sha256_base64(self) -> str:
        """The digest as Lambda reports it in CodeSha256."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()


@dataclass(frozen=True)
class Build:
    """An artifact and whether it came from the cache rather than being built now."""

    artifact: Artifact
    cached: bool


@dataclass(frozen=True)
class PackageInputs:
    files: tuple[tuple[str, Path], ...]  # (name in zip, file on disk), sorted by name
    requirements: str
    runtime: str


def source_files(source_dir: Path) -> list[tuple[str, Path]]:
    """Every file under `source_dir` as (name in zip, path), sorted, caches skipped."""
    files = []
    for path in source_dir.rglob("*"):
        relative = path.relative_to(source_dir)
        if path.is_file() and not _SKIPPED_PARTS.intersection(relative.parts) and path.suffix != ".pyc":
            files.append((relative.as_posix(), path))
    return sorted(files)


def _mode(path: Path) -> int:
    return 0o755 if os.access(path, os.X_OK) else 0o644


def inputs_hash(inputs: PackageInputs) -> str:
    """A digest of names, contents and normalised modes of every input, requirements and runtime."""
    digest = hashlib.sha256()
    digest.update(f"layout={LAYOUT_VERSION}\nruntime={inputs.runtime}\nplatform={LAMBDA_PLATFORM}\n".encode())
    digest.update(hashlib.sha256(inputs.requirements.encode()).digest())
    for name, path in inputs.files:
        digest.update(f"{name}\0{_mode(path):o}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def write_zip(destination: Path, files: Iterable[tuple[str, Path]]) -> str:
    """Write a deterministic zip of `files` and return its SHA-256 (hex)."""
    with zipfile.ZipFile(destination, "w") as archive:
        for name, path in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.create_system = 3  # unix, so the mode bits below are honoured
            info.external_attr = (0o100000 | _mode(path)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return hashlib.sha256(destination.read_bytes()).hexdigest()


def install_requirements(requirements: str, runtime: str, target: Path) -> None:
    """Install runtime requirements (requirements.txt text) for the Lambda platform into `target`.

    Raises StageFailed with pip's last lines when a requirement cannot be installed.
    """
    requirements_file = target.parent / "requirements.txt"
    requirements_file.write_text(requirements)
    python_version = runtime.removeprefix("python")
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check",
        "--target", str(target), "--platform", LAMBDA_PLATFORM, "--implementation", "cp",
        "--python-version", python_version, "--only-binary=:all:", "--require-hashes", "-r", str(requirements_file),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-10:])
        raise StageFailed(
            f"package: installing runtime requirements for {runtime} failed:\n{tail}",
            "check the pins (and hashes) in the service's and its libs' requirements.txt",
        )
    drop_machine_paths(target)


def drop_machine_paths(site: Path) -> None:
    """Remove what pip writes outside the packages: console scripts under bin/ and their RECORD lines.

    A script's shebang is the absolute path of the Python that installed it, so it would make the
    artifact depend on where the checkout lives; Lambda never runs them.
    """
    shutil.rmtree(site / "bin", ignore_errors=True)
    for record in site.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not line.lstrip('"').startswith(("../", "/", "bin/"))]
        if kept != lines:
            record.write_text("".join(kept))


def installed_requirements(requirements: str, runtime: str, cache_dir: Path) -> Path:
    """A folder with `requirements` installed for `runtime`, shared by every artifact that needs them.

    Services declaring the same lib install its requirements once. Raises StageFailed like
    install_requirements.
    """
    key = hashlib.sha256(f"{LAYOUT_VERSION}\n{runtime}\n{requirements}".encode()).hexdigest()
    installed = cache_dir / "requirements" / key
    if not installed.is_dir():
        installed.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=installed.parent) as work:
            staging = Path(work) / "site-packages"
            install_requirements(requirements, runtime, staging)
            try:
                staging.rename(installed)
            except OSError:  # a concurrent build installed the same requirements first
                if not installed.is_dir():
                    raise
    return installed


def has_requirements(requirements: str) -> bool:
    return any(line.strip() and not line.strip().startswith("#") for line in requirements.splitlines())


def build(inputs: PackageInputs, cache_dir: Path) -> Build:
    """The artifact for `inputs`, from the cache when already built."""
    key = inputs_hash(inputs)
    cached_zip = cache_dir / f"{key}.zip"
    cached_meta = cache_dir / f"{key}.json"
    if cached_zip.is_file() and cached_meta.is_file():
        return Build(Artifact(cached_zip, json.loads(cached_meta.read_text())["sha256"], key), cached=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        files = list(inputs.files)
        if has_requirements(inputs.requirements):
            files += source_files(installed_requirements(inputs.requirements, inputs.runtime, cache_dir))
        partial = Path(work) / "artifact.zip"
        sha256 = write_zip(partial, files)
        # Publish zip before metadata: a reader that finds the metadata always finds the zip.
        shutil.move(partial, cached_zip)
        cached_meta.write_text(json.dumps({"sha256": sha256}))
    return Build(Artifact(cached_zip, sha256, key), cached=False)
