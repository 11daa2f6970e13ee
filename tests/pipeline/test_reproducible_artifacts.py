"""The same commit packaged in two checkouts (other paths, other umasks) gives the same bytes and a full SBOM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipeline.paths import PROJECT_ROOT
from pipeline.project.locks import merged_lock, normalise_name, parse_lock
from pipeline.project.services import load_service, service_names
from pipeline.stages.sbom import sbom_json

pytestmark = pytest.mark.slow  # installs every service's requirements from the index, twice


def checkout(commit: str, folder: Path, umask: int) -> Path:
    """A clone of the project at `commit` with a `.venv` of its own (a link to this one's), made under `umask`."""
    subprocess.run(["sh", "-c", f"umask {umask:03o} && git clone --quiet --no-checkout \"$0\" \"$1\" && "
                                f"git -C \"$1\" checkout --quiet --detach {commit}", str(PROJECT_ROOT), str(folder)],
                   check=True)
    (folder / ".venv").symlink_to(Path(sys.prefix))
    return folder


def package_all(folder: Path, umask: int) -> dict[str, str]:
    """SHA-256 of every service's artifact, packaged by the checkout's own CLI under `umask`."""
    digests = {}
    python = folder / ".venv" / "bin" / "python"  # pip writes this path into console scripts' shebangs
    env = {key: value for key, value in os.environ.items() if key != "DEPLOY_LOCAL_DIR"}
    for service in service_names():
        result = subprocess.run(
            ["sh", "-c", f"umask {umask:03o} && exec \"$0\" deploy.py stage package --service {service} --out dist",
             str(python)], cwd=folder, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        digests[service] = (folder / "dist" / f"{service}.sha256").read_text().split()[0]
    return digests


def test_two_checkouts_at_different_paths_and_umasks_package_identical_artifacts_with_complete_sboms(
    tmp_path: Path,
) -> None:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    first = checkout(commit, tmp_path / "one", 0o022)
    second = checkout(commit, tmp_path / "somewhere" / "else" / "two", 0o077)

    first_digests, second_digests = package_all(first, 0o022), package_all(second, 0o077)

    assert first_digests == second_digests
    assert set(first_digests) == set(service_names())
    for service in first_digests:
        with zipfile.ZipFile(second / "dist" / f"{service}.zip") as archive:
            leaked = [name for name in archive.namelist() if str(tmp_path).encode() in archive.read(name)]
            assert leaked == [], f"{service}: the checkout's path is in {leaked}"
            assert not [name for name in archive.namelist() if name.startswith("bin/")]
        libs = load_service(service).manifest.libs
        sbom = json.loads(sbom_json(service, second / "dist" / f"{service}.zip", first_digests[service], libs))
        locks = [PROJECT_ROOT / "services" / service / "requirements.txt",
                 *(PROJECT_ROOT / "libs" / lib / "requirements.txt" for lib in libs)]
        locked = {item.name for item in parse_lock(merged_lock(locks), "merged")}
        components = {normalise_name(component["name"]): component["hashes"] for component in sbom["components"]}
        assert set(components) == locked | {normalise_name(lib) for lib in libs}
        assert all(hashes[0]["alg"] == "SHA-256" and len(hashes[0]["content"]) == 64 for hashes in components.values())

