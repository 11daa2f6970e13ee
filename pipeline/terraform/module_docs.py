"""Module READMEs' input and output tables, generated from variables.tf and outputs.tf.

The tables sit between two markers in each module's README.md; everything else there is written
by hand. `deploy.py modules docs` rewrites them; a test fails when one differs from the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import TerraformError
from pipeline.paths import PROJECT_ROOT

MODULES_DIR = PROJECT_ROOT / "modules"
BEGIN = "<!-- BEGIN_TF_DOCS: generated from variables.tf and outputs.tf by `make module-docs` -->"
END = "<!-- END_TF_DOCS -->"
_LONG_TYPE = 60  # longer types are abbreviated in the table; variables.tf has them whole


@dataclass(frozen=True)
class Input:
    name: str
    description: str
    type: str
    default: str | None  # None: required


@dataclass(frozen=True)
class Output:
    name: str
    description: str


def module_folders() -> list[Path]:
    """Every Terraform module under modules/ (a folder with variables.tf), examples excluded."""
    return sorted(path.parent for path in MODULES_DIR.glob("**/variables.tf") if "examples" not in path.parts)


def _unquote(text: str) -> str:
    # python-hcl2 keeps string literals with their quotes and escapes.
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


def _expression(text: str) -> str:
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_unquote(key)} = {_value(item)}" for key, item in value.items()) + "}"
    return _expression(str(value))


def _short_type(text: str) -> str:
    """The type as written, its object attributes elided when it is long: map(object({...}))."""
    if len(text) <= _LONG_TYPE:
        return text
    depth, kept = 0, []
    for char in text:
        if char == "}":
            depth -= 1
        if depth == 0:
            kept.append(char)
        if char == "{":
            depth += 1
            if depth == 1:
                kept.append("...")
    return "".join(kept)


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    import hcl2
    from lark.exceptions import LarkError

    try:
        parsed = hcl2.loads(path.read_text())
    except (LarkError, RuntimeError, UnicodeDecodeError) as err:
        raise TerraformError(f"{path.relative_to(PROJECT_ROOT)} does not parse: {err}", "fix its syntax") from None
    return [(_unquote(name), body) for block in parsed.get(kind, []) for name, body in block.items()]


def module_inputs(module: Path) -> list[Input]:
    """The module's variables in file order. Raises TerraformError when variables.tf does not parse."""
    return [
        Input(name, _unquote(body.get("description", "")), _expression(str(body.get("type", "any"))),
              _value(body["default"]) if "default" in body else None)
        for name, body in _blocks(module / "variables.tf", "variable")
    ]


def module_outputs(module: Path) -> list[Output]:
    """The module's outputs in file order. Raises TerraformError when outputs.tf does not parse."""
    outputs = module / "outputs.tf"
    if not outputs.is_file():
        return []
    return [Output(name, _unquote(body.get("description", ""))) for name, body in _blocks(outputs, "output")]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_tables(module: Path) -> str:
    """The README block for `module`: its markers, an inputs table and an outputs table."""
    lines = [BEGIN, "", "## Inputs", "", "| name | description | type | default |", "| --- | --- | --- | --- |"]
    for item in module_inputs(module):
        default = "required" if item.default is None else f"`{_cell(item.default)}`"
        lines.append(f"| `{item.name}` | {_cell(item.description)} | `{_cell(_short_type(item.type))}` | {default} |")
    lines += ["", "## Outputs", "", "| name | description |", "| --- | --- |"]
    lines += [f"| `{item.name}` | {_cell(item.description)} |" for item in module_outputs(module)]
    return "\n".join([*lines, "", END])


def readme_tables(readme_text: str) -> str | None:
    """The generated block of a README (markers included), or None when it has none."""
    match = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), readme_text, re.DOTALL)
    return match.group(0) if match else None


def update_readme(module: Path) -> bool:
    """Rewrite the module README's tables from its code (appended when it has none); True if it changed."""
    readme = module / "README.md"
    text = readme.read_text() if readme.is_file() else f"# {module.relative_to(MODULES_DIR).as_posix()}\n"
    current, wanted = readme_tables(text), render_tables(module)
    if current == wanted:
        return False
    updated = text.replace(current, wanted) if current else text.rstrip("\n") + "\n\n" + wanted + "\n"
    readme.write_text(updated)
    return True
