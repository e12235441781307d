"""Boundaries the plugin guide promises, checked on the source: each plugin's SQL names only its
own tables, the docs name only files that exist, plugins keep no per-bot state in module
globals, and plugins reach the core only through its public API module `bot.api`. Each check proves it still finds what it looks for, so a scanner that silently matches
nothing fails too."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import bot.api

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = sorted(p.parent.name for p in (ROOT / "plugins").glob("*/__init__.py"))


def _modules(folder: Path) -> list[Path]:
    """The package's modules, its tests left out."""
    return sorted(p for p in folder.rglob("*.py") if "tests" not in p.relative_to(folder).parts)


# -- SQL: no plugin touches another plugin's tables ------------------------------------------

_CREATED = re.compile(
    r"\bCREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)"
    r"|\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\w+\s+ON\s+\"?(\w+)",
    re.IGNORECASE)
_SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|JOIN)\b")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Core (or adapter) tables a plugin may use directly, with the reason; none today: plugins reach
# members, identities, settings and announcements through the core's APIs.
CORE_TABLES_ALLOWED: dict[tuple[str, str], str] = {}


def _strings(path: Path) -> list[str]:
    """Every string literal of a module except docstrings; an f-string with its `{NAME}` parts
    replaced by the module's string constant of that name (the only way plugins build names)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)}
    docstrings = {
        id(body[0].value) for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and (body := node.body) and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)}
    inside_fstrings = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                       for v in node.values}
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name):
                    parts.append(constants.get(value.value.id, "{}"))
                else:
                    parts.append("{}")
            out.append("".join(parts))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings and id(node) not in inside_fstrings):
            out.append(node.value)
    return out


def _tables_created(paths: list[Path]) -> set[str]:
    return {(m.group(1) or m.group(2)).lower()
            for path in paths for text in _strings(path) for m in _CREATED.finditer(text)}


def _table_owners() -> dict[str, str]:
    """Every table the code creates, and who owns it: a plugin (from its migrations), a
    platform adapter, or the core (bot/schema.py, the storage layer)."""
    owners: dict[str, str] = {}
    for path in _modules(ROOT / "bot"):
        parts = path.relative_to(ROOT / "bot").parts
        owner = f"the {parts[1].split('_')[0].removesuffix('.py')} adapter" \
            if parts[0] == "adapters" and len(parts) > 1 else "core"
        owners.update(dict.fromkeys(_tables_created([path]), owner))
    for name in PLUGINS:
        migrations = ROOT / "plugins" / name / "migrations.py"
        for table in _tables_created([migrations] if migrations.exists() else []):
            assert table not in owners, f"{table} is created by {owners[table]} and {name}"
            owners[table] = name
    return owners


def _tables_named(text: str, owners: dict[str, str]) -> set[str]:
    """The known tables a SQL string names; a string that is just a table's name counts too
    (a constant later spliced into SQL)."""
    if not _SQL.search(text) and text.strip().lower() not in owners:
        return set()
    return {word.lower() for word in _WORD.findall(text) if word.lower() in owners}


def test_each_plugin_creates_only_tables_prefixed_with_its_name() -> None:
    owners = _table_owners()
    assert {"core_members", "core_identities", "schema_versions"} <= set(owners)
    for name in PLUGINS:
        tables = {t for t, owner in owners.items() if owner == name}
        assert all(t.startswith(f"{name}_") for t in tables), (name, sorted(tables))
    assert {owners[t] for t in owners} >= {"core", "ideas", "votes", "tips", "funding"}


def test_no_plugin_sql_touches_another_plugins_tables() -> None:
    """docs/plugins.md: "never touch another plugin's tables" (nor the core's, which plugins
    reach through its APIs, unless CORE_TABLES_ALLOWED says why)."""
    owners = _table_owners()
    trespass: list[str] = []
    used_allowances: set[tuple[str, str]] = set()
    for name in PLUGINS:
        own_seen: set[str] = set()
        for path in _modules(ROOT / "plugins" / name):
            for text in _strings(path):
                for table in _tables_named(text, owners):
                    owner = owners[table]
                    if owner == name:
                        own_seen.add(table)
                    elif owner == "core" and (name, table) in CORE_TABLES_ALLOWED:
                        used_allowances.add((name, table))
                    else:
                        rel = path.relative_to(ROOT)
                        trespass.append(f"{rel} names {table} (owned by {owner})")
        own = {t for t, owner in owners.items() if owner == name}
        # The scanner sees the plugin's own SQL, or it would see nobody's.
        assert not own or own_seen, f"no SQL of plugins/{name} names its own tables {own}"
    assert trespass == []
    assert used_allowances == set(CORE_TABLES_ALLOWED), "CORE_TABLES_ALLOWED lists unused entries"


def test_the_sql_scanner_catches_a_foreign_table() -> None:
    owners = {"tips_entries": "tips", "ideas_ideas": "ideas"}
    assert _tables_named('SELECT sum(units) FROM "tips_entries" WHERE dst = $1', owners) == {
        "tips_entries"}
    assert _tables_named("tips_entries", owners) == {"tips_entries"}
    assert _tables_named("the tips_entries ledger, in prose", owners) == set()


# -- docs name only files that exist -----------------------------------------------------------

DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md", ROOT / "CHANGELOG.md"]
# Repository paths are checked when they start with one of these folders; anything else (/etc,
# /run, /opt, data/, a container's /data, a config file named by itself) is an example path.
REPO_FOLDERS = ("bot", "plugins", "scripts", "benchmarks", "tests", "deploy", "requirements",
                "docs", ".ci")
# Patterns rather than paths: a glob, an ellipsis, a placeholder.
PATTERN_MARKS = ("*", "…", "...", "<", "{", "NAME")
# Paths the operator creates, with where the docs say so.
CREATED_BY_OPERATOR = ("deploy/secrets/",)  # docs/operators.md: `install -d deploy/secrets`
_INLINE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _doc_paths(doc: Path) -> list[tuple[str, Path]]:
    """(as written, where it points) for each repository path a document names."""
    text = doc.read_text()
    found: list[tuple[str, Path]] = []
    for m in _INLINE.finditer(text):
        words = m.group(1).split()
        if not words:
            continue
        word = words[0].split("::")[0]
        word = re.sub(r":\d+$", "", word).rstrip(".,;:")
        if word.split("/")[0] in REPO_FOLDERS and "/" in word:
            found.append((word, ROOT / word))
    for m in _LINK.finditer(text):
        target = m.group(1).split("#")[0]
        if target and not re.match(r"[a-z]+:", target):
            found.append((target, doc.parent / target))
    return [(word, path) for word, path in found
            if not any(s in word for s in PATTERN_MARKS) and word not in CREATED_BY_OPERATOR]


def test_docs_name_only_files_that_exist() -> None:
    missing = [f"{doc.relative_to(ROOT)}: {word}" for doc in DOCS
               for word, path in _doc_paths(doc) if not path.exists()]
    assert missing == []


def test_the_doc_path_scanner_sees_paths() -> None:
    named = {word for doc in DOCS for word, _path in _doc_paths(doc)}
    assert {"bot/app.py", "scripts/test", "plugins/tips/hookspecs.py"} <= named
    assert not any(word.startswith(("/etc", "data/")) for word in named)


# -- no module-level mutable state in plugins ---------------------------------------------------

_MUTABLE_CALLS = {"dict", "list", "set", "bytearray", "defaultdict", "OrderedDict", "Counter",
                  "deque", "WeakValueDictionary", "WeakKeyDictionary", "WeakSet"}
_MUTATORS = {"append", "add", "update", "pop", "popitem", "clear", "setdefault", "extend",
             "insert", "remove", "discard", "appendleft", "extendleft", "sort", "reverse"}
# Known module-level state, each with what replaces it. A new entry needs a reason as good.
STATE_ALLOWED: dict[str, str] = {}


def _is_mutable(value: ast.expr) -> bool:
    if isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp
                  | ast.SetComp):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        return name in _MUTABLE_CALLS
    return False


def _mutated_names(tree: ast.AST) -> set[str]:
    """Names whose value the code changes in place (`x[k] = v`, `x.append(…)`, `del x[k]`,
    `x += …`, also as `module.x`), or rebinds through `global`."""
    out: set[str] = set()

    def name_of(node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        return node.attr if isinstance(node, ast.Attribute) else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            out.update(node.names)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for target in targets:
                if isinstance(target, ast.Subscript) and (name := name_of(target.value)):
                    out.add(name)
                elif isinstance(node, ast.AugAssign) and (name := name_of(target)):
                    out.add(name)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in _MUTATORS and (name := name_of(node.func.value))):
            out.add(name)
    return out


def _module_state() -> dict[str, int]:
    """`path:name` → line of each plugin module global that holds state: a mutable value under a
    lower-case name, or any module global the plugins change in place or rebind."""
    trees = {path: ast.parse(path.read_text(), filename=str(path))
             for name in PLUGINS for path in _modules(ROOT / "plugins" / name)}
    mutated = set().union(*(_mutated_names(tree) for tree in trees.values()))
    found: dict[str, int] = {}
    for path, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            for target in targets:
                if not isinstance(target, ast.Name) or target.id == "__all__":
                    continue
                name = target.id
                if (_is_mutable(value) and not name.isupper()) or name in mutated:
                    found[f"{path.relative_to(ROOT).as_posix()}:{name}"] = node.lineno
    return found


def test_plugins_keep_no_state_in_module_globals() -> None:
    """docs/plugins.md: per-bot state lives on the plugin instance, not in module globals, which
    every bot of the process (and every test bot) would share. Constants are fine: an
    upper-case name nobody changes."""
    found = _module_state()
    new = {key: line for key, line in found.items() if key not in STATE_ALLOWED}
    assert new == {}, "module-level state in plugins (see STATE_ALLOWED)"
    assert set(STATE_ALLOWED) <= set(found), "STATE_ALLOWED lists state that is gone: drop it"


def test_the_state_scanner_catches_module_state() -> None:
    tree = ast.parse("CACHE = {}\ndef f(k):\n    CACHE[k] = 1\n    _seen.add(k)\n"
                     "def g():\n    global _n\n    _n = 2\n    mod.REGISTRY.append(g)\n")
    assert _mutated_names(tree) == {"CACHE", "_seen", "_n", "REGISTRY"}
    assert _is_mutable(ast.parse("defaultdict(list)", mode="eval").body)
    assert not _is_mutable(ast.parse("frozenset({1})", mode="eval").body)


# -- plugins import the core only through bot.api -------------------------------------------

API = "bot.api"
# Plugin packages held to the rule: the built-in plugins and the sample third-party plugin.
PLUGIN_PACKAGES = [*(ROOT / "plugins" / name for name in PLUGINS),
                   ROOT / "tests" / "sample_plugin" / "ruche_sample"]


def _core_imports(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of each import of `bot` or a module under it, wherever it stands
    (module level, under TYPE_CHECKING, in a function); `import bot.x` has no names."""
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                node.module == "bot" or node.module.startswith("bot.")):
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names
                         if alias.name == "bot" or alias.name.startswith("bot."))
    return found


