"""Static security scan of every Terraform folder with checkov, offline, failing on any finding.

checkov lives in a virtualenv of its own (`.local/tools/checkov`, made by `make scan`/`make test`)
because its pinned dependencies conflict with the orchestrator's boto3.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import PolicyViolation, ToolchainError
from pipeline.paths import PROJECT_ROOT

CHECKOV_VENV = PROJECT_ROOT / ".local" / "tools" / "checkov"
CUSTOM_CHECKS = PROJECT_ROOT / "policy" / "checkov"


@dataclass(frozen=True)
class ScanFinding:
    check_id: str
    check_name: str
    file: str  # relative to the project
    line: int
    resource: str

    def describe(self) -> str:
        return f"{self.file}:{self.line}: {self.resource}: {self.check_id} {self.check_name}"


@dataclass(frozen=True)
class ScanReport:
    passed: frozenset[str]  # check ids that ran and passed somewhere
    skipped: tuple[ScanFinding, ...]  # suppressed inline with a reason
    failed: tuple[ScanFinding, ...]


def scan_files() -> list[Path]:
    """What `make test` scans: every .tf file of the modules, the ops roots and the service roots.

    File by file, on purpose: given folders, checkov 3.3 judges a module only through its callers
    (dropping checks whose inputs come from service.yaml) and garbles several folders in one run.
    """
    patterns = ("modules/**/*.tf", "ops/**/*.tf", "services/*/infra/**/*.tf")
    return sorted({path for pattern in patterns for path in PROJECT_ROOT.glob(pattern) if ".terraform" not in path.parts})


def checkov_binary() -> str:
    """The pinned checkov from its own venv, else one on PATH. Raises ToolchainError if none."""
    pinned = CHECKOV_VENV / "bin" / "checkov"
    found = str(pinned) if pinned.is_file() else shutil.which("checkov")
    if not found:
        raise ToolchainError("checkov is not installed", "run `make scan` (it installs requirements/checkov.txt)")
    return found


def _reports(stdout: str) -> list[dict[str, Any]]:
    # checkov prints one JSON document per scanned folder group, back to back.
    decoder, index, reports = json.JSONDecoder(), 0, []
    while index < len(stdout):
        if stdout[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(stdout, index)
        reports += document if isinstance(document, list) else [document]
    return reports


def _findings(report: dict[str, Any], kind: str) -> list[ScanFinding]:
    return [
        ScanFinding(item["check_id"], item["check_name"], item["repo_file_path"].lstrip("/"),
                    int(item["file_line_range"][0]), item["resource"])
        for item in report.get("results", {}).get(kind, [])
    ]


def _position(finding: ScanFinding) -> tuple[str, int, str]:
    return finding.file, finding.line, finding.check_id


def run_scan(files: list[Path]) -> ScanReport:
    """Run checkov over `files` with this project's custom checks.

    Raises ToolchainError when checkov is missing or cannot run.
    """
    command = [checkov_binary(), "--framework", "terraform", "--skip-download", "--output", "json",
               "--external-checks-dir", str(CUSTOM_CHECKS)]
    for tf_file in files:
        command += ["--file", str(tf_file)]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise ToolchainError(f"checkov did not run: {(result.stderr or result.stdout).strip()[-400:]}",
                             "reinstall it with `make scan`")
    reports = _reports(result.stdout)
    passed = {finding.check_id for report in reports for finding in _findings(report, "passed_checks")}
    failed = {finding for report in reports for finding in _findings(report, "failed_checks")}
    skipped = {finding for report in reports for finding in _findings(report, "skipped_checks")}
    return ScanReport(frozenset(passed), tuple(sorted(skipped, key=_position)), tuple(sorted(failed, key=_position)))


def scan_project() -> ScanReport:
    """Scan modules/, ops/ and every service root; raises PolicyViolation listing any finding."""
    report = run_scan(scan_files())
    if report.failed:
        listed = "\n".join(f"  {finding.describe()}" for finding in report.failed)
        raise PolicyViolation(
            f"checkov found {len(report.failed)} problem(s):\n{listed}",
            "fix them, or suppress one inline with `#checkov:skip=<ID>:<the reason it does not apply>`",
        )
    return report
