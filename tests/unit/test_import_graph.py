"""Imports run one way: views → services → support → the mail core → libraries
(docs/architecture.md).

Every project module is parsed, not imported, and each import statement it holds counts,
those inside functions included: a lazy import that breaks a circle is still a circle.
"""
import ast
import sys
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("webmail", "accounts", "attachments", "contacts")

# Top first. A module belongs to the first layer with a pattern that matches its name; the
# same table, in words, is in docs/architecture.md: change both together.
LAYERS = [
    ("views", [
        "webmail.views", "webmail.views.*", "webmail.urls", "webmail.middleware",
        "webmail.health", "webmail.templatetags", "webmail.templatetags.*",
        "webmail.apps", "webmail.checks", "webmail.settings", "webmail.environment",
        "webmail.wsgi", "webmail.asgi",
        "webmail.context_processors", "webmail.language", "webmail.kept_page",
        "webmail.first_read",
        "accounts.views", "accounts.urls", "accounts.admin", "accounts.apps",
        "accounts.checks", "accounts.context_processors", "accounts.zone_middleware",
        "accounts.csrf",
        "accounts.mailproxy", "accounts.management", "accounts.management.*",
        "accounts.migrations", "accounts.migrations.*",
        "attachments.views", "attachments.urls", "attachments.admin", "attachments.apps",
        "attachments.management", "attachments.management.*",
        "attachments.migrations", "attachments.migrations.*",
        "webmail.migrations", "webmail.migrations.*",
        "webmail.management", "webmail.management.*",
        "contacts.views", "contacts.views.*", "contacts.urls", "contacts.admin",
        "contacts.apps", "contacts.migrations", "contacts.templatetags",
        "contacts.templatetags.*", "contacts.migrations.*",
        "contacts.management", "contacts.management.*",
    ]),
    ("services", [
        "webmail", "webmail.mail", "webmail.writing", "webmail.draft_files",
        "webmail.actions", "webmail.listing",
        "webmail.forms", "webmail.links", "webmail.http", "webmail.folder_changes",
        "webmail.outbox", "webmail.delivery", "webmail.tasks", "webmail.snooze",
        "webmail.woken", "webmail.schedule", "webmail.pending", "webmail.send_checks",
        "webmail.filters", "webmail.filter_forms", "webmail.filter_folders", "webmail.events",
        "webmail.push",
        "accounts", "accounts.actions", "accounts.sessions", "accounts.backends",
        "accounts.confirmations",
    ]),
    ("support", [
        "webmail.metrics", "webmail.params", "webmail.db_router", "webmail.logs",
        "webmail.models", "webmail.vacation_summary", "webmail.session_store",
        "webmail.zones", "webmail.dates", "webmail.recently",
        "accounts.models", "accounts.vault", "accounts.domains", "accounts.identities",
        "accounts.contacts", "accounts.senders", "accounts.trust", "accounts.client",
        "accounts.throttle",
        "accounts.browsers", "accounts.forms", "accounts.preferences",
        "accounts.preference_fields", "accounts.readahead", "accounts.routes",
        "accounts.routing",
        "attachments", "attachments.*",
        "contacts", "contacts.*",
    ]),
    ("core", [
        "webmail.imap", "webmail.imap.*", "webmail.mime", "webmail.mime.*", "webmail.smtp",
        "webmail.cachejson", "webmail.memo", "webmail.sieve", "webmail.sieve.*",
    ]),
]


def project_modules():
    """{dotted name: path} of every Python module of the project's packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = project_modules()


def layer_of(module):
    for index, (name, patterns) in enumerate(LAYERS):
        if any(fnmatchcase(module, pattern) for pattern in patterns):
            return index, name
    return None, None


def _project_module(name):
    """The project module an imported name lives in (the longest known prefix), or None."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module):
    """[(imported project module, line)] of every import statement in the module."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            # "from a import b" imports the module a.b when there is one, else a name of a.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            target = _project_module(name)
            if target is not None and target != module:
                found.append((target, node.lineno))
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def _edge(source, target):
    line = next(line for found, line in GRAPH[source] if found == target)
    return f"{MODULES[source].relative_to(ROOT)}:{line} imports {target}"


def test_every_module_has_a_layer():
    missing = [module for module in MODULES if layer_of(module)[0] is None]
    assert not missing, (
        f"no layer for {', '.join(missing)}: add it to LAYERS here and to the table in "
        "docs/architecture.md")


def test_no_module_imports_from_a_higher_layer():
    upward = []
    for source, imports in GRAPH.items():
        source_index, source_layer = layer_of(source)
        for target, line in imports:
            target_index, target_layer = layer_of(target)
            if target_index < source_index:
                upward.append(f"{MODULES[source].relative_to(ROOT)}:{line}: {source} "
                              f"({source_layer}) imports {target} ({target_layer})")
    assert not upward, "imports from a lower layer into a higher one:\n" + "\n".join(upward)


VIEW_MODULES = ("webmail.views", "webmail.views.*", "accounts.views", "attachments.views")


def test_only_the_url_confs_import_a_view_module():
    """Logic two views share lives below them (webmail/http.py, links.py), not in a view."""
    found = [f"{MODULES[source].relative_to(ROOT)}:{line}: {source} imports {target}"
             for source, imports in GRAPH.items() if not source.endswith(".urls")
             for target, line in imports
             if any(fnmatchcase(target, pattern) for pattern in VIEW_MODULES)]
    assert not found, "a view module imported by more than a URL conf:\n" + "\n".join(found)


def find_cycle(graph):
    """One circle of imports as [a, b, ..., a], or None."""
    done, path, on_path = set(), [], set()

    def visit(module):
        path.append(module)
        on_path.add(module)
        for target in sorted({target for target, _line in graph.get(module, ())}):
            if target in on_path:
                return path[path.index(target):] + [target]
            if target not in done:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        on_path.discard(module)
        done.add(module)
        return None

    for module in sorted(graph):
        if module not in done:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_no_circle_of_imports():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "a circle of imports:\n" + "\n".join(
        _edge(source, target) for source, target in zip(cycle, cycle[1:]))


@pytest.mark.parametrize("graph, cycle", [
    ({"a": [("b", 1)], "b": [("c", 1)], "c": []}, None),
    ({"a": [("b", 1)], "b": [("c", 1)], "c": [("a", 3)]}, ["a", "b", "c", "a"]),
    ({"a": [("b", 1)], "b": [("b2", 1)], "b2": [("b", 1)]}, ["b", "b2", "b"]),
])
def test_find_cycle_finds_a_circle_and_only_a_circle(graph, cycle):
    assert find_cycle(graph) == cycle


def test_an_import_inside_a_function_counts(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def size():\n    from .high import POOL\n")
    (package / "high.py").write_text("from pkg import low\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    modules = {"pkg": package / "__init__.py", "pkg.low": package / "low.py",
               "pkg.high": package / "high.py"}
    monkeypatch.setattr(sys.modules[__name__], "MODULES", modules)
    assert imports_of("pkg.low") == [("pkg.high", 2)]
    assert find_cycle({module: imports_of(module) for module in modules}) == [
        "pkg.high", "pkg.low", "pkg.high"]


def test_no_module_of_the_imap_core_is_over_400_lines():
    """The IMAP layer stays in parts small enough to read whole (docs/architecture.md)."""
    long = {str(path.relative_to(ROOT)): count
            for path in sorted((ROOT / "webmail/imap").glob("*.py"))
            if (count := len(path.read_text().splitlines())) > 400}
    assert long == {}
