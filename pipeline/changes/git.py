"""The few git facts the pipeline needs, each a small typed function over the git CLI.

The git CLI rather than GitPython: importing GitPython alone costs ~130 ms, half of the
`changed` command's budget, and every fact here is one git command anyway.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pipeline.errors import GitError
from pipeline.paths import PROJECT_ROOT


def _git(*args: str, cwd: Path = PROJECT_ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def head_commit(cwd: Path = PROJECT_ROOT) -> str:
    """The checked-out commit, or "" in a repository with no commits (or no repository)."""
    try:
        return _git("rev-parse", "HEAD", cwd=cwd).strip()
    except (subprocess.CalledProcessError, OSError):
        return ""


def has_uncommitted_changes(path: Path, cwd: Path = PROJECT_ROOT) -> bool:
    """Whether anything under `path` differs from HEAD, untracked files included."""
    try:
        return bool(_git("status", "--porcelain", "--", str(path), cwd=cwd).strip())
    except (subprocess.CalledProcessError, OSError):
        return True


def resolve_commit(ref: str, cwd: Path = PROJECT_ROOT, what: str = "--since") -> str:
    """The full commit id `ref` names.

    Raises GitError naming `what` and `ref` when it is not a commit in this repository.
    """
    try:
        return _git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", cwd=cwd).strip()
    except (subprocess.CalledProcessError, OSError):
        raise GitError(
            f"{what} {ref!r} is not a commit in this repository",
            "pass a commit id, branch or tag that `git log` shows (e.g. HEAD~3, main)",
        ) from None


def commit_exists(commit: str, cwd: Path = PROJECT_ROOT) -> bool:
    """Whether `commit` is a commit this repository has (history rewritten elsewhere: False)."""
    try:
        _git("cat-file", "-e", f"{commit}^{{commit}}", cwd=cwd)
    except (subprocess.CalledProcessError, OSError):
        return False
    return True


def file_at(commit: str, path: str, cwd: Path = PROJECT_ROOT) -> str | None:
    """The text of `path` in `commit`, or None where the commit has no such file."""
    try:
        return _git("show", f"{commit}:{path}", cwd=cwd)
    except subprocess.CalledProcessError:
        return None


def changed_paths(old: str, new: str, cwd: Path = PROJECT_ROOT) -> list[str]:
    """Paths that differ between commits `old` and `new`, renames as delete plus add.

    Raises GitError when git cannot compare them.
    """
    try:
        output = _git("diff", "--name-only", "-z", "--no-renames", old, new, "--", cwd=cwd)
    except subprocess.CalledProcessError as err:
        raise GitError(f"git diff {old[:12]} {new[:12]} failed: {err.stderr.strip()}", "check both commits exist") from None
    return [path for path in output.split("\0") if path]


def grep_words(words: list[str], pathspecs: list[str], cwd: Path = PROJECT_ROOT) -> list[tuple[str, str]]:
    """(path, line) for every line of tracked files under `pathspecs` holding any of `words` as a word.

    One fixed-string `git grep` over the checkout (regular expressions there cost several times
    more on a big tree; callers filter the lines); outside a git repository, every file under
    `cwd` is searched instead. Raises GitError when git cannot search it.
    """
    arguments = [item for word in words for item in ("-e", word)]
    command = ["git", "grep", "-I", "-F", "-w", "--null", *arguments, "--", *pathspecs]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode > 1 and "not a git repository" in result.stderr:
        # A copy of the project without its .git (an export, a test's copy): search the files as they are.
        result = subprocess.run([*command[:2], "--no-index", *command[2:]], cwd=cwd, capture_output=True, text=True)
    if result.returncode > 1:  # 1: nothing matched
        raise GitError(f"git grep failed: {result.stderr.strip()}", "run it inside the repository")
    found = []
    for line in result.stdout.splitlines():
        path, _, text = line.partition("\0")
        found.append((path, text))
    return found
