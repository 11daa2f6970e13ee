"""Selecting what to deploy: changed paths between commits, run through the change rules.

With `--since` every service shares one base. Otherwise each service's base is the commit of
its last successful deploy to the environment, read from the ledger there.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pipeline.changes import git
from pipeline.changes.dependencies import build_graph
from pipeline.changes.rules import ChangeReport, GrantReview, affected_services, always_deploy, service_of
from pipeline.errors import GitError, ManifestError
from pipeline.paths import PROJECT_ROOT
from pipeline.policy.grants import grant_changes
from pipeline.project.manifest import Manifest, load_yaml, parse_manifest
from pipeline.project.services import MANIFEST_NAME, service_names
from pipeline.state.ledger import LedgerHead


def _manifest_at(commit: str, path: str, service: str, repo: Path) -> Manifest | None:
    """The manifest at `path` in `commit`; None where absent. Raises ManifestError if it is invalid."""
    text = git.file_at(commit, path, cwd=repo)
    if text is None:
        return None
    source = f"{path} at {commit[:12]}"
    return parse_manifest(load_yaml(text, source), source, service)


def grant_reviews(base: str, head: str, paths: list[str], repo: Path = PROJECT_ROOT,
                  only: list[str] | None = None) -> ChangeReport:
    """Manifests among `paths` whose grants differ from `base` to `head`, for ops review.

    Reads two versions of each changed manifest from git (no AWS). A version that does not parse
    is reviewed as a whole: ops are told to read the file.
    """
    reviews = []
    for path in paths:
        service = service_of(path)
        if service is None or path != f"services/{service}/{MANIFEST_NAME}" or (only is not None and service not in only):
            continue
        try:
            changes = grant_changes(_manifest_at(base, path, service, repo), _manifest_at(head, path, service, repo)).lines()
        except ManifestError as err:
            changes = [f"grants unreadable, review the whole file: {err.message}"]
        if changes:
            reviews.append(GrantReview(service, path, tuple(changes)))
    return ChangeReport(ops_review=tuple(review.path for review in reviews), grants=tuple(reviews))


def changes_between(base: str, head: str, repo: Path = PROJECT_ROOT, only: list[str] | None = None) -> ChangeReport:
    """What the commits from `base` to `head` affect (limited to `only` when given)."""
    paths = git.changed_paths(base, head, cwd=repo)
    if not paths:
        return ChangeReport()
    report = affected_services(paths, build_graph(paths, repo), only)
    return report.merged(grant_reviews(base, head, paths, repo, only))


def changes_since(since: str, repo: Path = PROJECT_ROOT) -> ChangeReport:
    """What changed from commit `since` to HEAD. Raises GitError for a ref that is not a commit."""
    if since.startswith("-"):
        git.resolve_commit(since, cwd=repo)  # never handed to `git diff`, which would read an option
    try:
        return changes_between(f"{since}^{{commit}}", "HEAD", repo)
    except GitError:
        git.resolve_commit(since, cwd=repo)  # names the bad ref; the diff's own error is vaguer
        git.resolve_commit("HEAD", cwd=repo, what="HEAD")
        raise


def changes_from_ledger(heads: dict[str, LedgerHead], environment: str, repo: Path = PROJECT_ROOT) -> ChangeReport:
    """What HEAD changes for each service relative to its last successful deploy in `environment`.

    A service never deployed there, deployed from uncommitted changes, or deployed from a commit
    this repository does not have is selected outright. Raises GitError without a HEAD commit.
    """
    head = git.resolve_commit("HEAD", cwd=repo, what="HEAD")
    present = service_names(repo / "services")
    outright: dict[str, str] = {}
    by_base: dict[str, list[str]] = {}
    for name in present:
        last = heads.get(name)
        if last is None:
            outright[name] = f"no successful deploy to {environment} yet"
        elif not last.from_commit:
            outright[name] = f"last deploy to {environment} was not from a commit (uncommitted changes)"
        else:
            by_base.setdefault(last.commit, []).append(name)
    report = always_deploy(outright)
    for base, names in by_base.items():
        if base == head:
            continue
        if not git.commit_exists(base, cwd=repo):
            gone = f"last deployed commit {base[:12]} is not in this repository"
            report = report.merged(always_deploy(dict.fromkeys(names, gone)))
            continue
        report = report.merged(changes_between(base, head, repo, names))
    # Deleted: what is deployed here (has a head) but gone from the repository. A deletion the
    # diffs show for a service never deployed here, or already removed (`remove`), is not news.
    deleted = ChangeReport(deleted=tuple(sorted(set(heads) - set(present))))
    return replace(report, deleted=()).merged(deleted)
