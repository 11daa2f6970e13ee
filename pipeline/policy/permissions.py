"""Code against permissions: the AWS calls a function's code makes, compared with what its manifest grants.

Handlers are read with `ast`, never imported: every boto3 call reachable from the handler module
(following imports of the service's own modules) is mapped to the IAM action it needs. A call
with no grant fails the test stage; a grant no code uses is a least-privilege warning.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import StageFailed
from pipeline.project.manifest import Function
from pipeline.project.services import Service


@dataclass(frozen=True)
class Kind:
    """One kind of AWS resource a manifest can grant access to: how its calls become IAM actions."""

    service: str  # boto3 service name, as in boto3.client("dynamodb")
    resource: str  # what the manifest's permission keys name, in messages: "table"
    env_prefix: str  # code finds the resource through os.environ["<prefix><NAME>"]
    name_argument: str  # the client parameter naming the resource, e.g. TableName
    actions: Mapping[str, str]  # method -> IAM action, where it is not the API operation's own name


# New permission kinds are one entry each.
KINDS = {
    kind.service: kind
    for kind in (
        Kind("dynamodb", "table", "TABLE_", "TableName",
             {"batch_writer": "dynamodb:BatchWriteItem", "load": "dynamodb:DescribeTable"}),
        Kind("lambda", "function", "FUNCTION_", "FunctionName", {"invoke": "lambda:InvokeFunction"}),
    )
}
# What a manifest grants, field by field: (Function attribute, resource kind, the action each name
# grants; None where the field maps names to their own action lists, as `permissions` does).
GRANT_FIELDS: tuple[tuple[str, str, str | None], ...] = (
    ("permissions", "table", None),
    ("invokes", "function", "lambda:InvokeFunction"),
    ("calls_apis", "api", "execute-api:Invoke"),
)
# Calls signed by hand for services boto3 has no client for: botocore signing name -> IAM action.
SIGNED_REQUESTS = {"execute-api": "execute-api:Invoke"}
# Attributes of a client or resource that make no request.
_LOCAL_ATTRIBUTES = frozenset({"meta", "exceptions", "get_paginator", "get_waiter", "can_paginate", "close"})


@dataclass(frozen=True)
class Call:
    """One AWS API call found in code."""

    file: str  # path inside the project
    line: int
    service: str
    method: str
    action: str  # the IAM action it needs, e.g. dynamodb:PutItem
    resource: str | None  # the manifest name of the resource it targets, when the code says


@dataclass(frozen=True)
class Handle:
    """A value that is a boto3 client, resource or resource object (e.g. a Table) of `service`."""

    service: str
    resource: str | None = None


@dataclass(frozen=True)
class Findings:
    missing: tuple[str, ...]  # calls without a grant: each names file:line and the action ops must grant
    unused: tuple[str, ...]  # grants no code uses: least-privilege warnings


@functools.cache
def _service_actions(service: str) -> dict[str, str]:
    """boto3 method -> IAM action for every API operation of `service`, from botocore's model."""
    import botocore.session
    from botocore import xform_name
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return {}
    actions = {xform_name(operation): f"{model.signing_name}:{operation}" for operation in model.operation_names}
    kind = KINDS.get(service)
    return {**actions, **(kind.actions if kind else {})}


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _environ_key(node: ast.AST) -> str | None:
    """The key of os.environ["X"] / os.environ.get("X") / os.getenv("X"), if `node` is one."""
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
        return _string(node.slice)
    if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "environ.get", "os.getenv", "getenv"):
        return _string(node.args[0]) if node.args else None
    return None


