"""The SBOM beside each artifact names the artifact by SHA-256 and every package and lib bundled in it, hashed."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from pipeline.stages.sbom import sbom_json, sbom_key


def make_artifact(path: Path, kit_source: str = "def helper(): ...\n") -> str:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("location/handler.py", "def handler(event, context): ...\n")
        archive.writestr("service_kit/__init__.py", kit_source)
        archive.writestr("requests/__init__.py", "")
        archive.writestr("requests-2.32.3.dist-info/METADATA", "Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\n")
        archive.writestr("requests-2.32.3.dist-info/RECORD", "requests/__init__.py,sha256=x,0\nrequests-2.32.3.dist-info/RECORD,,\n")
        archive.writestr("idna-3.10.dist-info/METADATA", "Metadata-Version: 2.1\nName: idna\nVersion: 3.10\n")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def components(sbom: str) -> dict[str, dict[str, object]]:
    return {component["name"]: component for component in json.loads(sbom)["components"]}


def test_the_sbom_lists_bundled_distributions_and_libs_with_hashes_and_is_stable(tmp_path: Path) -> None:
    artifact = tmp_path / "artifact.zip"
    sha256 = make_artifact(artifact)

    first = json.loads(sbom_json("location", artifact, sha256, ("service_kit",)))
    second = json.loads(sbom_json("location", artifact, sha256, ("service_kit",)))

    assert first["bomFormat"] == "CycloneDX" and first["specVersion"] == "1.6"
    assert first["metadata"]["component"]["hashes"] == [{"alg": "SHA-256", "content": sha256}]
    assert sorted(component.get("purl", component["name"]) for component in first["components"]) == [
        "pkg:pypi/idna@3.10", "pkg:pypi/requests@2.32.3", "service_kit",
    ]
    for component in first["components"]:
        (digest,) = component["hashes"]
        assert digest["alg"] == "SHA-256" and len(digest["content"]) == 64
    assert first["serialNumber"] == second["serialNumber"]
    assert sbom_key(f"services/location/{sha256}.zip") == f"services/location/{sha256}.cdx.json"


def test_a_component_hash_follows_its_bundled_files(tmp_path: Path) -> None:
    before, after = tmp_path / "before.zip", tmp_path / "after.zip"
    before_sbom = components(sbom_json("location", before, make_artifact(before), ("service_kit",)))
    after_sbom = components(sbom_json("location", after, make_artifact(after, "def helper(): return 1\n"), ("service_kit",)))

    assert before_sbom["service_kit"]["hashes"] != after_sbom["service_kit"]["hashes"]
    assert before_sbom["requests"]["hashes"] == after_sbom["requests"]["hashes"]
