"""A small typed runner for the terraform CLI: init, plan to a file, apply that file, read JSON."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from pipeline.errors import Interrupted, StalePlan, StateNotSaved, TerraformError
from pipeline.terraform.modules import module_dirs
from pipeline.terraform.toolchain import Toolchain

_DIAGNOSTIC_LINES = 40
_FORWARDED = (signal.SIGINT, signal.SIGTERM)
ERRORED_STATE = "errored.tfstate"  # what Terraform writes to its working dir when it cannot save state
LOCK_FILE = ".terraform.lock.hcl"
INIT_RECORD = "init.sha256"  # in the data dir: the inputs of its last successful init


# Terraform processes running now (any thread) and the stop signals this process received.
_running: set[subprocess.Popen[str]] = set()
_stop_signals: list[int] = []


def stop_signal() -> int | None:
    """The first SIGINT/SIGTERM this process received, if any (no new Terraform run starts after it)."""
    return _stop_signals[0] if _stop_signals else None


def _on_stop_signal(signal_number: int, frame: FrameType | None) -> None:
    running = tuple(_running)
    first = not _stop_signals
    _stop_signals.append(signal_number)
    if running:
        # Terraform stops gracefully on one interrupt (in-flight calls finish, state is saved, the
        # lock released) but exits at once on a second, so it gets exactly one.
        for process in running if first else ():
            process.send_signal(signal.SIGINT)
        return
    raise KeyboardInterrupt


def install_stop_handler() -> None:
    """Route SIGINT and SIGTERM through Terraform's graceful stop; call once, from the main thread."""
    for number in _FORWARDED:
        signal.signal(number, _on_stop_signal)


@dataclass(frozen=True)
class PlanResult:
    path: Path
    has_changes: bool


