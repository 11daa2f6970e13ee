"""CODEOWNERS: ops own IAM, each service's team owns its folder, platform owns the rest."""

from __future__ import annotations

from pipeline.paths import PROJECT_ROOT
from pipeline.project.services import service_names

OPS = "@monorepo-org/ops"


def rules() -> dict[str, list[str]]:
    lines = (PROJECT_ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
    return {line.split()[0]: line.split()[1:] for line in lines if line.strip() and not line.startswith("#")}


def owners_of(path: str) -> list[str]:
    """The owners GitHub requests for a repository path: the last matching line wins."""
    found: list[str] = []
    for pattern, owners in rules().items():
        anchored = pattern.lstrip("/")
        if pattern == "*" or (anchored.endswith("/") and path.startswith(anchored)) or path == anchored:
            found = owners
    return found


def test_every_service_has_its_own_team() -> None:
    owners = rules()
    for name in service_names():
        assert owners.get(f"/services/{name}/") == [f"@monorepo-org/{name}"], f"add /services/{name}/ to CODEOWNERS"


def test_ops_own_iam_and_platform_owns_the_rest() -> None:
    owners = rules()
    assert owners["/modules/iam/"] == [OPS] and owners["/ops/"] == [OPS]
    assert owners["*"] == ["@monorepo-org/platform"]
    assert list(owners).index("*") == 0, "the catch-all must come first: the last matching line wins"


def test_ops_alone_own_their_controls_in_the_orchestrator() -> None:
    controls = sorted((PROJECT_ROOT / "pipeline" / "policy").rglob("*.py")) + [
        PROJECT_ROOT / "pipeline" / "flows" / "iam_review.py"]
    for path in controls:
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        assert owners_of(relative) == [OPS], f"{relative} must be owned by ops alone in CODEOWNERS"
    assert owners_of("pipeline/flows/execution.py") == ["@monorepo-org/platform"]
