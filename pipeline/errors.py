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
