"""The static guard: a service's Terraform must not reach IAM, run commands or move its state.

Runs before `terraform init`, over the service root and every local module it calls
(transitively), using a real HCL parser so findings carry file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PolicyViolation
from pipeline.paths import PROJECT_ROOT

OPS_FLOW_HINT = (
    "services get their roles from ops: declare what each function touches in service.yaml "
    "(`permissions`) and ask ops to run `make iam-plan` / `make iam-apply`"
)
IAM_MODULES = PROJECT_ROOT / "modules" / "iam"
_POLICY_ATTRIBUTES = {"policy", "assume_role_policy", "inline_policy", "policy_document"}
_FORBIDDEN_PROVISIONERS = {"local-exec", "remote-exec"}
# A registry module pinned to one exact release: "1.2.3" or "= 1.2.3", never a range.
_EXACT_VERSION = re.compile(r"^=?\s*v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
_REGISTRY_SOURCE = re.compile(r"^([a-z0-9.-]+\.[a-z]+/)?[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+(//.*)?$")
_GIT_REF = re.compile(r"[?&]ref=([0-9A-Za-z._/-]+)")


@dataclass(frozen=True)
class Finding:
    """One refused construct: where it is, what it is and why it is refused."""

    file: Path
    line: int
    subject: str  # e.g. resource "aws_iam_role" "x"
    reason: str

    def describe(self) -> str:
        return f"{_display(self.file)}:{self.line}: {self.subject}: {self.reason}"


@dataclass(frozen=True)
class _Block:
    labels: tuple[str, ...]
    line: int
    attributes: dict[str, tuple[str, int]]  # name -> (expression source, line)
    blocks: tuple[_Block, ...]

    @property
    def subject(self) -> str:
        return " ".join([self.labels[0], *(f'"{label}"' for label in self.labels[1:])])


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def _line(rule: object) -> int:
    # python-hcl2 keeps lark's position metadata on each rule as `_meta`.
    meta = getattr(rule, "_meta", None)
    return int(getattr(meta, "line", 0) or 0)


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _parse_body(body: object) -> tuple[dict[str, tuple[str, int]], tuple[_Block, ...]]:
    from hcl2.rules.base import AttributeRule, BlockRule

    attributes: dict[str, tuple[str, int]] = {}
    blocks: list[_Block] = []
    for child in getattr(body, "children", []):
        if isinstance(child, AttributeRule):
            attributes[str(child.identifier.serialize())] = (str(child.expression.serialize()), _line(child))
        elif isinstance(child, BlockRule):
            inner_attributes, inner_blocks = _parse_body(child.body)
            labels = tuple(_unquote(str(label.serialize())) for label in child.labels)
            blocks.append(_Block(labels, _line(child), inner_attributes, inner_blocks))
    return attributes, tuple(blocks)


def parse_file(path: Path) -> tuple[_Block, ...]:
    """The top-level blocks of one .tf file. Raises PolicyViolation if it is not valid HCL."""
    import hcl2
    from lark.exceptions import LarkError

    try:
        tree = hcl2.parses(path.read_text())
    except (LarkError, RuntimeError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise PolicyViolation(
            f"{_display(path)}: not valid HCL, so it cannot be checked: {first}",
            "fix the syntax (`terraform fmt` points at it) and run again",
        ) from err
    return _parse_body(tree.body)[1]


def _walk(blocks: tuple[_Block, ...]) -> Iterator[_Block]:
    for block in blocks:
        yield block
        yield from _walk(block.blocks)


def _module_source_finding(path: Path, block: _Block) -> Finding | None:
    """Refuse remote module sources that are not pinned to one exact version or ref."""
    source, line = block.attributes["source"]
    source = _unquote(source)
    if source.startswith(("./", "../")):
        return None
    if source.startswith("git::") or source.startswith(("github.com/", "bitbucket.org/")):
        if _GIT_REF.search(source):
            return None
        return Finding(path, line, block.subject, f'git source "{source}" is not pinned: add ?ref=<tag or commit>')
    if _REGISTRY_SOURCE.match(source):
        version = _unquote(block.attributes.get("version", ("", 0))[0])
        if _EXACT_VERSION.match(version):
            return None
        return Finding(path, line, block.subject,
                       f'registry module "{source}" must pin one exact version (version = "x.y.z"), got "{version}"')
    return Finding(path, line, block.subject,
                   f'module source "{source}" is neither a local path nor a pinned registry or git source')


def _block_findings(path: Path, block: _Block, is_root: bool) -> Iterator[Finding]:
    kind = block.labels[0]
    resource_type = block.labels[1] if len(block.labels) > 1 else ""
    if kind == "resource" and resource_type.startswith("aws_iam_"):
        yield Finding(path, block.line, block.subject, "declares IAM; roles and policies belong to ops")
    if kind == "data" and resource_type == "aws_iam_policy_document":
        yield Finding(path, block.line, block.subject, "inlines an IAM policy document")
    if kind == "data" and resource_type == "external":
        yield Finding(path, block.line, block.subject, "runs an external program during plan")
    if kind == "provisioner" and resource_type in _FORBIDDEN_PROVISIONERS:
        yield Finding(path, block.line, block.subject, "runs commands on the deploying machine or a host")
    if kind == "inline_policy":
        yield Finding(path, block.line, block.subject, "inlines an IAM policy")
    if kind == "cloud" or (kind == "backend" and (not is_root or resource_type != "s3" or block.attributes or block.blocks)):
        yield Finding(path, block.line, block.subject,
                      'overrides the backend: a service root has exactly `backend "s3" {}`, filled in by the pipeline')
    for name, (expression, line) in block.attributes.items():
        if name in _POLICY_ATTRIBUTES:
            yield Finding(path, line, f"{block.subject} {name}", "inlines an IAM policy")
        elif "jsonencode(" in expression and "Statement" in expression:
            yield Finding(path, line, f"{block.subject} {name}", "inlines an IAM policy (jsonencode of a policy document)")
    if kind == "module" and "source" in block.attributes:
        finding = _module_source_finding(path, block)
        if finding is not None:
            yield finding


def _local_module_calls(folder: Path, blocks: tuple[_Block, ...]) -> Iterator[tuple[Path, int, str]]:
    for block in blocks:
        if block.labels[0] == "module" and "source" in block.attributes:
            source, line = block.attributes["source"]
            source = _unquote(source)
            if source.startswith(("./", "../")):
                yield (folder / source).resolve(), line, block.subject


def _folder_findings(folder: Path, is_root: bool) -> tuple[list[Finding], list[tuple[Path, int, str, Path]]]:
    findings: list[Finding] = []
    calls: list[tuple[Path, int, str, Path]] = []
    for path in sorted(folder.iterdir()):
        if path.name.endswith(".tf.json"):
            findings.append(Finding(path, 1, path.name, "JSON Terraform is not allowed here: write .tf files"))
        if not path.name.endswith(".tf"):
            continue
        if path.name == "override.tf" or path.name.endswith("_override.tf"):
            findings.append(Finding(path, 1, path.name, "override files can replace the backend and any setting"))
        blocks = parse_file(path)
        findings += [finding for block in _walk(blocks) for finding in _block_findings(path, block, is_root)]
        calls += [(module, line, subject, path) for module, line, subject in _local_module_calls(folder, blocks)]
    return findings, calls


def check_root(root: Path) -> list[Finding]:
    """Every refused construct in `root` and the local modules it calls, transitively.

    Raises PolicyViolation only for files that are not valid HCL.
    """
    findings: list[Finding] = []
    seen: set[Path] = set()
    pending: list[tuple[Path, bool]] = [(root.resolve(), True)]
    while pending:
        folder, is_root = pending.pop()
        if folder in seen:
            continue
        seen.add(folder)
        found, calls = _folder_findings(folder, is_root)
        findings += found
        for module, line, subject, path in calls:
            if module == IAM_MODULES or IAM_MODULES in module.parents:
                findings.append(Finding(path, line, subject, "uses modules/iam, which only ops roots may call"))
            elif not module.is_dir():
                findings.append(Finding(path, line, subject, f"calls a module folder that does not exist: {_display(module)}"))
            else:
                pending.append((module, False))
    return sorted(findings, key=lambda finding: (_display(finding.file), finding.line, finding.subject))


def guard_root(root: Path) -> None:
    """Refuse a service root that declares IAM, runs commands, or escapes the pipeline's backend.

    Raises PolicyViolation naming every finding (file:line, resource, reason) and the ops flow.
    """
    if not root.is_dir():
        return
    findings = check_root(root)
    if findings:
        listed = "\n".join(f"  {finding.describe()}" for finding in findings)
        raise PolicyViolation(
            f"{_display(root)} is refused before terraform init ({len(findings)} finding"
            f"{'s' if len(findings) != 1 else ''}):\n{listed}",
            OPS_FLOW_HINT,
        )
