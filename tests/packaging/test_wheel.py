"""`python -m build` output, installed in a fresh venv (not editable) and run from a temp folder.

Slow (about a minute): builds the sdist, the wheel from that sdist, creates a venv, installs the
runtime lock and the wheel, then runs `ruche` the way an operator does.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest
from packaging_support import ROOT

pytestmark = pytest.mark.slow

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"


def _run(*args: str | Path, cwd: Path | None = None, input: str | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                            input=input, timeout=timeout, env=_clean_env(), check=False)
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


def _clean_env() -> dict[str, str]:
    """The environment without anything that would make the fresh venv see the source tree."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "RUCHE_CONFIG", "CREDENTIALS_DIRECTORY")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist, then the wheel built from that sdist, with the test venv's setuptools (no network)."""
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT)
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob("ruche-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh venv with the runtime dependencies and the wheel, as an operator installs them."""
    home = tmp_path_factory.mktemp("venv") / "venv"
    _run(sys.executable, "-m", "venv", home)
    pip = home / "bin" / "pip"
    if RUNTIME_LOCK.is_file():
        _run(pip, "install", "-q", "--require-hashes", "--no-deps", "-r", RUNTIME_LOCK)
        _run(pip, "install", "-q", "--no-deps", "--no-index", wheel)
    else:
        _run(pip, "install", "-q", wheel)
    _run(pip, "check")  # every requirement of the wheel is installed, at a fitting version
    return home


# --------------------------------------------------------------------------- what is shipped


def _runtime_catalogs() -> set[str]:
    return {str(p.relative_to(ROOT)) for top in ("bot", "plugins")
            for p in (ROOT / top).glob("**/locales/*/LC_MESSAGES/*.po")}


def test_wheel_is_named_after_the_version(wheel: Path) -> None:
    assert wheel.name == f"ruche-{VERSION}-py3-none-any.whl"


def test_wheel_ships_every_runtime_file_and_no_tests(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        example = archive.read("bot/config.example.toml").decode("utf-8")
    catalogs = _runtime_catalogs()
    assert len(catalogs) >= 6 and catalogs <= names, catalogs - names
    assert example == (ROOT / "config.example.toml").read_text(encoding="utf-8")
    sources = {str(p.relative_to(ROOT)) for top in ("bot", "plugins")
               for p in (ROOT / top).rglob("*.py")
               if "tests" not in p.relative_to(ROOT).parts and "__pycache__" not in p.parts}
    assert sources <= names, sorted(sources - names)[:10]
    # The dashboard's stylesheet and script are Python strings; migrations are Python too.
    assert {"plugins/pulse/assets.py", "plugins/pulse/migrations.py", "bot/schema.py"} <= names
    # PEP 561: plugins type-check against the core's hints (bot.api), installed or editable.
    assert {"bot/py.typed", "bot/api.py"} <= names
    assert not [n for n in names if re.match(r"plugins/[^/]+/tests/", n)]
    assert f"ruche-{VERSION}.dist-info/licenses/LICENSE" in names


def test_sdist_carries_license_docs_and_deploy(dist: Path) -> None:
    (sdist,) = dist.glob("ruche-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    expected = {"LICENSE", "README.md", "CHANGELOG.md", "config.example.toml", "setup.py",
                "pyproject.toml", "MANIFEST.in", "deploy/Dockerfile", "deploy/compose.yaml",
                "deploy/ruche.service", "deploy/ruche.docker.toml",
                "deploy/docker-entrypoint.sh", "docs/operators.md"} | _runtime_catalogs()
    if RUNTIME_LOCK.is_file():
        expected.add("requirements/runtime.txt")
    assert expected <= names, sorted(expected - names)


# --------------------------------------------------------------------------- the installed wheel


def test_installed_package_is_the_wheel_not_the_source_tree(venv: Path, tmp_path: Path) -> None:
    where = _run(venv / "bin" / "python", "-c", "import bot; print(bot.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(venv)


def test_version_prints_the_installed_version(venv: Path, tmp_path: Path) -> None:
    installed = _run(venv / "bin" / "python", "-c",
                     "from importlib.metadata import version; print(version('ruche'))",
                     cwd=tmp_path).stdout.strip()
    shown = _run(venv / "bin" / "ruche", "--version", cwd=tmp_path).stdout.strip()
    assert installed == VERSION
    assert shown == f"ruche {installed}"


def test_console_answers_ping_and_help(venv: Path, tmp_path: Path) -> None:
    result = _run(venv / "bin" / "ruche", "run", cwd=tmp_path, input="!ping\n!help\n",
                  timeout=120)
    assert "Pong!" in result.stdout
    assert "!ping — Check that the bot is alive and answering." in result.stdout
    assert "!idea" in result.stdout and "!pulse" in result.stdout
    assert (tmp_path / "data" / "ruche.sqlite3").is_file()


def test_french_catalog_is_loaded_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "fr.toml").write_text('[bot]\nlocale = "fr"\n', encoding="utf-8")
    result = _run(venv / "bin" / "ruche", "run", "--config", "fr.toml", cwd=tmp_path,
                  input="!ping\n", timeout=120)
    assert "Pong !" in result.stdout


def test_init_writes_the_example_and_it_validates(venv: Path, tmp_path: Path) -> None:
    _run(venv / "bin" / "ruche", "init", cwd=tmp_path)
    written = (tmp_path / "ruche.toml").read_text(encoding="utf-8")
    assert written == (ROOT / "config.example.toml").read_text(encoding="utf-8")
    _run(venv / "bin" / "ruche", "check-config", "ruche.toml", cwd=tmp_path)


def _read_until(stream: object, pattern: re.Pattern[str], deadline: float) -> re.Match[str]:
    """Read lines of a subprocess pipe until one matches, or fail at the deadline."""
    seen: list[str] = []
    fd = stream.fileno()  # type: ignore[attr-defined]
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        line = stream.readline()  # type: ignore[attr-defined]
        if not line:
            break
        seen.append(line)
        match = pattern.search(line)
        if match:
            return match
    raise AssertionError(f"no {pattern.pattern!r} in:\n{''.join(seen)[-3000:]}")


def _get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get_content_type(), response.read().decode()


def test_dashboard_and_health_are_served_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "web.toml").write_text(
        "[web]\nenabled = true\nbind = \"127.0.0.1\"\nport = 0\n", encoding="utf-8")
    process = subprocess.Popen(
        [str(venv / "bin" / "ruche"), "run", "--config", "web.toml"], cwd=tmp_path,
        env=_clean_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, bufsize=1)
    try:
        deadline = time.monotonic() + 60
        url = _read_until(process.stderr, re.compile(r"Ruche dashboard: (http://\S+?)/?\s"),
                          deadline)[1]
        assert process.stdin is not None
        process.stdin.write("!ping\n")
        process.stdin.flush()
        _read_until(process.stdout, re.compile(r"Pong!"), deadline)

        assert _get(f"{url}/healthz")[0] == 200
        status, kind, html = _get(f"{url}/c/console")
        assert (status, kind) == (200, "text/html")
        assert "/static/pulse.css" in html and "/static/pulse.js" in html
        status, kind, css = _get(f"{url}/static/pulse.css")
        assert (status, kind) == (200, "text/css") and "--accent" in css
        assert _get(f"{url}/static/pulse.js")[0] == 200
        assert "ruche_" in _get(f"{url}/metrics")[2]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert code == 0