def _plugin_core_imports() -> dict[str, list[tuple[int, str, list[str]]]]:
    """`path` → the core imports of each non-test module of the plugin packages."""
    return {path.relative_to(ROOT).as_posix(): _core_imports(ast.parse(path.read_text(),
                                                                      filename=str(path)))
            for folder in PLUGIN_PACKAGES for path in _modules(folder)}


def test_plugins_import_the_core_only_through_the_api() -> None:
    """docs/plugins.md, "The plugin API": a plugin imports `from bot.api import …` only; the
    other modules of `bot` are the core's inside and may change without notice."""
    imports = _plugin_core_imports()
    offenders = [f"{path}:{line} imports {module}" + (f" ({', '.join(names)})" if names else "")
                 for path, found in imports.items() for line, module, names in found
                 if module != API or not names]
    assert offenders == [], "import these names from bot.api instead:\n" + "\n".join(offenders)
    # The scanner sees the plugins' imports, or it would see nobody's.
    users = {path.split("/")[1] if path.startswith("plugins/") else "sample"
             for path, found in imports.items() if found}
    assert users >= {*PLUGINS, "sample"}, users


def test_the_api_exports_names_that_exist_and_every_name_plugins_use() -> None:
    exported = bot.api.__all__
    assert exported == sorted(set(exported)), "keep bot.api.__all__ sorted, without duplicates"
    missing = [name for name in exported if not hasattr(bot.api, name)]
    assert missing == [], f"bot.api.__all__ names what bot.api does not have: {missing}"
    # Re-exports only: each name is defined (and documented) in its own module of the core.
    defined_here = [name for name in exported
                    if getattr(getattr(bot.api, name), "__module__", None) == API]
    assert defined_here == []
    used = {name for found in _plugin_core_imports().values()
            for _line, module, names in found if module == API for name in names}
    assert used - set(exported) == set(), "plugins import names bot.api does not export"
    # The stable surface the plugin guide lists, by group (docs/plugins.md).
    assert {"hookimpl", "hookspec", "Bot", "Context", "command", "group", "requires",
            "cooldown", "Amount", "Positive", "Duration", "Rest", "Choice", "UserError",
            "BadArgument", "Member", "Role", "Database", "Tx", "Row", "Migrations",
            "StorageError", "IntegrityError", "DatabaseUnavailable", "translatable",
            "plural_translatable", "Text", "clean_text", "Secret", "Announcement",
            "iso_utc"} <= set(exported)