class _Module:
    """One source module: the handles it makes and the calls it issues through them."""

    def __init__(self, path: Path, name: str, display: str) -> None:
        self.name = name
        self.display = display
        self.tree = ast.parse(path.read_text(), filename=display)
        self.imports: dict[str, str] = {}  # local name -> module or module.attribute it refers to
        self.variables: dict[str, Handle] = {}
        self.returns: dict[str, Handle] = {}  # function name -> the handle it returns
        # Top-level functions, classes and assigned names (handler = endpoint(put_location)), and
        # the statements that run on import.
        self.definitions: dict[str, ast.AST] = {}
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.definitions[node.name] = node
            elif isinstance(node, ast.Assign):
                self.definitions.update((target.id, node) for target in node.targets if isinstance(target, ast.Name))
        self.top_level = [
            node for node in self.tree.body if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
        for found in ast.walk(self.tree):
            if isinstance(found, ast.Import):
                for alias in found.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(found, ast.ImportFrom) and found.module and not found.level:
                for alias in found.names:
                    self.imports[alias.asname or alias.name] = f"{found.module}.{alias.name}"

    def imported_modules(self) -> set[str]:
        """Modules this one may use: each import, and the module an imported name comes from."""
        return set(self.imports.values()) | {target.rsplit(".", 1)[0] for target in self.imports.values()}


class _Scanner:
    """Resolves handles across a service's modules and collects every call made through one."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.modules: dict[str, _Module] = {}

    def load(self, module_name: str) -> _Module | None:
        if module_name in self.modules:
            return self.modules[module_name]
        for root in (self.service.source_dir, *self.service.lib_dirs):
            for candidate in (root / (module_name.replace(".", "/") + ".py"), root / module_name.replace(".", "/") / "__init__.py"):
                if candidate.is_file():
                    display = candidate.relative_to(self.service.folder.parent.parent).as_posix()
                    module = _Module(candidate, module_name, display)
                    self.modules[module_name] = module
                    return module
        return None

    def reachable(self, module_name: str) -> list[_Module]:
        """The module and every module of the service it imports, transitively."""
        found: list[_Module] = []
        pending = [module_name]
        while pending:
            module = self.load(pending.pop())
            if module is None or module in found:
                continue
            found.append(module)
            pending.extend(module.imported_modules())
        return found

    def definition(self, module: _Module, name: str, seen: frozenset[str] = frozenset()) -> tuple[_Module, ast.AST] | None:
        """Where `name`, as seen from `module`, is defined: here, or in the service module it is imported from."""
        if name in module.definitions:
            return module, module.definitions[name]
        target = module.imports.get(name)
        if target is None or target in seen or "." not in target:
            return None
        owner_name, attribute = target.rsplit(".", 1)
        owner = self.load(owner_name)
        return self.definition(owner, attribute, seen | {target}) if owner is not None else None

    def reachable_code(self, module: _Module, entry: str) -> list[tuple[_Module, ast.AST]]:
        """The entry function and every function or class it refers to, followed across modules,
        plus what each loaded module runs on import. Unreferenced helpers are left out."""
        found = self.definition(module, entry)
        pending = [found] if found is not None else []
        reached: list[tuple[_Module, ast.AST]] = []
        while pending:
            owner, node = pending.pop()
            if any(node is seen for _, seen in reached):
                continue
            reached.append((owner, node))
            for inner in ast.walk(node):
                referenced = None
                if isinstance(inner, ast.Name):
                    referenced = self.definition(owner, inner.id)
                elif isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name) and inner.value.id in owner.imports:
                    imported = self.load(owner.imports[inner.value.id])
                    referenced = self.definition(imported, inner.attr) if imported is not None else None
                if referenced is not None:
                    pending.append(referenced)
        on_import = [(loaded, statement) for loaded in self.modules.values() for statement in loaded.top_level]
        return reached + on_import

    def handle(self, module: _Module, node: ast.AST) -> Handle | None:
        """What AWS handle `node` evaluates to, if any."""
        if isinstance(node, ast.Name):
            if node.id in module.variables:
                return module.variables[node.id]
            return None
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        dotted = ast.unparse(func)
        if dotted in ("boto3.client", "boto3.resource") or (
            isinstance(func, ast.Attribute) and func.attr in ("client", "resource") and dotted.startswith(("boto3.", "session"))
        ):
            service = _string(node.args[0]) if node.args else _string(next((k.value for k in node.keywords if k.arg == "service_name"), None))
            return Handle(service) if service else None
        if isinstance(func, ast.Attribute):
            owner = self.handle(module, func.value)
            if owner is not None and owner.resource is None and func.attr[:1].isupper():
                return Handle(owner.service, self._resource_name(owner.service, node.args[0] if node.args else None))
            return self._returned_by(module, func.value, func.attr)
        if isinstance(func, ast.Name):
            if func.id in module.returns:
                return module.returns[func.id]
            target = module.imports.get(func.id)
            if target and "." in target:
                owner_name, function = target.rsplit(".", 1)
                owner_module = self.load(owner_name)
                if owner_module is not None:
                    return owner_module.returns.get(function)
        return None

    def _returned_by(self, module: _Module, owner: ast.AST, function: str) -> Handle | None:
        """The handle `module_alias.function()` returns, when module_alias is a service module."""
        if isinstance(owner, ast.Name) and owner.id in module.imports:
            imported = self.load(module.imports[owner.id])
            if imported is not None:
                return imported.returns.get(function)
        return None

    def _resource_name(self, service: str, node: ast.AST | None) -> str | None:
        kind = KINDS.get(service)
        key = _environ_key(node) if node is not None else None
        if kind is not None and key and key.startswith(kind.env_prefix):
            return key[len(kind.env_prefix):].lower()
        return None

    def resolve(self, modules: list[_Module]) -> None:
        """Find module-level handles and handle-returning functions, until nothing new appears."""
        changed = True
        while changed:
            changed = False
            for module in modules:
                for node in ast.walk(module.tree):
                    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                        found = self.handle(module, node.value)
                        if found is not None and module.variables.get(node.targets[0].id) != found:
                            module.variables[node.targets[0].id] = found
                            changed = True
                    elif isinstance(node, ast.FunctionDef):
                        for statement in ast.walk(node):
                            if isinstance(statement, ast.Return) and statement.value is not None:
                                found = self.handle(module, statement.value)
                                if found is not None and module.returns.get(node.name) != found:
                                    module.returns[node.name] = found
                                    changed = True

    def calls(self, code: list[tuple[_Module, ast.AST]]) -> Iterator[Call]:
        for module, body in code:
            for node in ast.walk(body):
                if isinstance(node, ast.Call):
                    yield from self._call(module, node)

    def _call(self, module: _Module, node: ast.Call) -> Iterator[Call]:
        if ast.unparse(node.func).endswith("SigV4Auth") and len(node.args) > 1:
            # A hand-signed request, e.g. to an IAM-authorised API: SigV4Auth(credentials, "execute-api", region).
            service = _string(node.args[1])
            if service in SIGNED_REQUESTS:
                yield Call(module.display, node.lineno, service, "signed request", SIGNED_REQUESTS[service], None)
            return
        if not isinstance(node.func, ast.Attribute):
            return
        method = node.func.attr
        owner = self.handle(module, node.func.value)
        if owner is None or method in _LOCAL_ATTRIBUTES or method[:1].isupper():
            return
        action = _service_actions(owner.service).get(method)
        if action is not None:
            resource = owner.resource or self._named_in_arguments(owner.service, node)
            yield Call(module.display, node.lineno, owner.service, method, action, resource)

    def _named_in_arguments(self, service: str, call: ast.Call) -> str | None:
        """The resource a client call names, e.g. TableName=os.environ["TABLE_ORDERS"] -> orders."""
        kind = KINDS.get(service)
        argument = next((k.value for k in call.keywords if kind is not None and k.arg == kind.name_argument), None)
        return self._resource_name(service, argument)


def function_calls(service: Service, function: Function) -> list[Call]:
    """Every AWS call reachable from `function`'s handler module, sorted by file and line."""
    scanner = _Scanner(service)
    modules = scanner.reachable(function.module)
    scanner.resolve(modules)
    entry = scanner.load(function.module)
    code = scanner.reachable_code(entry, function.handler.rsplit(".", 1)[1]) if entry is not None else []
    return sorted(set(scanner.calls(code)), key=lambda call: (call.file, call.line, call.action))


def declared_grants(function: Function) -> dict[str, tuple[str, ...]]:
    """What the manifest grants `function`, keyed by resource ("table orders", "function auth.verify")."""
    grants: dict[str, tuple[str, ...]] = {}
    for field_name, kind, action in GRANT_FIELDS:
        value: Any = getattr(function, field_name, ())
        items = value.items() if action is None else ((name, (action,)) for name in value)
        for name, actions in items:
            grants[f"{kind} {name}"] = tuple(actions)
    return grants


def _resource_key(call: Call) -> str | None:
    kind = KINDS.get(call.service)
    return f"{kind.resource} {call.resource}" if kind is not None and call.resource is not None else None


def compare(function: Function, calls: list[Call]) -> Findings:
    """Calls the manifest does not grant, and grants no call uses (pure: no files, no AWS)."""
    grants = declared_grants(function)
    missing = []
    for call in calls:
        key = _resource_key(call)
        granted = [name for name, actions in grants.items() if call.action in actions]
        if (key in granted) if key is not None else bool(granted):
            continue
        kind = KINDS.get(call.service)
        label = kind.resource if kind else next((name for _, name, action in GRANT_FIELDS if action == call.action), "resource")
        where = key or f"the {label} it uses"
        missing.append(
            f"{call.file}:{call.line}: functions.{function.name} calls {call.service}.{call.method}: "
            f"ops must grant {call.action} on {where}"
        )
    unused = [
        f"functions.{function.name} is granted {action} on {name} but no code calls it: "
        "ask ops to remove it (least privilege)"
        for name, actions in sorted(grants.items())
        for action in actions
        if not any(call.action == action and _resource_key(call) in (name, None) for call in calls)
    ]
    return Findings(tuple(missing), tuple(unused))


def scan_permissions(service: Service) -> Findings:
    """Compare every function's code with its grants (reads files only; raises nothing of its own)."""
    missing: list[str] = []
    unused: list[str] = []
    for function in service.manifest.functions.values():
        findings = compare(function, function_calls(service, function))
        missing += findings.missing
        unused += findings.unused
    return Findings(tuple(missing), tuple(unused))


def require_grants(service: Service, findings: Findings) -> None:
    """Raises StageFailed listing every call (file:line) whose action the manifest does not grant."""
    if findings.missing:
        raise StageFailed(
            f"test: {service.name}'s code calls AWS APIs its roles do not grant:\n" + "\n".join(findings.missing),
            f"declare the action under functions.<name>.permissions in services/{service.name}/service.yaml "
            "and ask ops to review and apply it (make iam-plan, make iam-apply)",
        )
