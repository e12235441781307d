"""Architecture rules enforced as tests: hook docs, room rules, import hygiene."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path

from bot import hookspecs
from bot.hooks import CALL_ATTR, CALL_STYLES, call_style

ROOT = Path(__file__).resolve().parents[2]


def _spec_functions(module: object) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(func)
        for name, func in vars(module).items()
        if inspect.isfunction(func) and hasattr(func, "ruche_spec")
    }


def _all_spec_modules() -> list[object]:
    import importlib

    return [hookspecs] + [
        importlib.import_module(f"plugins.{path.parent.name}.hookspecs")
        for path in sorted((ROOT / "plugins").glob("*/hookspecs.py"))
    ]


def _heading(name: str, sig: inspect.Signature, style: str | None) -> str:
    """The heading docs/hooks.md gives a hook: exact signature, return type and call style."""
    args = ", ".join(sig.parameters)
    return f"### `{name}({args}) -> {sig.return_annotation}` ({style})"


def test_every_core_hookspec_is_documented_with_its_exact_signature() -> None:
    doc = (ROOT / "docs" / "hooks.md").read_text()
    specs = _spec_functions(hookspecs)
    assert len(specs) >= 19
    for name, sig in specs.items():
        heading = _heading(name, sig, call_style(getattr(hookspecs, name)))
        assert heading in doc, f"docs/hooks.md lacks {heading}"


def test_every_plugin_hookspec_is_documented_with_its_exact_signature() -> None:
    import importlib

    doc = (ROOT / "docs" / "hooks.md").read_text()
    for path in sorted((ROOT / "plugins").glob("*/hookspecs.py")):
        module = importlib.import_module(f"plugins.{path.parent.name}.hookspecs")
        specs = _spec_functions(module)
        assert specs, f"{path} declares no hookspec"
        for name, sig in specs.items():
            heading = _heading(name, sig, call_style(getattr(module, name)))
            assert heading in doc, f"docs/hooks.md lacks {heading}"


def test_every_hookspec_declares_exactly_one_call_style() -> None:
    for module in _all_spec_modules():
        for name in _spec_functions(module):
            func = getattr(module, name)
            declared = [s for s in (getattr(func, CALL_ATTR, None),) if s is not None]
            if func.ruche_spec["firstresult"]:
                declared.append("first")
            assert len(declared) == 1, f"{name} declares call styles {declared}"
            assert declared[0] in CALL_STYLES and call_style(func) == declared[0], name


def test_every_documented_hook_states_the_style_its_spec_declares() -> None:
    doc = (ROOT / "docs" / "hooks.md").read_text()
    documented = dict(re.findall(r"^### `(\w+)\(.*\)[^`]*` \((\w+)\)$", doc, re.M))
    for module in _all_spec_modules():
        for name in _spec_functions(module):
            assert documented.get(name) == call_style(getattr(module, name)), (
                f"docs/hooks.md gives {name} the style {documented.get(name)}")
    # The table names each style once, with the method that calls it.
    for style in CALL_STYLES:
        assert f"\n| {style} | `await bot.hooks.{style}(" in doc, f"table lacks {style}"


def test_every_hookspec_has_a_real_return_type() -> None:
    for module in _all_spec_modules():
        for name, sig in _spec_functions(module).items():
            ret = sig.return_annotation
            assert ret is not inspect.Signature.empty, f"{name} has no return annotation"
            assert not re.search(r"\bAny\b", str(ret)), f"{name} returns {ret}"
            if name == "register_hookspecs":
                assert ret == "None"  # called synchronously by pluggy: never a coroutine
            else:
                assert re.fullmatch(r"Maybe\[.+\]", str(ret)), f"{name}: {ret} is not Maybe[...]"


def test_documented_hooks_exist() -> None:
    doc = (ROOT / "docs" / "hooks.md").read_text()
    specs = _spec_functions(hookspecs)
    core_section = doc.split("## Core hooks", 1)[1].split("\n## ", 1)[0]
    for name in re.findall(r"^### `(\w+)\(", core_section, re.M):
        assert name in specs, f"docs/hooks.md documents {name}, which bot/hookspecs.py lacks"


def test_importing_the_app_loads_no_platform_library() -> None:
    # The platform packages' `__init__` (the plugins every bot loads) must stay light too.
    code = ("import sys, bot.app, bot.cli, bot.testing, bot.adapters.discord, bot.adapters.matrix; "
            "bad = [m for m in ('discord', 'nio') if m in sys.modules]; "
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, f"imported: {result.stdout} {result.stderr}"


def _python_files(*dirs: str) -> list[Path]:
    out: list[Path] = []
    for d in dirs:
        out.extend(p for p in (ROOT / d).rglob("*.py") if ".venv" not in p.parts)
    return out


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_platform_libraries_only_in_their_adapter() -> None:
    for path in _python_files("bot", "plugins"):
        rel = path.relative_to(ROOT).as_posix()
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "discord":
                assert rel.startswith("bot/adapters/discord/"), f"{rel} imports discord"
            if top == "nio":
                assert rel.startswith("bot/adapters/matrix/"), f"{rel} imports nio"


def test_plugins_do_not_import_each_others_code() -> None:
    allowed = {"models", "hookspecs"}
    for path in _python_files("plugins"):
        rel = path.relative_to(ROOT)
        if "tests" in rel.parts:
            continue
        own = rel.parts[1]
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "plugins" and len(parts) > 1 and parts[1] != own:
                assert len(parts) > 2 and parts[2] in allowed, f"{rel} imports {name}"


def test_pm_hook_called_only_from_hooks_and_plugins_modules() -> None:
    for path in _python_files("bot", "plugins"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ("bot/hooks.py", "bot/plugins.py"):
            continue
        assert "pm.hook" not in path.read_text(), f"{rel} calls pm.hook directly"


async def test_every_migration_chain_applies_from_zero(make_bot) -> None:  # type: ignore[no-untyped-def]
    from bot.storage import migration_status

    tb = await make_bot()
    status = await migration_status(tb.bot.db, tb.bot.migrations)
    assert {ns for ns, _have, _want in status} >= {"core"}
    assert all(have == want and want >= 1 for _ns, have, want in status), status
    # Running them again is a no-op.
    from bot.storage import run_migrations

    assert all(a == b for a, b in (await run_migrations(tb.bot.db, tb.bot.migrations)).values())