def test_the_core_import_scanner_sees_every_form() -> None:
    tree = ast.parse("import bot\nimport bot.model as m\nfrom bot.i18n import Text\n"
                     "from . import sibling\nfrom botany import leaf\n"
                     "def f():\n    from bot.api import Context\n")
    assert sorted(_core_imports(tree)) == [(1, "bot", []), (2, "bot.model", []),
                                           (3, "bot.i18n", ["Text"]),
                                           (7, "bot.api", ["Context"])]


# -- one way to write a plugin: a Plugin subclass, declared, not registered by hand -----------

#: Registration hooks the `Plugin` base class implements from the class attributes.
DECLARED_HOOKS = ("register_hookspecs", "register_config", "register_migrations",
                  "register_commands", "register_permissions", "register_jobs")


def _plugin_classes() -> dict[str, type]:
    """Name → the class each built-in plugin (and the sample plugin) exposes as `plugin`."""
    from bot.plugins import DEFAULT_PLUGINS

    modules = {**DEFAULT_PLUGINS, "sample": "ruche_sample"}
    return {name: importlib.import_module(dotted).plugin for name, dotted in modules.items()}


def test_every_plugin_is_a_plugin_class_instantiated_per_bot() -> None:
    """docs/plugins.md: a module exposes its `Plugin` subclass; the core makes one per bot."""
    from bot.plugin import Plugin

    classes = _plugin_classes()
    not_classes = sorted(name for name, obj in classes.items()
                         if not (isinstance(obj, type) and issubclass(obj, Plugin)))
    assert not_classes == [], f"expose a Plugin subclass as `plugin`: {not_classes}"
    unnamed = sorted(name for name, cls in classes.items() if getattr(cls, "name", "") != name)
    assert unnamed == [], f"set `name` to the plugin's name: {unnamed}"


def test_no_plugin_writes_the_registration_hooks_by_hand() -> None:
    """What the base class derives from `config_class`, `commands`, `permissions()`… is not
    re-implemented: one declarative description per plugin."""
    from bot.plugin import Plugin

    by_hand = sorted(f"{name}.{hook}" for name, cls in _plugin_classes().items()
                     for hook in DECLARED_HOOKS
                     if getattr(cls, hook) is not getattr(Plugin, hook))
    assert by_hand == [], f"declare these as class attributes or methods instead: {by_hand}"


async def test_each_bot_gets_its_own_plugin_instances(tmp_path: Path) -> None:
    """Two bots in one process (tests, several communities) never share per-bot state."""
    from bot.testing import make_test_bot
    from plugins.votes import VotesPlugin

    first = await make_test_bot(tmp_path / "one")
    second = await make_test_bot(tmp_path / "two")
    try:
        one, two = first.bot.plugin(VotesPlugin), second.bot.plugin(VotesPlugin)
        assert one is not two and one.bot is first.bot and two.bot is second.bot
        assert one.service is not two.service
        assert first.bot.router.owner_of(first.bot.router.get("poll new")) is one
    finally:
        await first.stop()
        await second.stop()
