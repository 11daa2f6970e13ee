"""A CycloneDX SBOM for each artifact, read from the zip itself, stored beside it.

The zip is the truth: every installed distribution leaves a `*.dist-info/METADATA` in it.
"""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path


def _distributions(artifact_zip: Path) -> list[tuple[str, str]]:
    found = set()
    with zipfile.ZipFile(artifact_zip) as archive:
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                fields = dict(
                    line.split(": ", 1) for line in archive.read(name).decode(errors="replace").splitlines()
                    if line.startswith(("Name: ", "Version: "))
                )
                if "Name" in fields and "Version" in fields:
                    found.add((fields["Name"], fields["Version"]))
    return sorted(found)


def sbom_json(service: str, artifact_zip: Path, sha256: str) -> str:
    """The artifact's SBOM (CycloneDX 1.6 JSON): the service, its SHA-256 and every bundled package."""
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    # Same artifact, same serial number: the SBOM identifies the artifact, not the moment.
    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"artifact:sha256:{sha256}"))
    root = Component(name=service, version=sha256, type=ComponentType.APPLICATION, bom_ref=f"artifact-{sha256}",
                     hashes=[HashType(alg=HashAlgorithm.SHA_256, content=sha256)])
    bom.metadata.component = root
    libraries = [
        Component(name=name, version=version, type=ComponentType.LIBRARY, bom_ref=f"pypi-{name}-{version}",
                  purl=PackageURL(type="pypi", name=name.lower(), version=version))
        for name, version in _distributions(artifact_zip)
    ]
    for library in libraries:
        bom.components.add(library)
    bom.register_dependency(root, libraries)
    return str(JsonV1Dot6(bom).output_as_string(indent=2))


def sbom_key(artifact_key: str) -> str:
    """Where an artifact's SBOM lives: beside it, `<sha256>.cdx.json`."""
    return artifact_key.removesuffix(".zip") + ".cdx.json"
