"""`ruche run`: the bot itself, until SIGTERM, Ctrl-C or the end of the console's input."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from bot.cli.common import load, make_bot
from bot.config import Config


async def _run(config: Config) -> int:
    """Log setup, then the bot with signal handlers that stop it cleanly or reload its config."""
    from bot.cli.pidfile import remove_pid, write_pid
    from bot.logs import setup_logging

    # The embedded default is a chat in the terminal: keep startup chatter out of it.
    level = config.logging.level if config.path is not None else "WARNING"
    setup_logging(level, config.logging.format, config.secret_values())
    bot = make_bot(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, bot.request_stop)
        except (NotImplementedError, RuntimeError):
            pass
    reloads: set[asyncio.Task[Any]] = set()

    def reload() -> None:
        """SIGHUP: re-read the file; the reload logs what it changed or why it changed nothing."""
        task = loop.create_task(_reload(bot), name="config-reload")
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    hangup = getattr(signal, "SIGHUP", None)  # not on Windows
    if hangup is not None:
        try:
            loop.add_signal_handler(hangup, reload)
        except (NotImplementedError, RuntimeError):
            pass
    pidfile = write_pid(config.bot.data_dir, config.path)
    try:
        await bot.run()
    finally:
        remove_pid(pidfile)
        for task in list(reloads):
            task.cancel()
    return 0


async def _reload(bot: Any) -> None:
    import logging

    if bot.started_at is None:
        logging.getLogger("ruche.reload").warning(
            "config reload ignored: the bot is still starting; send SIGHUP again once it runs")
        return
    try:
        await bot.reload_config()
    except Exception:
        logging.getLogger("ruche.reload").exception("config reload failed; the running config "
                                                    "is kept")


def cmd_run(args: argparse.Namespace) -> int:
    """`ruche run`."""
    return asyncio.run(_run(load(args)))
