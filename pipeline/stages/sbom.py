"""A CycloneDX SBOM for each artifact, read from the zip itself, stored beside it.

The zip is the truth: every installed distribution leaves a `*.dist-info/METADATA` and a `RECORD`
of its files in it, and each shared lib is the folder of its name. A component's SHA-256 is over
its files as bundled (sorted names, each with the SHA-256 of its bytes), so anyone holding the
artifact can check it.
"""

from __future__ import annotations

import csv
import hashlib
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Bundled:
    """One component found in an artifact: a distribution (with a version) or a shared lib (without)."""

    name: str
    version: str | None
    sha256: str


def content_sha256(archive: zipfile.ZipFile, names: list[str]) -> str:
    """The SHA-256 over `names` in the zip: each sorted name, a NUL, the SHA-256 of its bytes."""
    digest = hashlib.sha256()
    for name in sorted(names):
        digest.update(name.encode() + b"\0" + hashlib.sha256(archive.read(name)).digest())
    return digest.hexdigest()


def _distributions(archive: zipfile.ZipFile) -> list[Bundled]:
    present = set(archive.namelist())
    found = []
    for name in sorted(present):
        parts = name.split("/")
        if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
            fields = dict(
                line.split(": ", 1) for line in archive.read(name).decode(errors="replace").splitlines()
                if line.startswith(("Name: ", "Version: "))
            )
            record = f"{parts[0]}/RECORD"
            rows = csv.reader(archive.read(record).decode().splitlines()) if record in present else [[name]]
            files = [row[0] for row in rows if row and row[0] in present]
            if "Name" in fields and "Version" in fields:
                found.append(Bundled(fields["Name"], fields["Version"], content_sha256(archive, files)))
    return found


def bundled_components(artifact_zip: Path, libs: tuple[str, ...]) -> list[Bundled]:
    """Every distribution and every shared lib (a folder of `libs`) bundled in the artifact, by name."""
    with zipfile.ZipFile(artifact_zip) as archive:
        names = archive.namelist()
        shared = [
            Bundled(lib, None, content_sha256(archive, [name for name in names if name.startswith(f"{lib}/")]))
            for lib in libs if any(name.startswith(f"{lib}/") for name in names)
        ]
        return sorted(_distributions(archive) + shared, key=lambda component: component.name.lower())


def sbom_json(service: str, artifact_zip: Path, sha256: str, libs: tuple[str, ...]) -> str:
    """The artifact's SBOM (CycloneDX 1.6 JSON): the service, its SHA-256, every bundled package and lib, hashed."""
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
    components = [
        Component(
            name=found.name, version=found.version, type=ComponentType.LIBRARY,
            bom_ref=f"pypi-{found.name}-{found.version}" if found.version else f"lib-{found.name}",
            purl=PackageURL(type="pypi", name=found.name.lower(), version=found.version) if found.version else None,
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=found.sha256)],
        )
        for found in bundled_components(artifact_zip, libs)
    ]
    for component in components:
        bom.components.add(component)
    bom.register_dependency(root, components)
    return str(JsonV1Dot6(bom).output_as_string(indent=2))


def sbom_key(artifact_key: str) -> str:
    """Where an artifact's SBOM lives: beside it, `<sha256>.cdx.json`."""
    return artifact_key.removesuffix(".zip") + ".cdx.json"
