"""`ruche run`: the bot itself, until SIGTERM, Ctrl-C or the end of the console's input."""

from __future__ import annotations

import argparse
import asyncio
import signal

from bot.cli.common import load, make_bot
from bot.config import Config


async def _run(config: Config) -> int:
    """Log setup, then the bot with signal handlers that stop it cleanly."""
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
    await bot.run()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """`ruche run`."""
    return asyncio.run(_run(load(args)))