class Terraform:
    """Runs terraform for one root, with its own data dir and environment."""

    def __init__(self, toolchain: Toolchain, root: Path, data_dir: Path, env: Mapping[str, str]) -> None:
        self.toolchain = toolchain
        self.root = root
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self._env = {
            **os.environ,
            **env,
            "TF_CLI_CONFIG_FILE": str(toolchain.cli_config),
            "TF_DATA_DIR": str(data_dir),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }

    def run(self, args: Sequence[str], ok_codes: Sequence[int] = (0,)) -> subprocess.CompletedProcess[str]:
        """Run `terraform <args>` in the root. Raises TerraformError with the diagnostics on failure."""
        command = [self.toolchain.binary, *args]
        if stop_signal() is not None:
            raise self._interrupted(args[0], "before it started")
        # A session of its own: a terminal's Ctrl-C reaches only us, and we pass on exactly one.
        process = subprocess.Popen(command, cwd=self.root, env=self._env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        _running.add(process)
        try:
            stdout, stderr = process.communicate()
        except KeyboardInterrupt:
            # Ctrl-C without the stop handler installed: still stop Terraform gracefully first.
            _stop_signals.append(signal.SIGINT)
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate()
        finally:
            _running.discard(process)
        result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
        if stop_signal() is not None:
            raise self._interrupted(args[0], "Terraform stopped cleanly, saved its state and released its lock")
        if result.returncode not in ok_codes:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-_DIAGNOSTIC_LINES:])
            raise TerraformError(
                f"terraform {args[0]} failed in {self._relative_root()}:\n{tail}",
                "fix the error above and run the same command again",
            )
        return result

    def _interrupted(self, verb: str, what_happened: str) -> Interrupted:
        number = stop_signal() or signal.SIGINT
        return Interrupted(
            number,
            f"interrupted by {signal.Signals(number).name} during terraform {verb} in {self._relative_root()}; {what_happened}",
            "run the same command again: it plans from the saved state and converges",
        )

    def _relative_root(self) -> str:
        try:
            return str(self.root.relative_to(Path.cwd()))
        except ValueError:
            return str(self.root)

    @property
    def errored_state(self) -> Path:
        """Where a state Terraform could not save is kept until it is pushed."""
        return self.data_dir / ERRORED_STATE

    def push_command(self) -> str:
        """The exact command that stores the kept state in the backend."""
        return (f"TF_DATA_DIR={self.data_dir} {self.toolchain.binary} -chdir={self.root} "
                f"state push {self.errored_state}")

    def _refuse_when_state_unsaved(self) -> None:
        if self.errored_state.exists():
            raise StateNotSaved(
                f"{self._relative_root()}: an earlier apply could not save its state; it is kept in "
                f"{self.errored_state}, and no apply may run until it is pushed",
                f"push it with the environment's credentials: {self.push_command()} "
                f"(for a service: `python deploy.py state push --service <name> --env <env>`), then delete it",
            )

    def init(self, backend_config: Mapping[str, str]) -> bool:
        """Initialise providers, modules and the backend; never rewrites the committed lock file.

        Skipped (returns False) when the data dir was initialised from the same inputs: its
        backend, lock file, Terraform files and toolchain; any change to them runs init again.
        Raises StateNotSaved while a state an earlier apply could not save is waiting to be pushed.
        """
        self._refuse_when_state_unsaved()
        record = self.data_dir / INIT_RECORD
        fingerprint = self._init_fingerprint(backend_config)
        if record.is_file() and record.read_text() == fingerprint and self._still_initialised():
            return False
        record.unlink(missing_ok=True)
        args = ["init", "-no-color", "-input=false", "-lockfile=readonly", "-reconfigure"]
        args += [f"-backend-config={key}={value}" for key, value in backend_config.items()]
        self.run(args)
        record.write_text(fingerprint)
        return True

    def _init_fingerprint(self, backend_config: Mapping[str, str]) -> str:
        """A digest of everything `terraform init` reads: a local module's own files included,
        since a module call it adds needs installing too."""
        digest = hashlib.sha256(json.dumps(
            {"terraform": [self.toolchain.binary, self.toolchain.version], "backend": dict(backend_config)},
            sort_keys=True,
        ).encode())
        digest.update(self.toolchain.cli_config.read_bytes())
        lock_file = self.root / LOCK_FILE
        files = [lock_file] if lock_file.is_file() else []
        for folder in [self.root.resolve(), *module_dirs(self.root)]:
            files += sorted(path for path in folder.iterdir() if path.suffix in (".tf", ".json") and path.is_file())
        for path in files:
            digest.update(str(path.resolve()).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def _still_initialised(self) -> bool:
        """Whether what init left in the data dir is still there: a wiped plugin cache leaves dangling links."""
        packages = list((self.data_dir / "providers").glob("*/*/*/*/*"))
        return (self.data_dir / "terraform.tfstate").is_file() and all(package.exists() for package in packages)

    def plan(self, plan_file: Path, var_file: Path | None = None, destroy: bool = False) -> PlanResult:
        """Write a saved plan (of destroying everything, with `destroy`); `has_changes` says whether applying it would change anything."""
        args = ["plan", "-no-color", "-input=false", "-detailed-exitcode", f"-out={plan_file}", *(["-destroy"] if destroy else [])]
        if var_file is not None:
            args.append(f"-var-file={var_file}")
        result = self.run(args, ok_codes=(0, 2))
        return PlanResult(path=plan_file, has_changes=result.returncode == 2)

    def apply(self, plan_file: Path) -> None:
        """Apply exactly the saved plan.

        Raises StalePlan if the state changed since the plan was made (or it was applied already),
        StateNotSaved if the changes were made but the state could not be stored, else TerraformError.
        """
        self._refuse_when_state_unsaved()
        try:
            self.run(["apply", "-no-color", "-input=false", str(plan_file)])
        except TerraformError as err:
            written = self.root / ERRORED_STATE
            if written.exists():
                written.replace(self.errored_state)
                raise StateNotSaved(
                    f"terraform applied changes in {self._relative_root()} but could not save the state; "
                    f"it is kept in {self.errored_state}",
                    f"once the backend answers again, push it: {self.push_command()}; "
                    "further applies are refused until then",
                ) from err
            if "Saved plan is stale" in err.message:
                raise StalePlan(
                    f"the saved plan {plan_file.name} for {self._relative_root()} no longer matches the state: "
                    "it was applied already, or the state changed since it was made",
                    "make a fresh plan (run the deploy again) and review that one",
                ) from err
            raise

    def state_addresses(self) -> set[str]:
        """Addresses of every resource in the current state."""
        return set(self.run(["state", "list"]).stdout.split())

    def push_errored_state(self) -> None:
        """Store the state an earlier apply could not save, then forget the local copy."""
        self.run(["state", "push", str(self.errored_state)])
        self.errored_state.unlink()

    def show_json(self, plan_file: Path) -> dict[str, Any]:
        """The saved plan as Terraform's JSON plan representation."""
        plan: dict[str, Any] = json.loads(self.run(["show", "-json", str(plan_file)]).stdout)
        return plan

    def outputs(self) -> dict[str, Any]:
        """The root's outputs as plain values."""
        raw = json.loads(self.run(["output", "-json"]).stdout)
        return {name: item["value"] for name, item in raw.items()}
