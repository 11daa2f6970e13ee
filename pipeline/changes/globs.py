"""Path globs in CodePipeline's dialect, so trigger filters and change detection read alike.

`**` spans any number of folders (`a/**` is everything below `a`, `**/x` is `x` in any folder);
`*` and `?` stay within one path segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_TOKENS = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}


@lru_cache(maxsize=512)
def _compiled(glob: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*/?|\*|\?)", glob)
    return re.compile("".join(_TOKENS.get(part, re.escape(part)) for part in parts) + r"\Z")


def matches(path: str, globs: Iterable[str]) -> bool:
    """Whether the repository-relative POSIX `path` matches any of `globs`."""
    return any(_compiled(glob).match(path) for glob in globs)
