"""The console adapter as a user meets it: `ruche run` with a script on stdin (SPEC §1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.adapters.console import parse_line, render
from bot.adapters.local import SentMessage


def run_script(tmp_path: Path, script: str, *args: str,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("RUCHE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "bot", "run", *args], input=script,
                          capture_output=True, text=True, cwd=tmp_path, timeout=timeout, env=env)


def test_parse_line() -> None:
    assert parse_line("alice> !tip @bob 5") == ("alice", "!tip @bob 5")
    assert parse_line("!ping") == ("operator", "!ping")
    assert parse_line("not a name> hi") == ("operator", "not a name> hi")


def test_render_prefixes_every_line() -> None:
    assert render(SentMessage(3, "console", "a\nb")) == "ruche> [#3] a\nruche> b"


def test_scripted_session(tmp_path: Path) -> None:
    script = "\n".join([
        "!ping",
        "alice> !help",
        "alice> !help ping",
        "bob> !nosuch",
        "!audit 0",
        "bob> !audit",
        "!audit",
        "",
    ])
    result = run_script(tmp_path, script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    lines = out.splitlines()
    assert lines[0] == "ruche> [#1] Pong!"
    assert all(line.startswith("ruche> ") for line in lines), out
    assert "ruche> [#2] Commands (prefix !):" in out
    assert "ruche> [#3] Usage: !ping" in out
    assert "Unknown command: nosuch" in out
    assert "must be a positive whole number" in out and "Usage: !audit [n]" in out
    assert "You are not allowed to do that (core.audit)." in out  # bob is a member
    assert "ruche> [#7] The audit log is empty." in out
    assert "Traceback" not in out + result.stderr
    assert (tmp_path / "data" / "ruche.sqlite3").exists()


def test_react_lines_and_bad_react(tmp_path: Path) -> None:
    result = run_script(tmp_path, "!ping\n:react alice 1 👍\n:react alice 99 👍\n:react oops\n")
    assert result.returncode == 0
    assert "no bot message #99" in result.stderr
    assert "usage: :react" in result.stderr


def test_cold_start_to_first_answer_is_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    result = run_script(tmp_path, "!ping\n")
    elapsed = time.perf_counter() - start
    assert result.stdout.startswith("ruche> [#1] Pong!")
    # Recorded for docs/performance.md; generous bound so shared CI machines do not flake.
    assert elapsed < 10, elapsed


def test_sigterm_exits_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env=env)
    assert proc.stdin and proc.stdout
    proc.stdin.write("!ping\n")
    proc.stdin.flush()
    assert proc.stdout.readline().startswith("ruche> [#1] Pong!")
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()


def test_closed_output_stops_quietly(tmp_path: Path) -> None:
    """`ruche run | head -1`: the reader goes away; no traceback, exit 0, like any Unix filter."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env=env)
    assert proc.stdin and proc.stdout and proc.stderr
    proc.stdin.write("!ping\n")
    proc.stdin.flush()
    assert proc.stdout.readline().startswith("ruche> [#1] Pong!")
    proc.stdout.close()
    proc.stdin.write("!help\n!ping\n")
    proc.stdin.close()
    try:
        assert proc.wait(timeout=20) == 0
        err = proc.stderr.read()
        assert "Traceback" not in err and "Broken pipe" not in err, err
    finally:
        proc.kill()


@pytest.mark.parametrize("entry", [["-m", "bot"], ["-c", "from bot.cli import main; main()"]])
def test_python_m_bot_is_ruche(entry: list[str], tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, *entry, "--version"], capture_output=True, text=True,
                            cwd=tmp_path)
    assert "ruche 0.1.0" in result.stdout


async def _run_console_bot(tmp_path: Path, with_other: bool) -> tuple[bool, str]:
    """Run a Bot whose console reads a 1-line script; report whether it stopped by itself."""
    import asyncio
    import io
    from dataclasses import dataclass

    from bot import hookimpl
    from bot.adapters.console import ConsoleAdapter
    from bot.adapters.local import LocalAdapter
    from bot.app import Bot
    from bot.config import Config

    out = io.StringIO()
    console = ConsoleAdapter(["operator"], ["operator"], stdin=io.StringIO("!ping\n"), stdout=out,
                             interactive=False, data_dir=tmp_path)

    @dataclass
    class OtherSection:
        enabled: bool = True

    class Adapters:
        @hookimpl
        def register_config(self) -> dict[str, type]:
            return {"platforms.other": OtherSection}

        @hookimpl
        def register_adapters(self) -> list[object]:
            return [console] + ([LocalAdapter("other", "room")] if with_other else [])

    config = Config({"storage": {"url": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
                     "platforms": {"console": {"enabled": False}}})
    bot = Bot(config, builtins={"core": "bot.commands.builtin"}, use_entry_points=False,
              extra_plugins={"adapters": Adapters()})
    task = asyncio.create_task(bot.run())
    done, _pending = await asyncio.wait({task}, timeout=3)
    stopped = bool(done)
    if not stopped:
        bot.request_stop()
        await asyncio.wait_for(task, 10)
    return stopped, out.getvalue()


async def test_end_of_input_stops_a_console_only_bot(tmp_path: Path) -> None:
    stopped, out = await _run_console_bot(tmp_path, with_other=False)
    assert stopped and out == "ruche> [#1] Pong!\n"


async def test_end_of_console_input_keeps_other_platforms_running(tmp_path: Path) -> None:
    stopped, out = await _run_console_bot(tmp_path, with_other=True)
    assert not stopped and out == "ruche> [#1] Pong!\n"
