"""The SBOM beside each artifact names the artifact by SHA-256 and every package bundled in it."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from pipeline.stages.sbom import sbom_json, sbom_key


def test_the_sbom_lists_bundled_distributions_and_is_stable(tmp_path: Path) -> None:
    artifact = tmp_path / "artifact.zip"
    with zipfile.ZipFile(artifact, "w") as archive:
        archive.writestr("location/handler.py", "def handler(event, context): ...\n")
        archive.writestr("requests-2.32.3.dist-info/METADATA", "Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\n")
        archive.writestr("idna-3.10.dist-info/METADATA", "Metadata-Version: 2.1\nName: idna\nVersion: 3.10\n")
    sha256 = hashlib.sha256(artifact.read_bytes()).hexdigest()

    first, second = json.loads(sbom_json("location", artifact, sha256)), json.loads(sbom_json("location", artifact, sha256))

    assert first["bomFormat"] == "CycloneDX" and first["specVersion"] == "1.6"
    assert first["metadata"]["component"]["hashes"] == [{"alg": "SHA-256", "content": sha256}]
    assert sorted(component["purl"] for component in first["components"]) == [
        "pkg:pypi/idna@3.10", "pkg:pypi/requests@2.32.3",
    ]
    assert first["serialNumber"] == second["serialNumber"]
    assert sbom_key(f"services/location/{sha256}.zip") == f"services/location/{sha256}.cdx.json"
