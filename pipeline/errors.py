"""Errors a user can act on. The CLI prints `message` and `hint`; anything else is a bug."""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every user-facing error: one line of what went wrong, one line of what to do."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint


class ServiceNotFound(PipelineError):
    """A service name that has no folder under services/."""


class ManifestError(PipelineError):
    """A service manifest that cannot be read or breaks the schema."""


class EnvironmentNotFound(PipelineError):
    """An --env value that environments.toml does not define."""


class ToolchainError(PipelineError):
    """Terraform or its provider is missing, too old or not installable."""


class EmulatorError(PipelineError):
    """The local AWS emulator could not be started or reached."""


class TerraformError(PipelineError):
    """A terraform command failed; the message carries its own diagnostics."""


class StageFailed(PipelineError):
    """A pipeline stage (test, package, deploy, verify) did not pass."""


class BootstrapMissing(PipelineError):
    """Ops-owned foundations (state and artifact buckets, roles) are not in place."""


class PolicyViolation(PipelineError):
    """A service root or plan that reaches outside what developers may deploy (IAM, commands, state)."""


class Interrupted(PipelineError):
    """SIGINT or SIGTERM stopped the pipeline; Terraform, if running, was stopped cleanly first."""

    def __init__(self, signal_number: int, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.signal_number = signal_number


class StateNotSaved(PipelineError):
    """Terraform applied changes but could not store the state; it is kept locally until pushed."""


class StalePlan(PipelineError):
    """A saved plan was applied after its state changed (or was applied already)."""


class PartialApply(PipelineError):
    """An apply failed midway: some planned changes were made, others were not."""


class GitError(PipelineError):
    """A git reference that does not name a commit, or a repository git cannot read."""


class DeployLocked(PipelineError):
    """Another deploy of the same service holds its lock in the environment."""


class PromotionRefused(PipelineError):
    """A promotion whose source environment has no passing execution to promote, or differs from it."""


class RollbackImpossible(PipelineError):
    """A rollback with no earlier recorded version to move `live` back to."""


class InvocationError(PipelineError):
    """A function could not be invoked: not deployed, or its event file is unreadable."""


class GatewayError(PipelineError):
    """The local API gateway (`deploy.py serve`) could not start."""


class ScaffoldError(PipelineError):
    """A new service cannot be created: a bad name, or the folder already exists."""


class IdentityError(PipelineError):
    """An identity the pipeline acts as (e.g. a service's deployer role) cannot be assumed."""


class IamPlanError(PipelineError):
    """The saved ops/iam plan is missing or was made from inputs that have changed since."""


class DriftDetected(PipelineError):
    """Deployed resources were changed outside Terraform."""


class PreflightFailed(PipelineError):
    """The environment is not safe to deploy to: unreachable, unversioned state, or locking off."""


class DependencyLockError(PipelineError):
    """A requirements file that is not a complete, hashed lock, or a lock its `.in` list has moved past."""


class InvalidSetting(PipelineError):
    """An environment variable the pipeline reads (DEPLOY_*) holds a value it cannot use."""
