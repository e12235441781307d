"""`ruche reload`: check the config file, then ask the running `ruche run` to re-read it."""

from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path

from rich.markup import escape

from bot.cli.common import config_path, err, out, print_errors
from bot.cli.configfile import _problems
from bot.cli.pidfile import is_running, pid_path, read_pid
from bot.config import ConfigErrors, load_config


def cmd_reload(args: argparse.Namespace) -> int:
    """Refuse an invalid file like check-config; else SIGHUP the bot of this data directory."""
    hangup = getattr(signal, "SIGHUP", None)
    if hangup is None:
        err().print("[red]ruche reload needs SIGHUP, which this system does not have[/]; "
                    "restart the bot instead.")
        return 1
    path = config_path(args)
    if path is None:
        err().print("[red]ruche reload needs the config file the bot runs with[/]: "
                    "--config FILE or $RUCHE_CONFIG.")
        return 1
    problems, _plugins = _problems(path)
    errors = [p for p in problems if p.severity == "error"]
    print_errors(ConfigErrors([*errors, *(p for p in problems if p.severity != "error")]))
    if errors:
        err().print(f"[red]✗ {escape(path)}: {len(errors)} error(s)[/]; fix them and run "
                    "ruche reload again. The running bot was not signalled and keeps its config.")
        return 1
    target = pid_path(load_config(Path(path)).bot.data_dir)
    pid, running_config = read_pid(target)
    if pid is None:
        err().print(f"[red]no running bot found[/]: {escape(str(target))} is missing "
                    "(is `ruche run` running with this config?).")
        return 1
    if not is_running(pid):
        err().print(f"[red]no running bot found[/]: {escape(str(target))} names process {pid}, "
                    "which is not running (a stale pid file: the bot did not exit cleanly).")
        return 1
    if running_config != str(Path(path).resolve()):
        shown = running_config or "the built-in defaults"
        err().print(f"[red]the bot running as process {pid} reads {escape(shown)}[/], not "
                    f"{escape(path)}; reload that file, or restart the bot with this one.")
        return 1
    try:
        os.kill(pid, hangup)
    except OSError as exc:
        err().print(f"[red]could not signal process {pid}[/]: {escape(exc.strerror or str(exc))}")
        return 1
    out().print(f"[green]✓[/] {escape(path)} is valid; asked the bot (process {pid}) to reload "
                "it. Its log says what changed and what needs a restart.")
    return 0
