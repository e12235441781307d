"""`ruche run` when what it needs is not there yet: PostgreSQL late or absent, [web] port taken."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.pgcluster import PgCluster, free_port

SECRET = "s3cret-pw-123"


def write_config(tmp_path: Path, url: str, connect_timeout: float,
                 web_port: int | None = None) -> Path:
    """A console config on `url`, with INFO logs so the waiting lines show."""
    text = (f'[storage]\nurl = "{url}"\nconnect_timeout = {connect_timeout}\n'
            '[logging]\nlevel = "INFO"\n')
    if web_port is not None:
        text += f'[web]\nenabled = true\nbind = "127.0.0.1"\nport = {web_port}\n'
    path = tmp_path / "ruche.toml"
    path.write_text(text)
    return path


def ruche_run(tmp_path: Path, config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("RUCHE_CONFIG", None)
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)


def error_lines(stderr: str) -> list[str]:
    """What `ruche` itself printed (log lines start with a time)."""
    return [line for line in stderr.splitlines() if line.startswith("ruche: ")]


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    with PgCluster() as pg:
        yield pg


def test_postgresql_never_up_one_line_exit_2_within_the_timeout(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, f"postgresql://ruche:{SECRET}@127.0.0.1:{port}/ruche", 3)
    started = time.monotonic()
    proc = ruche_run(tmp_path, config)
    out, err = proc.communicate("", timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    [line] = error_lines(err)
    assert line.startswith(f"ruche: PostgreSQL at 127.0.0.1:{port} is unreachable "
                           "(connection refused) after ")
    assert "connect_timeout" in line
    assert f"waiting for PostgreSQL at 127.0.0.1:{port} (attempt 1, next in 1 s): " \
           "connection refused" in err
    assert "(attempt 2, next in " in err  # 2 s, or what is left of the 3
    assert SECRET not in out + err
    assert elapsed < 3 + 15  # the wait is bounded; the rest is Python starting, twice loaded


def test_unknown_database_fails_at_once(tmp_path: Path, cluster: PgCluster) -> None:
    cluster.start()
    config = write_config(tmp_path, cluster.url("no_such_db"), 60)
    proc = ruche_run(tmp_path, config)
    _out, err = proc.communicate("", timeout=60)
    assert proc.returncode == 2, err
    assert "Traceback" not in err and "waiting for PostgreSQL" not in err
    [line] = error_lines(err)
    assert f"PostgreSQL at 127.0.0.1:{cluster.port} refused the connection" in line
    assert 'database "no_such_db" does not exist' in line


def test_postgresql_late_at_startup(tmp_path: Path, cluster: PgCluster) -> None:
    config = write_config(tmp_path, cluster.url(), 60)
    proc = ruche_run(tmp_path, config)
    assert proc.stderr is not None
    try:
        for line in proc.stderr:  # Ruche waits, and says so
            if "waiting for PostgreSQL" in line:
                break
        cluster.start()
        out, err = proc.communicate("!ping\n", timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "ruche> [#1] Pong!" in out
    assert "Traceback" not in err


def test_web_port_taken_one_line_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, "sqlite:///data/ruche.sqlite3", 60, web_port=port)
        proc = ruche_run(tmp_path, config)
        out, err = proc.communicate("!ping\n", timeout=60)
    assert proc.returncode == 2, err
    assert "Traceback" not in err and "ruche started" not in err and "Pong" not in out
    assert error_lines(err) == [
        f"ruche: cannot listen on 127.0.0.1:{port}: address already in use — change [web] "
        "port or stop the other program"
    ]


@pytest.mark.parametrize("command", [["db", "status"], ["db", "check"], ["communities"]])
def test_cli_commands_give_up_with_one_line_when_postgresql_is_down(
        tmp_path: Path, command: list[str]) -> None:
    port = free_port()
    config = write_config(tmp_path, f"postgresql://ruche:{SECRET}@127.0.0.1:{port}/ruche", 1)
    env = {**os.environ}
    env.pop("RUCHE_CONFIG", None)
    proc = subprocess.run([sys.executable, "-m", "bot", *command, "--config", str(config)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = error_lines(proc.stderr)
    assert "unreachable" in line and SECRET not in proc.stderr + proc.stdout
