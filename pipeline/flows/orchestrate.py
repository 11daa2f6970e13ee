"""Many services' pipelines at once: what changed in an environment, and deploying in parallel."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.aws import Target, as_pipeline_error, connect
from pipeline.changes import git
from pipeline.changes.rules import ChangeReport
from pipeline.changes.selection import changes_from_ledger
from pipeline.errors import GitError, PipelineError
from pipeline.project.environments import get_environment
from pipeline.project.services import SERVICES_DIR, load_service
from pipeline.state.ledger import Ledger, LedgerEntry

if TYPE_CHECKING:  # the stages load Terraform and packaging code; a no-op --changed never needs them
    from pipeline.flows.execution import Reporter


@dataclass(frozen=True)
class PipelineResult:
    """How one service's pipeline ended: its execution, or the error that stopped it."""

    service: str
    execution: LedgerEntry | None = None
    error: str = ""
    hint: str = ""

    @property
    def succeeded(self) -> bool:
        return self.execution is not None


def environment_target(environment_name: str) -> Target:
    """The environment made reachable (starting the local emulator if needed)."""
    return connect(get_environment(environment_name))


def changed_in_environment(environment_name: str) -> ChangeReport:
    """What HEAD would deploy to the environment, each service against its last successful deploy.

    Raises EnvironmentNotFound, EmulatorError, or GitError outside a git repository.
    """
    return changes_from_ledger(Ledger(environment_target(environment_name)).heads(), environment_name)


def require_committed(services: Sequence[str]) -> None:
    """`--changed` deploys commits only. Raises GitError naming services with uncommitted changes."""
    dirty = [name for name in services if git.has_uncommitted_changes(SERVICES_DIR / name)]
    if dirty:
        raise GitError(
            f"uncommitted changes in {', '.join(dirty)}: --changed deploys commits only",
            "commit (or stash) them, or deploy them explicitly with --service",
        )


def _one(name: str, environment_name: str, reporter: Reporter, lock_timeout_s: float | None) -> PipelineResult:
    from pipeline.flows.execution import deploy_service
    from pipeline.state.locks import LOCK_TIMEOUT_S

    timeout_s = LOCK_TIMEOUT_S if lock_timeout_s is None else lock_timeout_s
    try:
        return PipelineResult(name, execution=deploy_service(name, environment_name, reporter, timeout_s))
    except PipelineError as err:
        return PipelineResult(name, error=err.message, hint=err.hint)
    except Exception as err:
        environment_state = as_pipeline_error(err)  # e.g. credentials that expired mid-deploy
        if environment_state is None:
            raise
        return PipelineResult(name, error=environment_state.message, hint=environment_state.hint)


def deploy_services(
    names: Sequence[str], environment_name: str, reporter: Reporter, jobs: int, lock_timeout_s: float | None = None
) -> list[PipelineResult]:
    """Run each service's pipeline, up to `jobs` at a time; one failing does not stop the others.

    A pipeline waits up to `lock_timeout_s` (default: the pipeline's 15 minutes) for another
    deploy of its service. Returns one result per service, in the order given. Raises
    EnvironmentNotFound, ServiceNotFound or ManifestError before any pipeline starts; bugs propagate.
    """
    get_environment(environment_name)
    for name in names:
        load_service(name)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda name: _one(name, environment_name, reporter, lock_timeout_s), names))
