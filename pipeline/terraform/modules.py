"""Which local Terraform modules a root uses: a light module, read on the `changed` fast path."""

from __future__ import annotations

import re
from pathlib import Path

LOCAL_MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]+)"', re.MULTILINE)


def module_sources(folder: Path) -> list[Path]:
    """Local module folders the Terraform files directly in `folder` call, resolved, sorted."""
    return sorted({
        (folder / source).resolve()
        for tf_file in folder.glob("*.tf")
        for source in LOCAL_MODULE_SOURCE.findall(tf_file.read_text())
    })


def module_dirs(root: Path) -> list[Path]:
    """Local module folders the root uses, followed transitively, sorted."""
    seen: set[Path] = set()
    pending = [root.resolve()]
    while pending:
        for module in module_sources(pending.pop()):
            if module not in seen:
                seen.add(module)
                pending.append(module)
    return sorted(seen)
