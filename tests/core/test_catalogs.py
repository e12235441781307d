"""Meta-test: every `_("…")` / `_n("…", "…", n)` in bot/ and plugins/ has a French translation.

A module marks strings with `_ = translatable("DOMAIN")` / `_n = plural_translatable("DOMAIN")`
(or imports those names from a module that does). A command's help text is the first docstring
line of a function decorated with `command(…)`, `group(…)`, `X.subcommand(…)` or `X.group(…)`,
in the domain of its module (`bot.*` → core, `plugins.NAME.*` → NAME). The catalog is
`<package>/locales/fr/LC_MESSAGES/DOMAIN.po`, where `<package>` is the nearest ancestor directory
with an `__init__.py` and a `locales/` directory (bot/locales for the core).
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("bot", "plugins")
SKIPPED_DIRS = frozenset({"tests", "__pycache__", "locales"})
LOCALE = "fr"
MARKERS = {"translatable": "single", "plural_translatable": "plural"}


@dataclass(frozen=True)
class Marker:
    """A name bound to a translatable() result in some module."""

    kind: str
    domain: str


@dataclass(frozen=True)
class Use:
    """One literal message marked for translation."""

    file: Path
    line: int
    domain: str
    msgid: str
    plural: str | None
    locales_dir: Path | None

    def where(self) -> str:
        try:
            shown = self.file.relative_to(ROOT)
        except ValueError:
            shown = self.file
        return f"{shown}:{self.line}"


def python_files(base: Path, roots: Iterable[str]) -> Iterator[Path]:
    for root in roots:
        top = base / root
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*.py")):
            if not SKIPPED_DIRS.intersection(path.relative_to(base).parts[:-1]):
                yield path


def module_name(base: Path, path: Path) -> tuple[str, bool]:
    """Dotted module name and whether it is a package's __init__."""
    parts = list(path.relative_to(base).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def marker_of(value: ast.expr) -> Marker | None:
    """`translatable("d")`, `i18n.translatable("d")` or `plural_translatable("d")`."""
    if not isinstance(value, ast.Call) or not value.args:
        return None
    func = value.func
    name = (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else None
    )
    first = value.args[0]
    if name in MARKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return Marker(MARKERS[name], first.value)
    return None


def own_markers(tree: ast.Module) -> dict[str, Marker]:
    found: dict[str, Marker] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        marker = marker_of(value) if value is not None else None
        if marker is None:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = marker
    return found


def imported_markers(
    tree: ast.Module, name: str, is_package: bool, index: dict[str, dict[str, Marker]]
) -> dict[str, Marker]:
    """Markers imported with `from module import _` (absolute or relative)."""
    found: dict[str, Marker] = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            package = name.split(".") if is_package else name.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            source = ".".join([*package, *([node.module] if node.module else [])])
        else:
            source = node.module or ""
        for alias in node.names:
            marker = index.get(source, {}).get(alias.name)
            if marker is not None:
                found[alias.asname or alias.name] = marker
    return found


def locales_dir_for(path: Path, base: Path) -> Path | None:
    for directory in [path.parent, *path.parent.parents]:
        if (directory / "__init__.py").is_file() and (directory / "locales").is_dir():
            return directory / "locales"
        if directory == base:
            break
    return None


def literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def collect_uses(base: Path, roots: Iterable[str] = SCANNED) -> list[Use]:
    trees: dict[Path, tuple[str, bool, ast.Module]] = {}
    index: dict[str, dict[str, Marker]] = {}
    for path in python_files(base, roots):
        name, is_package = module_name(base, path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        trees[path] = (name, is_package, tree)
        index[name] = own_markers(tree)
    uses: list[Use] = []
    for path, (name, is_package, tree) in trees.items():
        markers = {**imported_markers(tree, name, is_package, index), **index[name]}
        if not markers:
            continue
        locales = locales_dir_for(path, base)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            marker = markers.get(node.func.id)
            if marker is None or not node.args:
                continue
            msgid = literal(node.args[0])
            if msgid is None:
                continue
            plural = None
            if marker.kind == "plural":
                plural = literal(node.args[1]) if len(node.args) > 1 else None
                if plural is None:
                    continue
            uses.append(Use(path, node.lineno, marker.domain, msgid, plural, locales))
    for path, (name, _is_package, tree) in trees.items():
        uses.extend(command_help_uses(path, name, tree, locales_dir_for(path, base)))
    return uses


COMMAND_DECORATORS = {"command", "group", "subcommand"}


def command_domain(module: str) -> str:
    """Same rule as bot.commands.model.module_domain (checked by a test below)."""
    parts = module.split(".")
    if parts[0] == "bot":
        return "core"
    if parts[0] == "plugins" and len(parts) > 1:
        return parts[1]
    return parts[0]


def is_command_decorator(decorator: ast.expr) -> bool:
    if not isinstance(decorator, ast.Call):
        return False
    func = decorator.func
    name = func.id if isinstance(func, ast.Name) else None
    if isinstance(func, ast.Attribute):
        name = func.attr
    return name in COMMAND_DECORATORS


def command_help_uses(path: Path, module: str, tree: ast.Module, locales: Path | None) -> list[Use]:
    """The help msgid (first docstring line) of every command defined in a module."""
    uses = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not any(is_command_decorator(d) for d in node.decorator_list):
            continue
        doc = (ast.get_docstring(node) or "").strip()
        if doc:
            help_line = doc.splitlines()[0]
            uses.append(Use(path, node.lineno, command_domain(module), help_line, None, locales))
    return uses


def placeholders(template: str) -> set[str] | None:
    """Field names of a str.format template; None when the template is malformed."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return None


def load_catalog(path: Path, domain: str) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=LOCALE, domain=domain, abort_invalid=True)


def problems_of(uses: Iterable[Use]) -> list[str]:
    """One line per missing or unusable translation."""
    catalogs: dict[Path, Catalog | str] = {}
    problems: list[str] = []
    for use in uses:
        source_fields = placeholders(use.msgid)
        plural_fields: set[str] | None = set()
        if use.plural is not None:
            plural_fields = placeholders(use.plural)
        if source_fields is None or plural_fields is None:
            problems.append(f"{use.where()}: malformed placeholders in msgid {use.msgid!r}")
            continue
        allowed = source_fields | plural_fields | ({"n"} if use.plural is not None else set())
        if use.locales_dir is None:
            problems.append(f"{use.where()}: no <package>/locales/ for domain {use.domain!r}")
            continue
        po_path = use.locales_dir / LOCALE / "LC_MESSAGES" / f"{use.domain}.po"
        if po_path not in catalogs:
            try:
                catalogs[po_path] = load_catalog(po_path, use.domain)
            except Exception as exc:  # report every broken catalog, not just the first
                catalogs[po_path] = f"{type(exc).__name__}: {exc}"
        catalog = catalogs[po_path]
        shown_po = po_path.relative_to(ROOT) if po_path.is_relative_to(ROOT) else po_path
        if isinstance(catalog, str):
            problems.append(f"{use.where()}: cannot read {shown_po} ({catalog}) for {use.msgid!r}")
            continue
        message = catalog.get(use.msgid)
        if message is None or message.fuzzy:
            state = "missing" if message is None else "fuzzy"
            problems.append(f"{shown_po}: {state} msgid {use.msgid!r} (used at {use.where()})")
            continue
        forms = (
            list(message.string) if isinstance(message.string, tuple | list) else [message.string]
        )
        expected_forms = catalog.num_plurals if use.plural is not None else 1
        if len(forms) < expected_forms or not all(forms):
            problems.append(
                f"{shown_po}: empty translation for {use.msgid!r} (used at {use.where()})"
            )
            continue
        for form in forms:
            fields = placeholders(str(form))
            if fields is None or not fields <= allowed:
                problems.append(
                    f"{shown_po}: translation {form!r} of {use.msgid!r} uses placeholders "
                    f"not in the msgid ({sorted(allowed)})"
                )
    return problems


def test_every_marked_string_has_a_french_translation() -> None:
    problems = problems_of(collect_uses(ROOT))
    assert not problems, "untranslated or broken messages:\n" + "\n".join(problems)


def test_command_domain_matches_the_command_framework() -> None:
    model = pytest.importorskip("bot.commands.model")
    for module in ("bot.commands.builtin", "plugins.tips.commands", "ruche_weather.cmds"):
        assert command_domain(module) == model.module_domain(module)


def test_core_catalog_parses() -> None:
    catalog = load_catalog(ROOT / "bot" / "locales" / LOCALE / "LC_MESSAGES" / "core.po", "core")
    assert catalog.num_plurals == 2


# --------------------------------------------------------------------- the scanner tests itself

DEMO_PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

msgid "Translated {x}"
msgstr "Traduit {x}"

msgid "{n} idea"
msgid_plural "{n} ideas"
msgstr[0] "{n} idée"
msgstr[1] "{n} idées"

#, fuzzy
msgid "Fuzzy"
msgstr "Flou"

msgid "Bad field {x}"
msgstr "Mauvais {y}"

msgid "Half plural"
msgid_plural "Half plurals"
msgstr[0] "Demi"
msgstr[1] ""
"""

DEMO_MODULE = """\
from bot.i18n import plural_translatable, translatable

_ = translatable("demo")
_n = plural_translatable("demo")

@command("ping")
async def ping(ctx):
    '''Translated {x}

    Longer help is English only.
    '''


@grp.subcommand("sub")
async def sub(ctx):
    '''Help of a subcommand.'''


def f(count, name):
    _("Translated {x}", x=1)
    _("Missing one")
    _("Fuzzy")
    _("Bad field {x}", x=1)
    _(name)                      # not a literal: cannot be checked
    _n("{n} idea", "{n} ideas", count)
    _n("Half plural", "Half plurals", count)
    _n("{n} missing", "{n} missings", count)
"""

IMPORTER_MODULE = """\
from .strings import _ as tr

def g():
    return tr("Imported but missing")
"""

OTHER_DOMAIN_MODULE = """\
import bot.i18n as i18n

_ = i18n.translatable("nolocales")

def h():
    return _("Orphan")
"""


def test_scanner_reports_each_kind_of_problem(tmp_path: Path) -> None:
    pkg = tmp_path / "plugins" / "demo"
    (pkg / "locales" / "fr" / "LC_MESSAGES").mkdir(parents=True)
    (pkg / "locales" / "fr" / "LC_MESSAGES" / "demo.po").write_text(DEMO_PO, encoding="utf-8")
    (tmp_path / "plugins" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "strings.py").write_text(DEMO_MODULE, encoding="utf-8")
    (pkg / "commands.py").write_text(IMPORTER_MODULE, encoding="utf-8")
    (pkg / "tests").mkdir()
    (pkg / "tests" / "test_x.py").write_text(
        DEMO_MODULE.replace("demo", "skipped"), encoding="utf-8"
    )
    other = tmp_path / "bot" / "nolocales"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text(OTHER_DOMAIN_MODULE, encoding="utf-8")

    uses = collect_uses(tmp_path)
    msgids = sorted(use.msgid for use in uses)
    assert msgids == sorted(
        [
            "Translated {x}",
            "Missing one",
            "Fuzzy",
            "Bad field {x}",
            "{n} idea",
            "Half plural",
            "{n} missing",
            "Imported but missing",
            "Orphan",
            "Translated {x}",
            "Help of a subcommand.",
        ]
    )
    report = "\n".join(problems_of(uses))
    assert "missing msgid 'Missing one'" in report
    assert "fuzzy msgid 'Fuzzy'" in report
    assert "'Bad field {x}' uses placeholders" in report
    assert "empty translation for 'Half plural'" in report
    assert "missing msgid '{n} missing'" in report
    assert "missing msgid 'Imported but missing'" in report
    assert "no <package>/locales/ for domain 'nolocales'" in report
    assert "missing msgid 'Help of a subcommand.'" in report
    assert "Longer help" not in report
    assert "Translated" not in report
    assert "'{n} idea'" not in report
    assert "skipped" not in report
