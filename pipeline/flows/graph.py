"""The system as a graph: services, the modules, libs and tables they use, and who calls whom.

Built from the manifests (`tables`, `libs`, each function's `invokes` and `calls_apis`) and the
change detector's own dependency graph (every module a service's infra root reaches, every lib
it declares or imports), so the picture shows exactly what `changed` reasons over. Rendered as
Mermaid, DOT, or SVG through Graphviz's `dot`.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.changes.dependencies import full_graph
from pipeline.changes.rules import ChangeReport
from pipeline.errors import PipelineError
from pipeline.paths import PROJECT_ROOT
from pipeline.project.services import load_service, service_names

CALLS_API = "calls API"
INVOKES = "invokes"


class GraphError(PipelineError):
    """The graph cannot be drawn (Graphviz's dot program is missing)."""


@dataclass(frozen=True)
class Node:
    id: str  # safe in Mermaid and DOT: letters, digits, underscores
    kind: str  # service | module | lib | table
    label: str


@dataclass(frozen=True)
class Edge:
    source: str  # node id
    target: str
    label: str  # e.g. "calls API", "invokes verify_token", "uses", "owns"


@dataclass(frozen=True)
class SystemGraph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    changed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # service node id -> why it is selected


def node_id(kind: str, name: str) -> str:
    return f"{kind}_{re.sub(r'[^A-Za-z0-9]', '_', name)}"


def system_graph(repo: Path = PROJECT_ROOT) -> SystemGraph:
    """Every service under `repo` with what it uses and calls. Raises ManifestError, GitError."""
    dependencies = full_graph(repo).services
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, str], set[str]] = {}

    def add(kind: str, name: str, label: str | None = None) -> str:
        identifier = node_id(kind, name)
        nodes.setdefault(identifier, Node(identifier, kind, label or name))
        return identifier

    def link(source: str, target: str, label: str) -> None:
        edges.setdefault((source, target), set()).add(label)

    for name in service_names(repo / "services"):
        manifest = load_service(name, repo / "services").manifest
        service = add("service", name)
        used = dependencies.get(name)
        for module, via in sorted((used.modules if used else {}).items()):
            link(add("module", via[-1]) if via else service, add("module", module), "uses")
        for lib in sorted({*manifest.libs, *(used.lib_imports if used else {})}):
            link(service, add("lib", lib), "uses")
        for table in sorted(manifest.tables):
            link(service, add("table", f"{name}.{table}", f"{name}.{table}"), "owns")
        for function in manifest.functions.values():
            for api in function.calls_apis:
                link(service, add("service", api), CALLS_API)
            for invoked in function.invokes:
                other, _, other_function = invoked.partition(".")
                link(service, add("service", other), f"{INVOKES} {other_function}")
    return SystemGraph(
        nodes=tuple(sorted(nodes.values(), key=lambda n: (n.kind != "service", n.kind, n.id))),
        edges=tuple(Edge(s, t, ", ".join(sorted(labels))) for (s, t), labels in sorted(edges.items())),
    )


def with_changes(graph: SystemGraph, report: ChangeReport) -> SystemGraph:
    """The graph with the services a change report selects marked, and the reasons why."""
    return replace(graph, changed={node_id("service", a.service): a.reasons for a in report.services})


_MERMAID_SHAPES = {"service": ("([", "])"), "module": ("[/", "/]"), "lib": ("{{", "}}"), "table": ("[(", ")]")}


def mermaid(graph: SystemGraph) -> str:
    """A Mermaid flowchart; changed services are styled `changed` (and their reasons listed in comments)."""
    lines = ["flowchart LR"]
    for node in graph.nodes:
        opening, closing = _MERMAID_SHAPES[node.kind]
        lines.append(f'  {node.id}{opening}"{node.label}"{closing}')
    for edge in graph.edges:
        lines.append(f'  {edge.source} -->|"{edge.label}"| {edge.target}')
    if graph.changed:
        lines.append("  classDef changed fill:#ffe08a,stroke:#b8860b,stroke-width:2px")
        lines.append(f"  class {','.join(sorted(graph.changed))} changed")
        for identifier, reasons in sorted(graph.changed.items()):
            lines += [f"  %% {identifier}: {reason}" for reason in reasons]
    return "\n".join(lines) + "\n"


_DOT_SHAPES = {"service": "box", "module": "component", "lib": "hexagon", "table": "cylinder"}


def dot(graph: SystemGraph) -> str:
    """Graphviz DOT source; changed services are filled and carry their reasons as a tooltip."""
    import graphviz

    drawing = graphviz.Digraph("system", graph_attr={"rankdir": "LR", "fontname": "Helvetica"},
                               node_attr={"fontname": "Helvetica", "fontsize": "11"},
                               edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    for node in graph.nodes:
        attributes = {"shape": _DOT_SHAPES[node.kind], "style": "rounded" if node.kind == "service" else ""}
        if node.id in graph.changed:
            attributes.update(style="rounded,filled", fillcolor="#ffe08a", color="#b8860b", penwidth="2",
                              tooltip="\n".join(graph.changed[node.id]))
        drawing.node(node.id, node.label, **{k: v for k, v in attributes.items() if v})
    for edge in graph.edges:
        drawing.edge(edge.source, edge.target, label=edge.label)
    return str(drawing.source)


def svg(graph: SystemGraph) -> str:
    """The graph drawn as SVG by Graphviz's `dot`. Raises GraphError when dot is not installed."""
    import graphviz

    if shutil.which("dot") is None:
        raise GraphError("drawing SVG needs Graphviz's `dot` program, which is not installed",
                         "install it (Debian: apt-get install graphviz; `make system-deps` does it), "
                         "or use --format mermaid or dot")
    return str(graphviz.Source(dot(graph)).pipe(format="svg", encoding="utf-8"))
